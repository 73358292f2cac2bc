// Bundles the built API (dist/apps/api/src/main.js) into one ES module, dist/bundle/api.mjs, which
// scripts/start-api.sh runs. Why: V8 keeps every loaded module's source text on its heap, as UTF-16
// when the file holds a single non-ASCII character (a dash in a comment will do). Unbundled, the API
// loads ~3,700 files (12.9 MB, TypeORM's every driver among them) held as ~23 MB of strings; the
// bundle is one ASCII file without comments or indentation. Same code, resolved as Node resolves it
// (the packages' "exports" with Node's conditions only, "main" before "module"), nothing renamed
// (keepNames).
//
// Stays outside the bundle, loaded from node_modules at run time: native addons, packages that
// serve files from their own directory, and optional peers that are not installed (Nest and
// TypeORM probe for them and carry on without).
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dropRedundantNames } from './lib/drop-redundant-names.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const entry = 'dist/apps/api/src/main.js';
const outfile = process.argv[2] ?? 'dist/bundle/api.mjs';
const external = ['@node-rs/argon2', 'swagger-ui-dist', '@fastify/swagger-ui', '@fastify/static'];

function installed(specifier, fromDir, kind) {
  try {
    createRequire(`${fromDir}/noop.js`).resolve(specifier);
    return true;
  } catch {
    if (kind === 'require-call') return false;
    try {
      import.meta.resolve(specifier);
      return true;
    } catch {
      return false;
    }
  }
}

/** Optional peers that are not installed stay dynamic imports that fail, as they do unbundled. */
const absentPeers = new Set();
const optionalPeers = {
  name: 'optional-peers',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => {
      if (args.path.startsWith('node:') || installed(args.path, args.resolveDir, args.kind)) return null;
      absentPeers.add(args.path);
      return { path: args.path, external: true };
    });
  },
};

/**
 * Source edits, each checked: the build fails when a package changes under them.
 * - `const require = createRequire(import.meta.url)` in an ES module hides its require() calls from
 *   the bundler: at run time they would load a second copy of the package from node_modules
 *   (@nestjs/typeorm probing `typeorm` loaded all of TypeORM twice). Without the line, esbuild
 *   bundles those calls like any other.
 * - TypeORM loads its driver's package with require(name): `pg` would be loaded a second time at run
 *   time next to the bundled copy the outbox listener uses. Naming it lets esbuild bundle it once.
 * - Nest's Logger and ConsoleLogger build an Intl.DateTimeFormat when imported, which pages in ~6.5 MB of the
 *   node binary's ICU data; the API logs through pino, so it is built on first use instead.
 * - Modules the API never runs are still evaluated at start when a package requires them at its
 *   top: TypeORM's DriverFactory requires all 17 drivers (with their query runners) to pick one,
 *   class-validator's IsPhoneNumber requires libphonenumber-js with its metadata. Those require()
 *   calls move to where the module is used: same code, bundled as before, evaluated on first use.
 */
const HIDDEN_REQUIRE = /\brequire\s*=\s*createRequire\(import\.meta\.url\)/;
const edits = [
  {
    file: /node_modules\/@nestjs\/[^/]+\/dist\/.*\.js$/,
    when: (src) => HIDDEN_REQUIRE.test(src),
    apply: (src) => src.replace(/^const require = createRequire\(import\.meta\.url\);$/m, ''),
    check: (src) => !HIDDEN_REQUIRE.test(src),
  },
  {
    file: /node_modules\/@nestjs\/common\/services\/(console-)?logger\.service\.js$/,
    when: () => true,
    apply: (src) =>
      src.replace('const dateTimeFormatter = new Intl.DateTimeFormat(', 'const dateTimeFormatter = lazyDateTimeFormat(') +
      '\nfunction lazyDateTimeFormat(locales, options) {\n  let format;\n  return { format: (date) => (format ??= new Intl.DateTimeFormat(locales, options)).format(date) };\n}\n',
    check: (src) => src.includes('lazyDateTimeFormat(undefined') && !/new Intl\.DateTimeFormat\(undefined/.test(src),
  },
  {
    file: /node_modules\/typeorm\/driver\/DriverFactory\.js$/,
    when: () => true,
    // `const XDriver_1 = require("./x/XDriver");` → a getter that requires it when a driver of that type is made.
    apply: (src) =>
      src.replace(/^const (\w+Driver)_1 = (require\("\.\/[\w-]+\/\w+Driver"\));$/gm, 'const $1_1 = { get $1() { return $2.$1; } };'),
    check: (src) => !/^const \w+Driver_1 = require\(/m.test(src) && /get PostgresDriver\(\) \{ return require\(/.test(src),
  },
  {
    file: /node_modules\/class-validator\/cjs\/decorator\/string\/IsPhoneNumber\.js$/,
    when: () => true,
    apply: (src) =>
      src.replace(
        'const max_1 = require("libphonenumber-js/max");',
        'const max_1 = { get parsePhoneNumber() { return require("libphonenumber-js/max").parsePhoneNumber; } };',
      ),
    check: (src) =>
      src.includes('get parsePhoneNumber() { return require("libphonenumber-js/max")') && !/^const max_1 = require/m.test(src),
  },
  {
    file: /node_modules\/typeorm\/platform\/PlatformTools\.js$/,
    when: () => true,
    apply: (src) => src.replace(/(\n\s*)return require\(name\);/, '$1if (name === "pg") return require("pg");$1return require(name);'),
    check: (src) => src.includes('if (name === "pg") return require("pg");'),
  },
];
const applied = new Map(edits.map((e) => [e, 0]));
const sourceEdits = {
  name: 'source-edits',
  setup(b) {
    // Only the files some edit names are read here (the filter is the edits' own patterns).
    b.onLoad({ filter: new RegExp(edits.map((e) => `(?:${e.file.source})`).join('|')) }, async (args) => {
      let src = await readFile(args.path, 'utf8');
      let changed = false;
      for (const edit of edits) {
        if (!edit.file.test(args.path) || !edit.when(src)) continue;
        const next = edit.apply(src);
        if (!edit.check(next)) throw new Error(`bundle-api: the edit for ${args.path} no longer applies`);
        applied.set(edit, applied.get(edit) + 1);
        src = next;
        changed = true;
      }
      return changed ? { contents: src, loader: 'js' } : null;
    });
  },
};

const result = await build({
  absWorkingDir: root,
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  // Node's conditions only: esbuild would otherwise add "module" and pick files Node never loads.
  conditions: [],
  format: 'esm',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  keepNames: true,
  charset: 'ascii',
  legalComments: 'linked',
  sourcemap: 'linked',
  external,
  plugins: [optionalPeers, sourceEdits],
  // CommonJS packages inside an ES module bundle still call require() for Node's built-ins.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
  logLevel: 'warning',
  logLimit: 0,
});
if (result.errors.length) process.exit(1);
for (const [edit, count] of applied) {
  if (count === 0) throw new Error(`bundle-api: an edit matched no file (${edit.file}); check the package versions`);
}

// charset 'ascii' escapes strings and identifiers but leaves regular-expression literals as written
// (validator's locale alphabets): one such character makes V8 hold the whole 8 MB source as UTF-16.
// \uXXXX means the same code unit in a string, a template, an identifier and a regex (with or
// without the u flag, where a pair of escaped surrogates is one code point).
const code = await readFile(`${root}/${outfile}`, 'utf8');
// eslint-disable-next-line no-control-regex
const ascii = code.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const named = dropRedundantNames(ascii);
if (named.code !== code) await writeFile(`${root}/${outfile}`, named.code);
console.log(
  `bundle-api: ${outfile} (${(Buffer.byteLength(named.code) / 1048576).toFixed(1)} MB, ${named.dropped} __name calls dropped); left to run time (optional, not installed): ${[...absentPeers].sort().join(', ') || 'none'}`,
);
