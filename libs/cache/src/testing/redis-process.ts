import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server';
export const REDIS_CLI_BIN = process.env.REDIS_CLI_BIN ?? '/usr/bin/redis-cli';

// Every process and temp dir we create, so a test process that exits (even after a failed test)
// does not leave redis-servers behind.
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

export function makeTempDir(label: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), `${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** One raw PING over TCP: no client library, no reconnect logic, no noise. */
export function pingOnce(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let buffer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      buffer += chunk.toString();
      if (buffer.includes('\r\n')) done(buffer.startsWith('+PONG'));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SpawnedRedis {
  child: ChildProcess;
  exited: Promise<void>;
}

/**
 * Spawns redis-server and resolves once it answers PING. Rejects (with the tail of its log) when
 * it exits first, e.g. because another process took the port between our bind test and its bind.
 */
export async function spawnRedis(
  host: string,
  port: number,
  dir: string,
  extraArgs: readonly string[],
  readyTimeoutMs = 10_000,
): Promise<SpawnedRedis> {
  installExitHook();
  const logfile = join(dir, `redis-${port}.log`);
  const args = [
    '--port',
    String(port),
    '--bind',
    host,
    '--dir',
    dir,
    '--logfile',
    logfile,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--protected-mode',
    'no',
    ...extraArgs,
  ];
  const child = spawn(REDIS_SERVER_BIN, args, { stdio: 'ignore' });
  liveChildren.add(child);
  let hasExited = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      hasExited = true;
      liveChildren.delete(child);
      resolve();
    });
    child.once('error', () => {
      hasExited = true;
      liveChildren.delete(child);
      resolve();
    });
  });

  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (hasExited) break;
    if (await pingOnce(host, port)) return { child, exited };
    await sleep(20);
  }
  if (!hasExited) {
    child.kill('SIGKILL');
    await exited;
  }
  throw new Error(`redis-server on ${host}:${port} did not become ready: ${logTail(logfile)}`);
}

function logTail(logfile: string): string {
  try {
    return readFileSync(logfile, 'utf8').trim().split('\n').slice(-5).join(' | ');
  } catch {
    return '(no log)';
  }
}

/** Sends `signal` and waits for the process to be gone. */
export async function stopProcess(spawned: SpawnedRedis, signal: NodeJS.Signals): Promise<void> {
  if (spawned.child.exitCode === null && spawned.child.signalCode === null) spawned.child.kill(signal);
  await spawned.exited;
}
