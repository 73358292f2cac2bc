#!/usr/bin/env node
// `npm run editorconfig:check`: the files git tracks against the root .editorconfig, mostly for
// those Prettier does not format (shell scripts, Markdown, SQL, Dockerfiles, *.conf, .env.example,
// .gitignore...). Plain Node, no dependency. Checked, as the matching sections say:
//   charset = utf-8                  valid UTF-8, no byte order mark
//   end_of_line = lf | crlf | cr     every line ends so
//   insert_final_newline = true      the file ends with a line break (false: it does not)
//   trim_trailing_whitespace = true  no space or tab before a line break
//   indent_style = space             no tab in a line's indentation (Makefiles and *.tsv excepted)
// max_line_length is a hint for editors and formatters, not checked. Binary files (a NUL byte in
// the first 8000 bytes, git's own test) and symlinks are skipped; so are nested .editorconfig files
// (the repo has one, at its root). Problems are printed as `file:line: problem`; exit status 1 when
// there is any. Arguments: files to check instead of every tracked one.
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAX_PER_FILE = 20;

/** `.editorconfig` → [{ glob, props }] in file order (later sections win). */
function parseEditorconfig(text) {
  const sections = [];
  let current = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = { glob: header[1], matches: globMatcher(header[1]), props: {} };
      sections.push(current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq > 0 && current)
      current.props[line.slice(0, eq).trim().toLowerCase()] = line
        .slice(eq + 1)
        .trim()
        .toLowerCase();
  }
  return sections;
}

/** An EditorConfig glob (`*`, `**`, `?`, `[abc]`, `{a,b}`) as a test on a repo-relative path. */
function globMatcher(glob) {
  // Without a slash the glob matches a file name in any directory.
  const anchored = glob.includes('/');
  let source = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') {
      if (glob[i + 1] === '*') {
        source += '.*';
        i++;
      } else source += '[^/]*';
    } else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) source += '\\[';
      else {
        const set = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${set}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      source += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      source += ')';
    } else if (c === ',' && braces > 0) source += '|';
    else if (c === '\\' && i + 1 < glob.length) source += `\\${glob[++i]}`;
    else source += /[.+^$()|\\]/.test(c) ? `\\${c}` : c;
  }
  const pattern = anchored ? source.replace(/^\//, '') : `(?:.*/)?${source}`;
  const re = new RegExp(`^${pattern}$`);
  return (path) => re.test(path);
}

function propsFor(sections, path) {
  const props = {};
  for (const s of sections) if (s.matches(path)) Object.assign(props, s.props);
  for (const [k, v] of Object.entries(props)) if (v === 'unset') delete props[k];
  return props;
}

const EOL = { lf: '\n', crlf: '\r\n', cr: '\r' };
const EOL_NAME = { '\n': 'LF', '\r\n': 'CRLF', '\r': 'CR' };
const tabsAllowed = (path) => /^(?:GNU)?makefile$|\.mk$|\.tsv$/i.test(basename(path));

/** The problems of one file, as [line, message]. */
function check(path, buf, props) {
  const problems = [];
  const add = (line, message) => problems.push([line, message]);
  let start = 0;
  if (props.charset === 'utf-8' || props.charset === 'utf-8-bom') {
    const bom = buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
    if (bom && props.charset === 'utf-8') add(1, 'UTF-8 byte order mark (charset = utf-8)');
    if (!bom && props.charset === 'utf-8-bom') add(1, 'no UTF-8 byte order mark (charset = utf-8-bom)');
    if (bom) start = 3;
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // Lines with their terminators: [text, eol] (eol '' for a last line without one).
  const lines = [];
  let from = start;
  for (let i = start; i < buf.length; i++) {
    const b = buf[i];
    if (b !== 0x0a && b !== 0x0d) continue;
    const crlf = b === 0x0d && buf[i + 1] === 0x0a;
    lines.push([buf.subarray(from, i), crlf ? '\r\n' : b === 0x0a ? '\n' : '\r']);
    if (crlf) i++;
    from = i + 1;
  }
  if (from < buf.length) lines.push([buf.subarray(from), '']);

  const wantEol = EOL[props.end_of_line];
  const trim = props.trim_trailing_whitespace === 'true';
  const noTabs = props.indent_style === 'space' && !tabsAllowed(path);
  lines.forEach(([bytes, eol], i) => {
    const n = i + 1;
    let text;
    try {
      text = decoder.decode(bytes);
    } catch {
      if (props.charset?.startsWith('utf-8')) add(n, 'not valid UTF-8');
      text = bytes.toString('latin1');
    }
    if (wantEol && eol && eol !== wantEol) add(n, `${EOL_NAME[eol]} line ending (end_of_line = ${props.end_of_line})`);
    if (trim && /[ \t]$/.test(text)) add(n, 'trailing whitespace');
    if (noTabs && /^ *\t/.test(text)) add(n, 'tab in the indentation (indent_style = space)');
  });
  const last = lines.at(-1);
  if (last && props.insert_final_newline === 'true' && last[1] === '') add(lines.length, 'no line break at the end of the file');
  if (last && props.insert_final_newline === 'false' && last[1] !== '')
    add(lines.length, 'line break at the end of the file (insert_final_newline = false)');
  return problems;
}

function trackedFiles() {
  return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\0')
    .filter(Boolean);
}

const sections = parseEditorconfig(readFileSync(join(root, '.editorconfig'), 'utf8'));
const explicit = process.argv.length > 2;
const files = explicit ? process.argv.slice(2).map((arg) => relative(root, resolve(arg)).split(sep).join('/')) : trackedFiles();
let checked = 0;
let total = 0;
const failed = new Set();
for (const path of files) {
  let stat;
  try {
    stat = lstatSync(join(root, path));
  } catch {
    if (explicit) {
      console.log(`${path}: no such file`);
      failed.add(path);
      total++;
    }
    continue; // a tracked file deleted in the working tree
  }
  if (!stat.isFile()) continue; // symlink, submodule
  const buf = readFileSync(join(root, path));
  if (buf.subarray(0, 8000).includes(0)) continue; // binary
  checked++;
  const problems = check(path, buf, propsFor(sections, path));
  if (!problems.length) continue;
  failed.add(path);
  total += problems.length;
  for (const [line, message] of problems.slice(0, MAX_PER_FILE)) console.log(`${path}:${line}: ${message}`);
  if (problems.length > MAX_PER_FILE) console.log(`${path}: ${problems.length - MAX_PER_FILE} more problems`);
}
if (total) {
  console.error(`editorconfig: ${total} problem(s) in ${failed.size} file(s), ${checked} checked`);
  process.exitCode = 1;
} else {
  console.log(`editorconfig: ${checked} files ok`);
}
