import { execFileSync } from 'node:child_process';
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
});
