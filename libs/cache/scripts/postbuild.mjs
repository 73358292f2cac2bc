// After tsc: ships the ambient declarations the emitted .d.ts files rely on. redlock's package
// "exports" has no "types" condition, so src/locks/redlock-typings.d.ts declares the part of it
// the library uses; tsc does not copy .d.ts sources, and a consumer type-checking our declarations
// (skipLibCheck off) needs it next to the file that imports 'redlock'.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const typings = 'locks/redlock-typings.d.ts';
copyFileSync(join(root, 'src', typings), join(root, 'dist', typings));

for (const file of ['locks/redlock-driver.d.ts']) {
  const path = join(root, 'dist', file);
  const text = readFileSync(path, 'utf8');
  if (!/from 'redlock'/.test(text)) throw new Error(`${file} no longer imports redlock: update scripts/postbuild.mjs`);
  const reference = '/// <reference path="./redlock-typings.d.ts" />\n';
  if (!text.startsWith(reference)) writeFileSync(path, reference + text);
}
