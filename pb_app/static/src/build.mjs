// Build the service's assets into pb_app/static/build/ (git-ignored): `npm run build`.
//
// Compiles app.scss with GOV.UK Frontend, copies its JavaScript, and copies the
// service's own scripts (js-enabled.js, which marks the page as scripted, app.mjs, which
// starts the components, and the modules it imports) and images. Nothing is downloaded: every input comes from node_modules
// or from this folder.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const source = path.dirname(fileURLToPath(import.meta.url));
const build = path.resolve(source, "..", "build");
const govuk = path.resolve(source, "..", "..", "..", "node_modules", "govuk-frontend", "dist", "govuk");

rmSync(build, { recursive: true, force: true });
mkdirSync(build, { recursive: true });

const css = sass.compile(path.join(source, "app.scss"), {
  importers: [new sass.NodePackageImporter()],
  style: "compressed",
  quietDeps: true,
});
writeFileSync(path.join(build, "app.css"), css.css + "\n");

for (const name of ["govuk-frontend.min.js", "govuk-frontend.min.js.map"]) {
  cpSync(path.join(govuk, name), path.join(build, name));
}
for (const name of ["app.mjs", "ballot-total.mjs", "js-enabled.js", "paper-keying.mjs"]) {
  cpSync(path.join(source, name), path.join(build, name));
}
cpSync(path.join(source, "images"), path.join(build, "images"), { recursive: true });

console.log(`Built ${path.relative(process.cwd(), build)}`);
