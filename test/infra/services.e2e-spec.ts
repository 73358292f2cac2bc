import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

// Checks the primary/replica pair and Redis that scripts/services.sh provisions. The test command
// runs `bash scripts/services.sh up` before jest; this suite never creates or stops services.
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = join(ROOT, 'scripts/services.sh');

for (const file of ['.env', '.env.example']) {
  const path = join(ROOT, file);
  if (existsSync(path)) process.loadEnvFile(path); // never overrides variables already set
}
const primaryUrl = process.env.DB_PRIMARY_URL ?? 'postgres://postgres@127.0.0.1:5433/commerce';
const replicaUrl = process.env.DB_REPLICA_URL ?? 'postgres://postgres@127.0.0.1:5434/commerce';
const itWithReplica = replicaUrl ? it : it.skip;

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: 'infra-services-spec' });
  await client.connect();
  return client;
}

function services(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The global setup points DB_PRIMARY_URL at a per-run database; services.sh manages the base one.
  const env = { ...process.env, DB_PRIMARY_URL: process.env.TEST_BASE_PRIMARY_URL ?? primaryUrl };
  return new Promise((resolve) => {
    // Run from an unrelated cwd: the script must find the repo from its own path.
    execFile('bash', [SCRIPT, ...args], { cwd: tmpdir(), env, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('local services (scripts/services.sh)', () => {
  const schema = `infra_spec_${process.pid}_${randomBytes(4).toString('hex')}`;
  let primary: pg.Client;
  let replica: pg.Client | undefined;

  beforeAll(async () => {
    primary = await connect(primaryUrl);
    if (replicaUrl) replica = await connect(replicaUrl);
    await primary.query(`CREATE SCHEMA ${schema}`);
  });

  afterAll(async () => {
    await primary?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await primary?.end().catch(() => undefined);
    await replica?.end().catch(() => undefined);
  });

  it('runs the primary as a primary', async () => {
    const { rows } = await primary.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
    expect(rows[0].recovery).toBe(false);
  });

  itWithReplica('runs the replica as a hot standby that streams from the primary', async () => {
    const standby = await replica!.query<{ recovery: boolean }>('SELECT pg_is_in_recovery() AS recovery');
    expect(standby.rows[0].recovery).toBe(true);

    const senders = await primary.query<{ state: string }>('SELECT state FROM pg_stat_replication');
    expect(senders.rows.map((r) => r.state)).toContain('streaming');
    const receiver = await replica!.query<{ status: string }>('SELECT status FROM pg_stat_wal_receiver');
    expect(receiver.rows.map((r) => r.status)).toEqual(['streaming']);
  });

  itWithReplica('replicates a row written on the primary to the replica', async () => {
    const table = `${schema}.probe`;
    const token = randomBytes(8).toString('hex');
    await primary.query(`CREATE TABLE ${table} (id int PRIMARY KEY, token text NOT NULL)`);
    await primary.query(`INSERT INTO ${table} (id, token) VALUES (1, $1)`, [token]);

    const deadline = Date.now() + 10_000;
    let seen: string | undefined;
    while (seen === undefined && Date.now() < deadline) {
      try {
        const { rows } = await replica!.query<{ token: string }>(`SELECT token FROM ${table} WHERE id = 1`);
        seen = rows[0]?.token;
      } catch {
        // the table itself has not been replayed yet
      }
      if (seen === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe(token);
  });

  it('refuses writes on the replica', async () => {
    if (!replica) return;
    await expect(replica.query(`CREATE TABLE ${schema}.nope (id int)`)).rejects.toThrow(/read-only/);
  });

  it('is idempotent: a second `up` exits 0 and creates nothing', async () => {
    const result = await services('up');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).not.toMatch(/created/);
    expect(result.stdout).toMatch(/^primary: already running on \d+/m);
    if (replicaUrl) expect(result.stdout).toMatch(/^replica: in recovery, streaming from \d+/m);
    expect(result.stdout).toMatch(/^redis: already running at /m);
  });

  it('reports status', async () => {
    const result = await services('status');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^primary: running on \d+/m);
    if (replicaUrl) expect(result.stdout).toMatch(/^replica: running on \d+ .*in recovery, streaming, replay lag \d+ bytes/m);
    expect(result.stdout).toMatch(/^redis: running at /m);
  });
});
