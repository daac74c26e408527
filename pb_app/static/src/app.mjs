// Start the GOV.UK Frontend components and the service's own scripts on every page (loaded as
// a module by base.html).
import { initAll } from "./govuk-frontend.min.js";
import { startBallotTotals } from "./ballot-total.mjs";

initAll();
startBallotTotals();
