import { Module } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ConfigModule } from '@app/common';
import { DatabaseModule, ReplicaReader } from '@app/database';
import { testConfig } from '../support/test-app.js';
import { hostPortOf, TcpProxy } from '../support/tcp-proxy.js';

@Module({ imports: [DatabaseModule.forRoot({ applicationName: 'replica-test', runMigrations: false })] })
class DbOnly {}

async function boot(overrides: Record<string, string> = {}): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(testConfig(overrides)), DbOnly] }).compile();
  await moduleRef.init();
  return moduleRef;
}

/**
 * Retries until `ok` (or the deadline). An error counts as "not yet": on a lagging replica a table
 * created a moment ago on the primary does not exist yet. The last error is rethrown at the end.
 */
async function eventually<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      const value = await probe();
      if (ok(value) || Date.now() >= deadline) return value;
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

type Probe = () => Promise<{ source: string; rows: { r: boolean }[] }>;

/** Which server answered: the replica is in recovery, the primary is not. */
function recoveryProbe(reader: ReplicaReader): Probe {
  return () => reader.read(async (m, source) => ({ source, rows: await m.query<{ r: boolean }[]>('SELECT pg_is_in_recovery() AS r') }));
}

async function expectBackOnReplica(probe: Probe): Promise<void> {
  const after = await eventually(probe, (v) => v.source === 'replica', 15_000);
  expect(after.rows[0].r).toBe(true);
}

describe('primary/replica through TypeORM', () => {
  let moduleRef: TestingModule;
  let dataSource: DataSource;
  let reader: ReplicaReader;

  beforeAll(async () => {
    moduleRef = await boot();
    dataSource = moduleRef.get(getDataSourceToken());
    reader = moduleRef.get(ReplicaReader);
    await dataSource.query('CREATE TABLE IF NOT EXISTS public.replication_probe (id serial PRIMARY KEY, note text NOT NULL)');
  });
  afterAll(async () => {
    await dataSource.query('DROP TABLE IF EXISTS public.replication_probe');
    await moduleRef.close();
  });

  it('sends default queries to the primary', async () => {
    const [row] = await dataSource.query('SELECT pg_is_in_recovery() AS r');
    expect(row.r).toBe(false);
  });

  it('reads the replica through the helper (pg_is_in_recovery() is true there)', async () => {
    const result = await reader.read(async (manager, source) => ({ source, rows: await manager.query('SELECT pg_is_in_recovery() AS r') }));
    expect(result.source).toBe('replica');
    expect(result.rows[0].r).toBe(true);
  });

  it('a write on the primary appears on the replica', async () => {
    const note = `n-${Date.now()}-${Math.random()}`;
    await dataSource.query('INSERT INTO public.replication_probe (note) VALUES ($1)', [note]);
    const rows = await eventually(
      () => reader.read((m) => m.query<unknown[]>('SELECT note FROM public.replication_probe WHERE note = $1', [note])),
      (r) => r.length === 1,
    );
    expect(rows).toEqual([{ note }]);
  });

  it('always releases its query runner, also when the work throws', async () => {
    const pool = (dataSource.driver as unknown as { slaves: { totalCount: number; idleCount: number }[] }).slaves[0];
    for (let i = 0; i < 30; i++) {
      await expect(reader.read((m) => m.query('SELECT 1/0'))).rejects.toThrow();
      await reader.read((m) => m.query('SELECT 1'));
    }
    expect(pool.totalCount - pool.idleCount).toBe(0);
  });

  it('falls back to the primary when the replica is down, and returns to it afterwards', async () => {
    const proxy = new TcpProxy(hostPortOf(process.env.DB_REPLICA_URL!));
    await proxy.start();
    const isolated = await boot({ DB_REPLICA_URL: proxy.rewrite(process.env.DB_REPLICA_URL!) });
    try {
      const probe = recoveryProbe(isolated.get(ReplicaReader));
      expect((await probe()).source).toBe('replica');

      await proxy.stop();
      const during = await probe();
      expect(during.source).toBe('primary');
      expect(during.rows[0].r).toBe(false);

      await proxy.start();
      await expectBackOnReplica(probe);
    } finally {
      await isolated.close();
      await proxy.stop();
    }
  });

  it('starts while the replica is down and uses it once it is back', async () => {
    const proxy = new TcpProxy(hostPortOf(process.env.DB_REPLICA_URL!));
    await proxy.start();
    const url = proxy.rewrite(process.env.DB_REPLICA_URL!);
    await proxy.stop();
    const isolated = await boot({ DB_REPLICA_URL: url });
    try {
      const probe = recoveryProbe(isolated.get(ReplicaReader));
      expect((await probe()).source).toBe('primary');
      await proxy.start();
      await expectBackOnReplica(probe);
    } finally {
      await isolated.close();
      await proxy.stop();
    }
  });
});
