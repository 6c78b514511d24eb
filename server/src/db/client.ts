/**
 * Database client factory: a pooled `pg` connection for PostgreSQL, or an embedded PGlite (in a
 * worker thread: pglite-thread.ts).
 * Both are exposed as the same Drizzle database type, so repositories never know which one
 * they run on.
 *
 * PGlite and Drizzle's PGlite driver are imported when the embedded database is opened, never at
 * start: on PostgreSQL the process does not load them (docs/performance-memory.md).
 */
import type { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { PGliteThread } from './pglite-thread.js';
import * as schema from './schema.js';
import { MIGRATIONS_DIR } from '../paths.js';

/** A database or an open transaction: repositories take one of these as their first argument. */
export type Executor = PgDatabase<PgQueryResultHKT, typeof schema>;

/** How the connection pool is doing: clients and the wait for one (PostgreSQL mode). */
export interface PoolStats {
  size: number;
  total: number;
  idle: number;
  waiting: number;
  acquired: number;
  acquireWaitMsTotal: number;
  acquireWaitMsMax: number;
}

export interface DatabaseHandle {
  driver: DatabaseConfig['driver'];
  /** Pool statistics; undefined for PGlite (one embedded connection). */
  poolStats(): PoolStats | undefined;
  /** Hears each pool checkout's wait in ms (PostgreSQL mode); returns the unsubscribe. */
  observeAcquire(listener: (waitedMs: number) => void): () => void;
  db: Executor;
  /** The pg pool in PostgreSQL mode (for pool statistics); undefined for PGlite. */
  pool: pg.Pool | undefined;
  /**
   * A new client outside the pool, for a session of its own (live updates LISTEN on one:
   * features/events); undefined for PGlite.
   */
  listenClient?: (() => pg.Client) | undefined;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const migrationsFolder = MIGRATIONS_DIR;

// PostgreSQL returns bigint (count, sum) as text by default; every count here fits a JS number.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Runs a query and returns its rows, on either driver. */
export async function queryRows<Row>(executor: Executor, query: SQL): Promise<Row[]> {
  const result = (await executor.execute(query)) as unknown as { rows: Row[] };
  return result.rows;
}

export async function queryOne<Row>(executor: Executor, query: SQL): Promise<Row | undefined> {
  const rows = await queryRows<Row>(executor, query);
  return rows[0];
}

/** How long a checked-out client whose connection broke may stay out before it is reclaimed. */
const BROKEN_CLIENT_GRACE_MS = 1000;

/**
 * Returns a client whose connection broke while it was checked out to the pool, should its
 * holder never do so. Drizzle's transaction sends BEGIN before its try/finally: when BEGIN fails
 * (PostgreSQL restarting) the client is never released, and each such leak costs the pool one
 * connection for good, until no request can get one. Release becomes idempotent, so a holder
 * that does release it later changes nothing; the pool drops a released broken client.
 */
function reclaimIfBroken(client: pg.PoolClient): void {
  const release = client.release.bind(client);
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  const onEnd = () => {
    timer = setTimeout(() => {
      if (!released) guarded(new Error('Connection terminated while the client was checked out'));
    }, BROKEN_CLIENT_GRACE_MS);
    timer.unref();
  };
  const guarded = (error?: Error | boolean) => {
    if (released) return;
    released = true;
    clearTimeout(timer);
    client.removeListener('end', onEnd);
    release(error);
  };
  client.release = guarded;
  client.once('end', onEnd);
}

/**
 * Times every checkout from the pool (queries check out too): how long callers wait for a
 * client is the first sign of a pool that is too small or a database that is too slow.
 */
function measureAcquire(pool: pg.Pool) {
  const stats = { acquired: 0, acquireWaitMsTotal: 0, acquireWaitMsMax: 0 };
  const listeners = new Set<(waitedMs: number) => void>();
  const connect = pool.connect.bind(pool) as (
    callback: (error: Error | undefined, client: pg.PoolClient, release: () => void) => void,
  ) => void;
  const record = (started: number) => {
    const waited = performance.now() - started;
    stats.acquired += 1;
    stats.acquireWaitMsTotal += waited;
    stats.acquireWaitMsMax = Math.max(stats.acquireWaitMsMax, waited);
    for (const listener of listeners) listener(waited);
  };
  // pg's Pool.query calls this.connect(callback); callers without a callback get a promise.
  (pool as { connect: unknown }).connect = (
    callback?: (error: Error | undefined, client: pg.PoolClient, release: () => void) => void,
  ) => {
    const started = performance.now();
    if (callback) {
      connect((error, client, release) => {
        if (error) return callback(error, client, release);
        record(started);
        reclaimIfBroken(client);
        callback(error, client, client.release);
      });
      return undefined;
    }
    return new Promise<pg.PoolClient>((resolve, reject) =>
      connect((error, client) => {
        if (error) return reject(error);
        record(started);
        reclaimIfBroken(client);
        resolve(client);
      }),
    );
  };
  const observe = (listener: (waitedMs: number) => void) => {
    listeners.add(listener);
    return () => listeners.delete(listener);
  };
  return { stats, observe };
}

const MIGRATION_LOCK_KEY = 7_201_611; // any constant shared by every instance of this app

/** The statement timeout when a caller's configuration names none (config.ts's default). */
const DEFAULT_STATEMENT_TIMEOUT_MS = 30_000;

export interface OpenDatabaseOptions {
  /**
   * Runs PGlite on the calling thread, as before the worker existed: no statement timeout, and a
   * slow statement stalls the event loop. Only for the benchmark that measures the difference.
   */
  embeddedInThread?: boolean;
}

/** Drizzle's PGlite driver and migrator, loaded on the first embedded database. */
async function drizzlePglite() {
  const [{ drizzle }, { migrate }] = await Promise.all([
    import('drizzle-orm/pglite'),
    import('drizzle-orm/pglite/migrator'),
  ]);
  return { drizzle, migrate };
}

async function pgliteHandle(
  client: PGlite | PGliteThread,
  migrating: (work: () => Promise<void>) => Promise<void> = (work) => work(),
): Promise<DatabaseHandle> {
  const { drizzle, migrate } = await drizzlePglite();
  // Drizzle's PGlite session only calls query(sql, params, options) and transaction(work).
  const db = drizzle(client as PGlite, { schema }) as unknown as Executor;
  return {
    driver: 'pglite',
    db,
    pool: undefined,
    poolStats: () => undefined,
    observeAcquire: () => () => {},
    migrate: () => migrating(() => migrate(db as never, { migrationsFolder })),
    ping: async () => {
      await client.query('select 1');
    },
    close: () => client.close(),
  };
}

/**
 * The embedded default: PGlite in a worker thread (see pglite-thread.ts), so a slow statement
 * never stalls the event loop, and statements that outrun the timeout are answered 57014.
 */
async function openPgliteWorker(dataDir: string, statementTimeoutMs: number) {
  const client = await PGliteThread.open({ dataDir, statementTimeoutMs });
  // A migration (an index over a big catalog) may outlast the timeout; it runs before serving.
  return pgliteHandle(client, (work) => client.withoutTimeout(work));
}

async function openPgliteInThread(dataDir: string) {
  const { openPglite } = await import('./pglite-options.mjs');
  return pgliteHandle(await openPglite(dataDir));
}

export async function openDatabase(
  config: DatabaseConfig,
  options: OpenDatabaseOptions = {},
): Promise<DatabaseHandle> {
  if (config.driver === 'pglite') {
    return options.embeddedInThread
      ? openPgliteInThread(config.dataDir)
      : openPgliteWorker(config.dataDir, config.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS);
  }

  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    connectionTimeoutMillis: config.connectionTimeoutMs,
    idleTimeoutMillis: config.idleTimeoutMs,
    maxLifetimeSeconds: config.maxLifetimeSeconds,
    statement_timeout: config.statementTimeoutMs || undefined,
    application_name: 'tag-manager',
  });
  // An idle client whose connection breaks emits 'error' on the pool; the pool has already
  // dropped it and will open a fresh one on the next checkout, so this must not crash the process.
  pool.on('error', () => {});
  // A checked-out client (a transaction in progress) has no listener of the pool's: when its
  // connection breaks (PostgreSQL restarting, the network gone) pg emits 'error' on the client
  // itself, which would crash the process. Its query fails on its own, and the pool drops the
  // client when it is released (a broken client is not queryable).
  pool.on('connect', (client) => client.on('error', () => {}));
  const acquire = measureAcquire(pool);
  const db = drizzlePg(pool, { schema }) as unknown as Executor;
  return {
    driver: 'postgres',
    db,
    pool,
    listenClient: () =>
      new pg.Client({
        connectionString: config.url,
        connectionTimeoutMillis: config.connectionTimeoutMs,
        application_name: 'tag-manager-listen',
        keepAlive: true,
      }),
    poolStats: () => ({
      size: config.poolSize,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      ...acquire.stats,
    }),
    observeAcquire: (listener) => {
      const unsubscribe = acquire.observe(listener);
      return () => void unsubscribe();
    },
    migrate: async () => {
      // Several instances may start at once: one migrates, the others wait for it.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => pool.end(),
  };
}
