#!/usr/bin/env node
// A stand-in for the real server: enough for the image to build and answer --version.
const pkg = require("../package.json");
if (process.argv.includes("-v") || process.argv.includes("--version")) {
  console.log(pkg.version);
  process.exit(0);
}
console.log(`Azurite ${pkg.version} listening (stand-in)`);
