/**
 * Every benchmark, one after another: `npm run bench` (full) and `npm run bench:quick` (short
 * mode: each bench's short durations and rounds, results in bench/results/quick/; under 3 minutes
 * on the 2-core development machine).
 *
 *   tsx bench/run.ts [--quick] [--only cache,http,...]
 *
 * Builds dist once when it is missing, runs `npm run bench:<name>` for cache, http, auth, orders,
 * outbox and hostile (so their tool and dependency steps run too) with BENCH_QUICK set in short mode,
 * goes on after a failing bench, records exit codes and durations in run.json, then builds
 * summary.md from the benches' JSON files (bench/summary.ts; a full run also updates the table in
 * README.md). Exits non-zero when a bench failed.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { API_BUNDLE, ROOT } from './lib/processes.js';
import { MODE, QUICK, RESULTS_DIR } from './lib/settings.js';
import { BENCHES, writeSummary, type BenchName, type RunRecord } from './summary.js';

function only(): BenchName[] {
  const i = process.argv.indexOf('--only');
  if (i === -1) return [...BENCHES];
  const names = (process.argv[i + 1] ?? '').split(',').filter(Boolean);
  const unknown = names.filter((n) => !(BENCHES as readonly string[]).includes(n));
  if (unknown.length || !names.length) throw new Error(`--only takes a comma-separated list of ${BENCHES.join(', ')}`);
  return names as BenchName[];
}

function runBench(name: BenchName): Promise<number> {
  return new Promise((done) => {
    const child = spawn('npm', ['run', '--silent', `bench:${name}`], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, BENCH_QUICK: QUICK ? '1' : '', BENCH_RESULTS_DIR: RESULTS_DIR },
    });
    child.on('exit', (code, signal) => done(code ?? (signal ? 128 : 1)));
    child.on('error', () => done(127));
  });
}

async function main(): Promise<void> {
  const names = only();
  const started = Date.now();
  mkdirSync(RESULTS_DIR, { recursive: true });
  if (
    !existsSync(API_BUNDLE) ||
    !existsSync(resolve(ROOT, 'dist/apps/worker/src/main.js')) ||
    !existsSync(resolve(ROOT, 'dist/apps/cli/src/seed.js'))
  ) {
    console.log('bench: dist missing, running npm run build');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const record: RunRecord = { mode: MODE, startedAt: new Date(started).toISOString(), benches: {}, seconds: 0 };
  for (const name of names) {
    const t = Date.now();
    console.log(`\n=== bench:${name} (${MODE}) ===`);
    const exitCode = await runBench(name);
    record.benches[name] = { exitCode, seconds: Math.round((Date.now() - t) / 100) / 10 };
    console.log(`=== bench:${name}: ${exitCode === 0 ? 'done' : `FAILED (exit ${exitCode})`} in ${record.benches[name].seconds} s ===`);
  }
  record.seconds = Math.round((Date.now() - started) / 100) / 10;
  writeFileSync(resolve(RESULTS_DIR, 'run.json'), JSON.stringify(record, null, 2) + '\n');
  const table = writeSummary(RESULTS_DIR, { readme: !QUICK });
  console.log(`\n${table}`);
  console.log(
    `all benches (${MODE}): ${record.seconds} s; ${Object.entries(record.benches)
      .map(([n, b]) => `${n} ${b.seconds} s`)
      .join(', ')}`,
  );
  const failed = Object.entries(record.benches).filter(([, b]) => b.exitCode !== 0);
  if (failed.length) {
    console.error(`failed: ${failed.map(([n, b]) => `bench:${n} (exit ${b.exitCode})`).join(', ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
