import { getHeapSpaceStatistics } from 'node:v8';
import { IdleMemoryRelease, fullCollector, gcExtension } from './idle-memory-release.js';

const MB = 1_048_576;

/**
 * A release driven by hand: utilization per check, resident memory and collections under control.
 * Unless `fresh`, past its start-up release: 90 MB after it, 100 MB now.
 */
function harness(options: { idleMs?: number; minGrowthMb?: number; fresh?: boolean } = {}) {
  const state = { utilization: 0, rssMb: 100, collections: 0, rssAfterCollectMb: 90 };
  const release = new IdleMemoryRelease({
    idleMs: options.idleMs ?? 1_000,
    minGrowthBytes: (options.minGrowthMb ?? 16) * MB,
    checkEveryMs: 500,
    utilization: () => state.utilization,
    rss: () => state.rssMb * MB,
    collect: () => {
      state.collections++;
      state.rssMb = state.rssAfterCollectMb;
    },
  });
  const checks = (utilization: number, n: number) => {
    state.utilization = utilization;
    return Array.from({ length: n }, () => release.check()).filter((r) => r !== undefined);
  };
  if (!options.fresh) {
    checks(0.01, 4);
    expect(state.collections).toBe(1);
    state.collections = 0;
    state.rssMb = 100;
  }
  return { state, release, checks };
}

describe('IdleMemoryRelease', () => {
  it('counts starting up as the first burst: its garbage is given back at the first idle stretch', () => {
    const { state, checks } = harness({ fresh: true });
    state.rssMb = 130;
    expect(checks(0.01, 1)).toHaveLength(0);
    expect(checks(0.01, 1)).toEqual([{ rssBeforeBytes: 130 * MB, rssAfterBytes: 90 * MB, ms: expect.any(Number) }]);
  });

  it('releases once a busy period is followed by idleMs of idle, when resident memory grew', () => {
    const { state, checks } = harness();
    checks(0.9, 4);
    state.rssMb = 150;
    expect(checks(0.01, 1)).toHaveLength(0); // idle for 500 ms of the 1,000 needed
    const released = checks(0.01, 1);
    expect(released).toEqual([{ rssBeforeBytes: 150 * MB, rssAfterBytes: 90 * MB, ms: expect.any(Number) }]);
    expect(state.collections).toBe(1);
  });

  it('does not release twice for one burst', () => {
    const { state, checks } = harness();
    checks(0.9, 2);
    state.rssMb = 150;
    checks(0.01, 2);
    state.rssMb = 150; // grew again while idle (no busy period since)
    checks(0.01, 20);
    expect(state.collections).toBe(1);
  });

  it('never releases while busy, nor under light traffic without a busy period', () => {
    const { state, checks } = harness();
    state.rssMb = 200;
    checks(0.9, 50);
    expect(state.collections).toBe(0);
    const light = harness();
    light.state.rssMb = 200;
    light.checks(0.1, 50); // 10 % busy: neither busy nor idle
    light.checks(0.01, 50);
    expect(light.state.collections).toBe(0);
  });

  it('waits for idle to last: moderate use in between starts the idle time over', () => {
    const { state, checks } = harness({ idleMs: 1_000 });
    checks(0.9, 1);
    state.rssMb = 150;
    checks(0.01, 1);
    checks(0.1, 1); // neither busy nor idle: idle time starts over
    checks(0.01, 1);
    expect(state.collections).toBe(0);
    checks(0.01, 1);
    expect(state.collections).toBe(1);
  });

  it('leaves memory alone when the burst grew it by less than minGrowthBytes since the last release', () => {
    const { state, checks } = harness({ minGrowthMb: 16 });
    checks(0.9, 1);
    state.rssMb = 100; // the start-up release left 90 MB: +10 MB
    checks(0.01, 10);
    expect(state.collections).toBe(0);
    checks(0.9, 1);
    state.rssMb = 120; // +30 MB
    checks(0.01, 2);
    expect(state.collections).toBe(1);
    // The baseline is again what the release left (90 MB): the next burst is judged from there.
    checks(0.9, 1);
    state.rssMb = 100;
    checks(0.01, 2);
    expect(state.collections).toBe(1);
  });

  it('is off with idleMs 0', () => {
    const release = new IdleMemoryRelease({ idleMs: 0, minGrowthBytes: MB, collect: () => undefined });
    expect(release.enabled).toBe(false);
    expect(release.start()).toBe(release);
    release.stop();
  });

  it("gives back the pages an ordinary full collection keeps pooled (V8's page pool)", () => {
    const collect = fullCollector();
    expect(collect).toBeDefined();
    const gc = gcExtension()!;
    const regular = () => gc({ type: 'major', execution: 'sync' });
    // Start from an empty pool: pages pooled by earlier work in this process would take the
    // allocation below without RSS growing.
    collect!();
    const before = process.memoryUsage.rss();
    // About 110 MB of small objects that outlive a full collection, dropped when this returns.
    const grown = (() => {
      const keep = Array.from({ length: 1_000_000 }, (_, i) => [i, i + 1, i + 2, i + 3, i + 4, i + 5, i + 6, i + 7]);
      regular();
      expect(keep.length).toBe(1_000_000);
      return process.memoryUsage.rss();
    })();
    expect(grown - before).toBeGreaterThan(64 * MB);
    regular();
    const afterRegular = process.memoryUsage.rss();
    collect!();
    const afterRelease = process.memoryUsage.rss();
    // The ordinary collection freed the objects but kept most of their pages resident, pooled; the
    // release returns them.
    expect(afterRegular - before).toBeGreaterThan(48 * MB);
    expect(afterRegular - afterRelease).toBeGreaterThan(48 * MB);
  });

  it('shrinks the young generation a load grew, which an ordinary full collection keeps (V8_MAX_SEMI_SPACE_MB is a peak)', () => {
    const collect = fullCollector()!;
    const newSpace = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_size;
    collect();
    const idle = newSpace();
    // Short-lived objects with many survivors per scavenge (requests in flight, in a server): V8
    // grows its semi-spaces towards their limit.
    let inFlight: unknown[] = [];
    for (let i = 0; i < 3_000_000; i++) {
      inFlight.push({ i, text: `request ${i}` });
      if (inFlight.length > 200_000) inFlight = [];
    }
    expect(inFlight.length).toBeGreaterThan(0);
    expect(newSpace()).toBeGreaterThanOrEqual(2 * idle);
    collect();
    expect(newSpace()).toBeLessThanOrEqual(idle);
  });
});
