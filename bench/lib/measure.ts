import { performance } from 'node:perf_hooks';

/**
 * Throughput with `inFlight` concurrent callers, each awaiting its previous call (a closed loop,
 * like request handlers). Runs `warmupMs` uncounted first (JIT, connection, L1 fill).
 */
export async function opsPerSec(
  op: (i: number) => Promise<unknown>,
  opts: { inFlight: number; durationMs: number; warmupMs: number; keys: number },
): Promise<number> {
  const run = async (ms: number): Promise<{ ops: number; elapsed: number }> => {
    let ops = 0;
    const started = performance.now();
    const end = started + ms;
    // The clock is read in the loop, not by a timer: an L1 hit resolves in a microtask, and a
    // loop of microtasks never lets a timer fire.
    await Promise.all(
      Array.from({ length: opts.inFlight }, async (_, worker) => {
        let i = worker * 7919; // spread the callers over the key set
        // Read the clock every 16 calls: for L1 hits a clock read per call would cost as much as the hit.
        do {
          for (let n = 0; n < 16; n++) await op(i++ % opts.keys);
          ops += 16;
        } while (performance.now() < end);
      }),
    );
    return { ops, elapsed: performance.now() - started };
  };
  await run(opts.warmupMs);
  const { ops, elapsed } = await run(opts.durationMs);
  return (ops / elapsed) * 1000;
}
