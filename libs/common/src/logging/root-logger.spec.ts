import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./testing/buffered-log-child.ts', import.meta.url));

describe('createRootLogger with LOG_BUFFER_BYTES', () => {
  it('writes every line whole, in order, with its multi-byte characters, including the one logged just before exit', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, '500'], {
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    const lines = out
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { i: number; text: string; msg: string });
    expect(lines).toHaveLength(501);
    lines.forEach((line, i) => {
      expect(line.i).toBe(i);
      expect(line.msg).toBe('line');
    });
    expect(lines[7].text).toBe('línea 7 ✓ 😀');
    expect(lines[500].text).toBe('last');
  });
});
