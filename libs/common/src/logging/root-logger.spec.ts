import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./testing/buffered-log-child.ts', import.meta.url));

/** The lines the child wrote: `count` lines, then the one logged just before exit. */
function childLines(count: number, bufferBytes: number): { i: number; text: string; msg: string }[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, String(count), String(bufferBytes)], {
    env: { ...process.env, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return out
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { i: number; text: string; msg: string });
}

describe('createRootLogger with LOG_BUFFER_BYTES', () => {
  it('writes every line whole, in order, with its multi-byte characters, including the one logged just before exit', () => {
    const lines = childLines(500, 256);
    expect(lines).toHaveLength(501);
    lines.forEach((line, i) => {
      expect(line.i).toBe(i);
      expect(line.msg).toBe('line');
    });
    expect(lines[7].text).toBe('línea 7 ✓ 😀');
    expect(lines[500].text).toBe('last');
  });

  it('writes at exit the lines a batch still holds (fewer than its size)', () => {
    const lines = childLines(20, 8192);
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 21 }, (_, i) => i));
    expect(lines[20].text).toBe('last');
  });

  it('goes on logging while the reader of its stdout pipe takes nothing, then delivers every line in order', async () => {
    // 3,000 lines of about 1 KB: far more than a pipe holds.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, '3000', '8192', 'slow-reader'], {
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pause();
    const chunks: Buffer[] = [];
    const logged = new Promise<void>((resolve) => child.stderr.on('data', (d: Buffer) => d.toString().includes('logged') && resolve()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await logged; // a logger waiting for the reader would never get here (the test times out)
    child.stdout.on('data', (d: Buffer) => chunks.push(d)).resume();
    expect(await exited).toBe(0);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { i: number; text: string });
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 3001 }, (_, i) => i));
    expect(lines[3000].text).toBe('last');
  }, 30_000);
});
