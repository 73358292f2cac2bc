import type { INestApplicationContext } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Job } from 'bullmq';
import { CacheService } from '@app/cache';
import { QueueAdmin } from '@app/jobs';
import { WorkerMetrics } from '../../apps/worker/src/metrics/worker-metrics.service.js';
import { CATALOG_TEST_ENV } from '../catalog/catalog-fixtures.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import {
  inboxCount,
  isolatedRun,
  pendingCount,
  sample,
  startWorker,
  unitsOf,
  until,
  type IsolatedRun,
  ISOLATED_RUN_TIMEOUT_MS,
} from './worker-fixtures.js';

const EVENTS = 1_000;
const PRODUCTS = 20;
const PER_PRODUCT = EVENTS / PRODUCTS;

/**
 * Two workers relay and apply the same outbox at once. The suite has its own database and
 * keyspace: the two workers are the only relays of these events, so every figure is exact.
 */
describe('worker: 1,000 events relayed by two workers at once apply each effect exactly once', () => {
  let run: IsolatedRun;
  let app: NestFastifyApplication;
  let workers: INestApplicationContext[];
  let products: Product[];
  let eventIds: string[];
  const payloads = new Map<string, { orderId: string; userId: string; items: { productId: string; quantity: number }[] }>();

  beforeAll(async () => {
    run = await isolatedRun('wx');
    const env = { ...CATALOG_TEST_ENV, ...run.env };
    app = await createTestApp(env);
    products = await (await ProductFactory.create(app)).products(PRODUCTS);
    workers = await Promise.all([startWorker(env), startWorker(env)]);
  }, ISOLATED_RUN_TIMEOUT_MS);
  afterAll(async () => {
    await Promise.all((workers ?? []).map((w) => w.close()));
    await app?.close();
    await run?.drop();
  });

  const figure = async (w: INestApplicationContext, name: string, labels: Record<string, string> = {}): Promise<number> =>
    sample(await w.get(WorkerMetrics).registry.metrics(), name, labels) ?? 0;
  const sumOf = async (name: string, labels: Record<string, string> = {}): Promise<number[]> =>
    Promise.all(workers.map((w) => figure(w, name, labels)));
  const bestsellersCompleted = { queue: 'bestsellers', outcome: 'completed' };
  const queue = () => workers[0].get(QueueAdmin).queue('bestsellers');
  const ids = () => products.map((p) => p.id);
  const expectTotalsUnchanged = async (): Promise<void> => {
    const units = await unitsOf(run.db, ids());
    expect([...units.values()]).toEqual(Array(PRODUCTS).fill(PER_PRODUCT));
    expect(await inboxCount(run.db, eventIds)).toBe(EVENTS);
    const { rows } = await run.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM outbox.inbox WHERE handler = 'catalog.bestsellers'`);
    expect(rows[0].n).toBe(EVENTS);
  };
  const waitCompleted = async (job: Job): Promise<Job> =>
    until(`job ${job.id} completed`, async () => ((await queue().getJobState(job.id!)) === 'completed' ? queue().getJob(job.id!) : null));

  it('every event is relayed once and applied once: exact totals per product, one inbox row per event', async () => {
    const { rows } = await run.db.query<{
      event_id: string;
      payload: { orderId: string; userId: string; items: { productId: string; quantity: number }[] };
    }>(
      `INSERT INTO outbox.events (event_type, payload)
       SELECT 'order.placed', jsonb_build_object(
                'orderId', gen_random_uuid(), 'userId', gen_random_uuid(),
                'items', jsonb_build_array(jsonb_build_object('productId', ($1::uuid[])[1 + g % ${PRODUCTS}], 'quantity', 1)))
         FROM generate_series(0, ${EVENTS - 1}) AS g
       RETURNING event_id, payload`,
      [ids()],
    );
    eventIds = rows.map((r) => r.event_id);
    for (const r of rows) payloads.set(r.event_id, r.payload);
    expect(eventIds).toHaveLength(EVENTS);
    // Wake both relays at once (their poll would find the rows within a second anyway).
    await run.db.query(`SELECT pg_notify('outbox_events', '')`);

    await until(
      'all 1,000 events relayed and applied',
      async () =>
        (await pendingCount(run.db, eventIds)) === 0 &&
        (await inboxCount(run.db, eventIds)) === EVENTS &&
        [...(await unitsOf(run.db, ids())).values()].every((u) => u === PER_PRODUCT),
      45_000,
      async () =>
        `pending ${await pendingCount(run.db, eventIds)}, inbox ${await inboxCount(run.db, eventIds)}, units ${JSON.stringify([...(await unitsOf(run.db, ids())).values()])}`,
    );
    await expectTotalsUnchanged();

    // Relayed once: the two relays together relayed exactly 1,000 events (SKIP LOCKED shares them).
    const relayed = await sumOf('outbox_relayed_events_total');
    expect(relayed.reduce((a, b) => a + b, 0)).toBe(EVENTS);
    // Processed once each, and both workers did part of the work.
    const completed = await until('1,000 bestsellers jobs completed', async () => {
      const c = await sumOf('worker_jobs_total', bestsellersCompleted);
      return c.reduce((a, b) => a + b, 0) >= EVENTS ? c : null;
    });
    expect(completed.reduce((a, b) => a + b, 0)).toBe(EVENTS);
    expect(completed.every((c) => c > 0)).toBe(true);
    expect(await queue().getFailedCount()).toBe(0);

    // The Redis ranking ends at the durable totals.
    const redis = app.get(CacheService);
    const unitsKey = redis.keys.hashTagged('catalog', 'bestsellers', 'units');
    const scores = await Promise.all(ids().map((id) => redis.client.zscore(unitsKey, id)));
    expect(scores.map(Number)).toEqual(Array(PRODUCTS).fill(PER_PRODUCT));
  });

  it('a redelivered event (its job added again under another job id) changes nothing', async () => {
    const eventId = eventIds[123];
    const job = await queue().add('order.placed', { eventId, payload: payloads.get(eventId) }, { jobId: `${eventId}-again` });
    const done = await waitCompleted(job);
    expect(done.returnvalue).toEqual({ applied: false });
    await expectTotalsUnchanged();
  });

  it('the relay repeating events (a relay that died before its commit) changes nothing, even when their jobs are gone', async () => {
    const repeated = eventIds.slice(500, 550);
    // Two of the jobs were already removed (retention): the repeat really runs the handler again.
    const removed = repeated.slice(0, 2);
    for (const id of removed) await (await queue().getJob(id))!.remove();
    const before = (await sumOf('worker_jobs_total', bestsellersCompleted)).reduce((a, b) => a + b, 0);

    const res = await run.db.query('UPDATE outbox.events SET relayed_at = NULL WHERE event_id = ANY($1::uuid[])', [repeated]);
    expect(res.rowCount).toBe(repeated.length);
    await run.db.query(`SELECT pg_notify('outbox_events', '')`);

    await until('the repeated events relayed again', async () => (await pendingCount(run.db, repeated)) === 0);
    for (const id of removed) {
      const again = await waitCompleted(await until(`job ${id} enqueued again`, () => queue().getJob(id)));
      expect(again.returnvalue).toEqual({ applied: false });
    }
    // Jobs still in the queue were not run again: only the two re-created ones were.
    await until(
      'the re-created jobs counted',
      async () => (await sumOf('worker_jobs_total', bestsellersCompleted)).reduce((a, b) => a + b, 0) >= before + removed.length,
    );
    expect((await sumOf('worker_jobs_total', bestsellersCompleted)).reduce((a, b) => a + b, 0)).toBe(before + removed.length);
    await expectTotalsUnchanged();
  });
});
