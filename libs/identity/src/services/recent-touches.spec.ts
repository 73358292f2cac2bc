import { RecentTouches } from './recent-touches.js';

describe('RecentTouches', () => {
  it('refuses an id touched within the window and takes it again after', () => {
    const t = new RecentTouches(60_000, 100);
    expect(t.touch('a', 0)).toBe(true);
    expect(t.touch('a', 59_999)).toBe(false);
    expect(t.touch('b', 30_000)).toBe(true);
    expect(t.touch('a', 60_000)).toBe(true);
    // 'a' moved to the end: at 90,000 'b' is expired, 'a' is not.
    expect(t.touch('b', 90_000)).toBe(true);
    expect(t.touch('a', 90_000)).toBe(false);
  });

  it('drops expired ids as new ones arrive, so it holds only the last window', () => {
    const t = new RecentTouches(1_000, 1_000_000);
    for (let i = 0; i < 10_000; i++) t.touch(`id-${i}`, i);
    expect(t.size).toBe(1_000);
    expect(t.touch('id-8999', 9_999)).toBe(true); // expired (9,999 - 8,999 = ttl)
    expect(t.touch('id-9000', 9_999)).toBe(false);
  });

  it('keeps at most max ids, dropping the oldest', () => {
    const t = new RecentTouches(60_000, 3);
    for (const id of ['a', 'b', 'c', 'd']) expect(t.touch(id, 10)).toBe(true);
    expect(t.size).toBe(3);
    expect(t.touch('a', 11)).toBe(true); // pushed out: touched again
    expect(t.touch('d', 11)).toBe(false);
  });
});
