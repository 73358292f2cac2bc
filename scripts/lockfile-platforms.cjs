// Keeps package-lock.json installable with `npm ci` from a registry mirror that serves only the
// platform binaries of this OS (e.g. @swc/core-darwin-arm64 answers 404 there). npm then leaves
// those optional packages out of the lock, and `npm ci` refuses the lock as "out of sync". Each
// missing optional package gets a version-only entry; npm skips it on other platforms as it does
// for any optional package it cannot install. Runs as the root `postinstall`, idempotent.
const fs = require('node:fs');
const path = require('node:path');

const file = path.join(__dirname, '..', 'package-lock.json');
if (!fs.existsSync(file)) process.exit(0);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
let added = 0;
for (const [location, entry] of Object.entries(lock.packages ?? {})) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const nested = `${location ? `${location}/` : ''}node_modules/${name}`;
    const hoisted = `node_modules/${name}`;
    if (lock.packages[nested] || lock.packages[hoisted]) continue;
    lock.packages[hoisted] = { version, optional: true };
    added++;
  }
}
if (added) {
  fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`lockfile: added ${added} optional platform placeholder(s)`);
}
