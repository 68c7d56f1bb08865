// Copies the sources into dist/, as the real project's TypeScript build would.
const fs = require("fs");
fs.mkdirSync("dist/src", { recursive: true });
fs.copyFileSync("src/azurite.js", "dist/src/azurite.js");
