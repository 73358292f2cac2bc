import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CacheService } from '@app/cache';
import { QueueAdmin } from '@app/jobs';
import { CATALOG_TEST_ENV } from '../catalog/catalog-fixtures.js';
import { registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { spawnNode, type Spawned } from '../support/spawn-node.js';
import { repoRoot } from '../support/test-env.js';
import { createTestApp } from '../support/test-app.js';
import {
  inboxCount,
  isolatedRun,
  pendingCount,
  placeOrder,
  sleep,
  unitsOf,
  until,
  type IsolatedRun,
  ISOLATED_RUN_TIMEOUT_MS,
} from './worker-fixtures.js';

const WORKER = resolve(repoRoot, 'dist/apps/worker/src/main.js');

// The requirement: "killed with SIGKILL at random points 50 times during a stream of 500 orders".
// That run takes about 2.5 min (the built worker boots in 2.5-4 s here, and a job a killed worker
// held is taken back only once its 10 s lock expired), too long to share the machine with the other
// suites: `npm test` runs it on its own after them (WORKER_CRASH_FULL=1). Inside the main run the
// same scenario runs scaled down: kills for a fixed 15 s (about 6-10 kills, at least 4) during a
// stream of 200 orders. Workers killed again and again must not fail a job for stalling
// (maxStalledCount): the full run is where that shows.
const FULL = process.env.WORKER_CRASH_FULL === '1';
const PHASE_MS = Number(process.env.WORKER_CRASH_PHASE_MS ?? 15_000);
const MIN_KILLS = 4;
const FULL_KILLS = 50;
const FULL_ORDERS = 500;
const ORDERS = FULL ? FULL_ORDERS : Number(process.env.WORKER_CRASH_ORDERS ?? 200);
/** Workers alive at once, each killed and respawned in turn. */
const LANES = 2;
const PRODUCTS = 8;
/** Stalled-job recovery (about 15 s after the last kill) plus the catch-up, with room for a busy machine. */
const FINAL_DEADLINE_MS = 75_000;

/**
 * The built worker (dist) as a child process, SIGKILLed at random points while orders stream in,
 * respawned each time. The suite has a database and a keyspace of its own: its children take
 * only its events, and no other suite's job is ever stranded in a killed worker.
 */
describe('the built worker killed with SIGKILL at random points during a stream of orders', () => {
  let run: IsolatedRun;
  let app: NestFastifyApplication;
  let products: Product[];
  let customers: RegisteredUser[];
  let childEnv: Record<string, string>;
  const alive = new Set<Spawned>();

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
    run = await isolatedRun('wk');
    const env = { ...CATALOG_TEST_ENV, ...run.env };
    app = await createTestApp(env);
    products = await (await ProductFactory.create(app)).products(PRODUCTS, { stock: 1_000_000 });
    customers = await Promise.all(Array.from({ length: 4 }, () => registerUser(app)));
    // No L1: a killed child never joins the invalidation bus, so writes elsewhere do not wait for
    // acknowledgements from a dead instance.
    childEnv = { ...run.env, LOG_LEVEL: 'info', CACHE_L1_ENABLED: 'false', WORKER_PORT: '0' };
  }, ISOLATED_RUN_TIMEOUT_MS);
  afterAll(async () => {
    for (const w of alive) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all([...alive].map((w) => w.exit));
    await app?.close();
    await run?.drop();
  });

  function spawnWorker(): Spawned {
    const w = spawnNode(WORKER, childEnv);
    alive.add(w);
    void w.exit.then(() => alive.delete(w));
    return w;
  }

  async function scenario(mode: { kills: number } | { phaseMs: number }): Promise<void> {
    const expected = new Map(products.map((p) => [p.id, 0]));
    const orderIds: string[] = [];
    let killsStarted = 0;
    let killsDone = 0;
    let placed = 0;
    const started = Date.now();
    const killing = (): boolean =>
      'kills' in mode ? killsStarted < mode.kills : Date.now() - started < mode.phaseMs || killsStarted < MIN_KILLS;
    /** How far the kill phase is (0..1): the order stream keeps pace with it. */
    const progress = (): number => ('kills' in mode ? (killsDone + 1) / mode.kills : (Date.now() - started) / mode.phaseMs + 0.05);

    // Each lane: spawn, wait until the worker reports ready, let it work 50-300 ms, SIGKILL.
    const lane = async (): Promise<void> => {
      while (killing()) {
        killsStarted++;
        const w = spawnWorker();
        await w.waitForOutput(/worker ready/, 30_000);
        await sleep(50 + Math.floor(Math.random() * 251));
        w.child.kill('SIGKILL');
        const exit = await w.exit;
        expect(exit.signal).toBe('SIGKILL');
        killsDone++;
      }
    };
    let lanesDone = false;
    // Every worker starts with a backlog: orders keep coming while it boots and while it works.
    const stream = async (): Promise<void> => {
      while (placed < ORDERS) {
        const target = Math.min(ORDERS, Math.ceil(ORDERS * progress()));
        if (placed >= target && !lanesDone) {
          await sleep(20);
          continue;
        }
        placed++;
        const n = placed;
        const lines = [...products]
          .sort(() => Math.random() - 0.5)
          .slice(0, 1 + (n % 3))
          .map((p) => ({ productId: p.id, quantity: 1 + Math.floor(Math.random() * 5) }));
        const order = await placeOrder(app, customers[n % customers.length].accessToken, lines);
        orderIds.push(order.id);
        for (const l of lines) expected.set(l.productId, expected.get(l.productId)! + l.quantity);
      }
    };
    const lanes = Promise.all(Array.from({ length: LANES }, lane)).finally(() => (lanesDone = true));
    await Promise.all([lanes, stream(), stream(), stream()]);
    const killPhaseMs = Date.now() - started;
    expect(orderIds).toHaveLength(ORDERS);

    // One worker stays up until everything is relayed and applied. BullMQ gives back the jobs of a
    // killed worker at the second stalled-job check after the kill (the first marks them, the next
    // one, 30 s later, moves them); checks run at most once per 30 s (a key with that TTL) and each
    // worker checks when it starts. So the last worker is started when that key expires: its first
    // check marks the stranded jobs, the next one gives them back (instead of up to 30 s later).
    const queue = app.get(QueueAdmin).queue('bestsellers');
    const stalledCheck = queue.toKey('stalled-check');
    const client = app.get(CacheService).client;
    await until('the stalled-job check free again', async () => (await client.pttl(stalledCheck)) < 1_500, 35_000);
    const last = spawnWorker();
    await last.waitForOutput(/worker ready/, 30_000);
    const { rows: events } = await run.db.query<{ event_id: string; order_id: string }>(
      `SELECT event_id, payload->>'orderId' AS order_id FROM outbox.events WHERE event_type = 'order.placed'`,
    );
    // One event per order, written with it.
    expect(events.map((e) => e.order_id).sort()).toEqual([...orderIds].sort());
    const eventIds = events.map((e) => e.event_id);
    const state = async (): Promise<string> => {
      const units = await unitsOf(
        run.db,
        products.map((p) => p.id),
      );
      return `pending ${await pendingCount(run.db, eventIds)}, inbox ${await inboxCount(run.db, eventIds)}/${ORDERS}, units ${JSON.stringify([...units.values()])} expected ${JSON.stringify([...expected.values()])}, failed ${await queue.getFailedCount()}`;
    };
    await until(
      'every event relayed and applied',
      async () => {
        const failed = await queue.getFailed(0, 10);
        if (failed.length)
          throw new Error(
            `${await queue.getFailedCount()} bestsellers jobs failed (their events are lost until retried), e.g. ${failed.map((j) => `${j.id}: ${j.failedReason}`).join('; ')}`,
          );
        if ((await pendingCount(run.db, eventIds)) > 0 || (await inboxCount(run.db, eventIds)) < ORDERS) return false;
        const units = await unitsOf(
          run.db,
          products.map((p) => p.id),
        );
        return products.every((p) => units.get(p.id)! >= expected.get(p.id)!);
      },
      FINAL_DEADLINE_MS,
      state,
    );

    // Exactly: not one unit more or less per product, one inbox row per placed event.
    const units = await unitsOf(
      run.db,
      products.map((p) => p.id),
    );
    expect(Object.fromEntries(units)).toEqual(Object.fromEntries(expected));
    expect(await inboxCount(run.db, eventIds)).toBe(ORDERS);
    const { rows: inbox } = await run.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM outbox.inbox WHERE handler = 'catalog.bestsellers'`,
    );
    expect(inbox[0].n).toBe(ORDERS);
    const { rows: pending } = await run.db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox.events WHERE relayed_at IS NULL');
    expect(pending[0].n).toBe(0);
    expect(await queue.getFailedCount()).toBe(0);
    // The ranking in Redis ends at the durable totals.
    const redis = app.get(CacheService);
    const unitsKey = redis.keys.hashTagged('catalog', 'bestsellers', 'units');
    await until('the ranking at the durable totals', async () => {
      const scores = await Promise.all(products.map((p) => redis.client.zscore(unitsKey, p.id)));
      return products.every((p, i) => Number(scores[i]) === expected.get(p.id));
    });

    // How many jobs a killed worker had taken and BullMQ gave back (informative).
    const completed = await queue.getCompleted(0, ORDERS * 2);
    const recovered = completed.filter((j) => (j.stalledCounter ?? 0) > 0).length;
    console.log(
      `worker crash: ${killsDone} kills in ${(killPhaseMs / 1000).toFixed(1)} s during ${ORDERS} orders; ${recovered} bestsellers jobs recovered from killed workers; caught up ${((Date.now() - started - killPhaseMs) / 1000).toFixed(1)} s after the last kill`,
    );

    last.child.kill('SIGTERM');
    const exit = await last.exit;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
  }

  (FULL ? it.skip : it)(
    `loses no event and applies none twice (scaled down: SIGKILLs for ${PHASE_MS / 1000} s during ${ORDERS} orders)`,
    () => scenario({ phaseMs: PHASE_MS }),
    120_000,
  );

  // The requirement's figures; opt-in (WORKER_CRASH_FULL=1) because it takes minutes.
  (FULL ? it : it.skip)(
    `loses no event and applies none twice (${FULL_KILLS} kills during ${FULL_ORDERS} orders)`,
    () => scenario({ kills: FULL_KILLS }),
    600_000,
  );
});
