/**
 * The pool survives connections that break while they are checked out (what a PostgreSQL
 * restart does to transactions in flight): no crash from pg's 'error' event, and a client its
 * holder never releases (Drizzle's transaction when BEGIN fails) is reclaimed, so the pool does
 * not run dry. The whole story with a real restart under load is in faults.test.ts.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type DatabaseHandle } from '../../src/db/client.js';
import {
  createTestDatabase,
  databaseUrl,
  dropTestDatabase,
  withAdmin,
} from '../helpers/postgres.js';

let name: string;
let database: DatabaseHandle;

beforeAll(async () => {
  name = await createTestDatabase();
  database = await openDatabase({
    driver: 'postgres',
    url: databaseUrl(name),
    poolSize: 2,
    connectionTimeoutMs: 2000,
    idleTimeoutMs: 10_000,
    maxLifetimeSeconds: 3600,
    statementTimeoutMs: 10_000,
  });
});
afterAll(async () => {
  await database?.close();
  if (name) await dropTestDatabase(name);
});

const terminate = (pid: number) =>
  withAdmin((admin) => admin.query('select pg_terminate_backend($1)', [pid]));

describe('pool recovery', () => {
  it('reclaims a checked-out client whose connection broke and that is never released', async () => {
    const pool = database.pool!;
    const clients = await Promise.all([pool.connect(), pool.connect()]);
    expect(pool.totalCount).toBe(2);
    // Both connections are killed while checked out; neither holder ever releases its client.
    for (const client of clients) {
      await terminate((client as unknown as { processID: number }).processID);
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(pool.totalCount).toBe(0);
    // The pool (size 2) serves queries again without a restart.
    await Promise.all([database.ping(), database.ping(), database.ping()]);
    // A late release by the holder is harmless.
    for (const client of clients) expect(() => client.release()).not.toThrow();
    expect(database.poolStats()).toMatchObject({ waiting: 0 });
  });

  it('a transaction whose connection is killed fails, and the next one succeeds', async () => {
    const failed = database.db
      .transaction(async (tx) => {
        const [row] = (
          (await tx.execute(sql`select pg_backend_pid() as pid`)) as unknown as {
            rows: { pid: number }[];
          }
        ).rows;
        await terminate(row!.pid);
        await tx.execute(sql`select 1`);
      })
      .then(
        () => 'committed',
        (error: Error) => error.message,
      );
    expect(await failed).not.toBe('committed');
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`select 1`);
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stats = database.poolStats()!;
    expect(stats.total - stats.idle).toBe(0);
  });
});
