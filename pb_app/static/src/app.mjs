// Start the GOV.UK Frontend components on every page (loaded as a module by base.html).
import { initAll } from "./govuk-frontend.min.js";

initAll();
