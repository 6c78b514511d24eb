/**
 * Fault tests with real processes and real signals: the app runs as its own process
 * (`node --import tsx server/src/main.ts`) against a throwaway PostgreSQL cluster and a throwaway
 * Redis, both started here, while a few loops of reads and writes run against it. Redis is
 * killed, hung and restarted; PostgreSQL is restarted; the app gets SIGTERM; two instances share
 * one database and one Redis. Each scenario logs one line of counts:
 * `sent=…, ok=…, failed(5xx/503)=…, lost=…`.
 */
import http from 'node:http';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { seedCatalog } from '../../src/features/seed/seeder.js';
import {
  cleanupAll,
  redisServer,
  sleep,
  startApp,
  startPostgres,
  type AppProcess,
  type PostgresCluster,
  type RedisServer,
} from './harness.js';
import {
  count,
  countsLine,
  lostWrites,
  PairSource,
  request,
  sampleCatalog,
  startLoad,
  type Catalog,
} from './load.js';

const DATABASE = 'tag_manager_faults';
/** The app's pool gives up on a connection after this long (DB_CONNECTION_TIMEOUT_MS). */
const CONNECTION_TIMEOUT_MS = 2000;
/** What a failed request may take beyond that: scheduling on a busy 2-core machine. */
const SLACK_MS = 3000;

let postgres: PostgresCluster;
let redis: RedisServer;
let catalog: Catalog;
let pairs: PairSource;
let databaseUrl: string;

beforeAll(async () => {
  postgres = await startPostgres();
  const admin = new pg.Client({ connectionString: postgres.url() });
  await admin.connect();
  await admin.query(`create database ${DATABASE}`);
  await admin.end();
  databaseUrl = postgres.url(DATABASE);
  const database = await openDatabase({
    driver: 'postgres',
    url: databaseUrl,
    poolSize: 2,
    connectionTimeoutMs: 10_000,
    idleTimeoutMs: 1000,
    maxLifetimeSeconds: 60,
    statementTimeoutMs: 60_000,
  });
  try {
    await database.migrate();
    await seedCatalog(database, { products: 2000 });
  } finally {
    await database.close();
  }
  catalog = await sampleCatalog(databaseUrl);
  pairs = new PairSource(catalog);
  redis = await redisServer();
}, 120_000);

afterAll(async () => {
  await cleanupAll();
}, 60_000);

function appEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DB_POOL_SIZE: '8',
    DB_CONNECTION_TIMEOUT_MS: String(CONNECTION_TIMEOUT_MS),
    CACHE_KEY_PREFIX: 'faults',
    // Rate limiting is not what these tests are about (one client sends everything).
    RATE_LIMIT_ENABLED: 'false',
    ...extra,
  };
}

interface HealthData {
  status: string;
  database: { pool: { total: number; idle: number; waiting: number } | null };
  cache: { backend: string; redis_connected: boolean | null; hits: number; misses: number };
}

async function health(app: AppProcess): Promise<HealthData> {
  const response = await fetch(`${app.url}/health`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: HealthData }).data;
}

async function readiness(app: AppProcess) {
  const response = await fetch(`${app.url}/health/ready`);
  const body = (await response.json()) as {
    data?: { status: string; checks: Record<string, string> };
    code?: string;
    details?: Record<string, unknown>;
  };
  return { status: response.status, body };
}

/** Thrown by a waitUntil check: stop waiting, this will not happen. */
class GiveUp extends Error {}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  const attempt = () =>
    check().catch((error: unknown) => {
      if (error instanceof GiveUp) throw error;
      lastError = error;
      return false;
    });
  while (!(await attempt())) {
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting until ${what}${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await sleep(200);
  }
}

/** GET /health/live on a connection of its own: the status, or the connection error's code. */
function newConnection(base: string): Promise<string> {
  return new Promise((resolve) => {
    const outgoing = http.get(
      `${base}/health/live`,
      { agent: false, timeout: 2000 },
      (response) => {
        response.resume();
        response.on('end', () => resolve(String(response.statusCode)));
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error('timeout')));
    outgoing.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

/** Repeats one read until the app's cache hit counter moves (the cache works again). */
async function expectCacheHits(app: AppProcess) {
  const before = (await health(app)).cache.hits;
  for (let i = 0; i < 3; i += 1) {
    expect((await request(app.url, 'GET', '/api/categories/tree')).status).toBe(200);
  }
  const after = (await health(app)).cache.hits;
  expect(after).toBeGreaterThan(before);
  return after - before;
}

describe('faults (real processes)', () => {
  it('Redis killed mid-run and restarted: every request succeeds; caching resumes', async () => {
    await redis.ensure();
    const app = await startApp('app', appEnv({ REDIS_URL: redis.url }));
    try {
      await expectCacheHits(app);
      const load = startLoad(catalog, pairs, {
        urls: [app.url],
        loops: 6,
        seconds: 12,
        writeEvery: 5,
      });
      await sleep(3000);
      await redis.kill();
      await sleep(1500);
      const down = await readiness(app);
      expect(down.status).toBe(200);
      expect(down.body.data).toEqual({
        status: 'degraded',
        checks: { database: 'ok', redis: 'down' },
      });
      expect((await health(app)).cache.redis_connected).toBe(false);
      await sleep(2500);
      await redis.start();
      const { outcomes, acknowledged } = await load.done;

      await waitUntil('the app reconnects to Redis', async () => {
        return (await health(app)).cache.redis_connected === true;
      });
      const ready = await readiness(app);
      expect(ready.body.data).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
      const hits = await expectCacheHits(app);
      const lost = await lostWrites(databaseUrl, acknowledged);
      const counts = count(outcomes);
      console.info(countsLine('redis-restart', counts, lost.length, `hits_after_restart=${hits}`));
      expect(counts.ok).toBe(counts.sent);
      expect(lost).toEqual([]);
    } finally {
      await app.stop();
    }
  }, 90_000);

  it('Redis hung (SIGSTOP) mid-run: requests still succeed within a bounded time; no stale read after', async () => {
    await redis.ensure();
    const app = await startApp('app', appEnv({ REDIS_URL: redis.url }));
    try {
      await expectCacheHits(app);
      // Products whose detail is cached now and that are written while Redis hangs, when the
      // version bump cannot reach Redis: once it answers again, their detail must be fresh.
      const probes = Array.from({ length: 5 }, () => pairs.take());
      const detail = (handle: string) => `/api/products/${encodeURIComponent(handle)}`;
      for (const probe of probes) {
        await request(app.url, 'GET', detail(probe.handle));
        await request(app.url, 'GET', detail(probe.handle));
      }
      const load = startLoad(catalog, pairs, {
        urls: [app.url],
        loops: 6,
        seconds: 8,
        writeEvery: 5,
      });
      await sleep(2000);
      redis.pause();
      await sleep(1500);
      for (const probe of probes) {
        const assigned = await request(app.url, 'POST', `${detail(probe.handle)}/categories`, {
          category_ids: [probe.categoryId],
        });
        expect(assigned.status).toBe(201);
      }
      await sleep(1500);
      redis.resume();
      const { outcomes, acknowledged } = await load.done;
      const lost = await lostWrites(databaseUrl, [...acknowledged, ...probes]);
      const counts = count(outcomes);
      const slowest = Math.max(...outcomes.map((outcome) => outcome.ms));
      await waitUntil('the app talks to Redis again', async () => {
        return (await health(app)).cache.redis_connected === true;
      });
      let stale = 0;
      for (const probe of probes) {
        const response = await fetch(app.url + detail(probe.handle));
        const product = (await response.json()) as { data: { categories: { id: number }[] } };
        if (!product.data.categories.some((category) => category.id === probe.categoryId)) {
          stale += 1;
        }
      }
      console.info(
        countsLine(
          'redis-hung',
          counts,
          lost.length,
          `max_ms=${Math.round(slowest)}, stale_reads_after=${stale}/${probes.length}`,
        ),
      );
      expect(counts.ok).toBe(counts.sent);
      expect(lost).toEqual([]);
      // A Redis call gives up after 1 s, then Redis is skipped for a moment.
      expect(slowest).toBeLessThan(5000);
      expect(stale).toBe(0);
      await expectCacheHits(app);
    } finally {
      redis.resume();
      await app.stop();
    }
  }, 90_000);

  it('Redis down from the start: the app serves from the database, then caches once Redis is up', async () => {
    await redis.kill();
    const app = await startApp('app', appEnv({ REDIS_URL: redis.url }));
    try {
      const ready = await readiness(app);
      expect(ready.status).toBe(200);
      expect(ready.body.data).toEqual({
        status: 'degraded',
        checks: { database: 'ok', redis: 'down' },
      });
      const { outcomes, acknowledged } = await startLoad(catalog, pairs, {
        urls: [app.url],
        loops: 4,
        seconds: 5,
        writeEvery: 5,
      }).done;
      const before = await health(app);
      expect(before.cache).toMatchObject({ backend: 'redis', redis_connected: false, hits: 0 });
      await redis.start();
      await waitUntil('the app connects to Redis', async () => {
        return (await health(app)).cache.redis_connected === true;
      });
      const hits = await expectCacheHits(app);
      const lost = await lostWrites(databaseUrl, acknowledged);
      const counts = count(outcomes);
      console.info(countsLine('redis-down-at-start', counts, lost.length, `hits_once_up=${hits}`));
      expect(counts.ok).toBe(counts.sent);
      expect(lost).toEqual([]);
    } finally {
      await app.stop();
    }
  }, 90_000);

  it('PostgreSQL restarted mid-load: fast 503s during the outage, recovery without a restart, no acknowledged write lost', async () => {
    await redis.ensure();
    const app = await startApp('app', appEnv({ REDIS_URL: redis.url }));
    try {
      const load = startLoad(catalog, pairs, {
        urls: [app.url],
        loops: 8,
        seconds: 16,
        writeEvery: 3,
      });
      await sleep(4000);
      const stopping = performance.now();
      await postgres.stop('fast');
      await sleep(1000);
      const down = await readiness(app);
      expect(down.status).toBe(503);
      expect(down.body).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { dependency: 'database' },
      });
      await sleep(3000);
      await postgres.start();
      const restarted = performance.now();
      const { outcomes, acknowledged } = await load.done;
      expect(app.running(), app.output()).toBe(true);

      const counts = count(outcomes);
      const failed = outcomes.filter(
        (outcome) => outcome.status !== undefined && outcome.status >= 400,
      );
      const during = outcomes.filter(
        (outcome) => outcome.started >= stopping && outcome.started < restarted,
      );
      const afterRecovery = outcomes.filter((outcome) => outcome.started > restarted + 2000);
      const lost = await lostWrites(databaseUrl, acknowledged);
      console.info(
        countsLine(
          'postgres-restart',
          counts,
          lost.length,
          `acknowledged_writes=${acknowledged.length}, during_outage=${during.length}, after_recovery_ok=${afterRecovery.filter((o) => o.status === 200 || o.status === 201).length}/${afterRecovery.length}`,
        ),
      );
      // Every failure is a 503 naming the database, never a 500, a hang or a dropped connection.
      expect(counts.internal, JSON.stringify(app.loggedErrors())).toBe(0);
      expect(counts.noAnswer).toEqual({});
      expect(failed.filter((o) => o.status !== 503 || o.dependency !== 'database')).toEqual([]);
      expect(counts.unavailable).toBeGreaterThan(0);
      expect(counts.maxFailedMs).toBeLessThan(CONNECTION_TIMEOUT_MS + SLACK_MS);
      // Recovered without restarting the app.
      expect(afterRecovery.length).toBeGreaterThan(0);
      expect(afterRecovery.filter((o) => o.status! >= 400)).toEqual([]);
      expect((await readiness(app)).status).toBe(200);
      // No client leaked by a transaction whose connection broke: all of them are back.
      const pool = (await health(app)).database.pool!;
      expect(pool.total - pool.idle, JSON.stringify(pool)).toBe(0);
      expect(lost).toEqual([]);
    } finally {
      await app.stop();
    }
  }, 90_000);

  it('SIGTERM during load: requests in flight complete, new ones are refused, exit 0', async () => {
    await redis.ensure();
    // Room in the pool for every held request, and no pool timeout while they wait.
    const app = await startApp(
      'app',
      appEnv({
        REDIS_URL: redis.url,
        SHUTDOWN_TIMEOUT_MS: '10000',
        DB_POOL_SIZE: '20',
        DB_CONNECTION_TIMEOUT_MS: '10000',
      }),
    );
    // Hold every query on products, so that requests are certainly in flight in the app.
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    try {
      const load = startLoad(catalog, pairs, {
        urls: [app.url],
        loops: 6,
        seconds: 30,
        writeEvery: 3,
        uncachedReads: true,
        // Requests wait behind the lock until the signal; they must outlast the setup wait.
        timeoutMs: 75_000,
      });
      await sleep(1500);
      await blocker.query('begin');
      await blocker.query('lock table products in access exclusive mode');
      // They must outlast the setup wait below (45 s), or they time out before the signal.
      const held = Array.from({ length: 10 }, (_, i) =>
        request(
          app.url,
          'GET',
          `/api/products?limit=5&search=held-${i}-${Date.now()}`,
          undefined,
          75_000,
        ),
      );
      const waitStarted = performance.now();
      // A setup wait, not a performance bound: under a full test run the app can take a while
      // to get its requests to the database.
      let sessions = '';
      await waitUntil(
        'requests wait for the lock in the database',
        async () => {
          // The blocker is inside its transaction, and PostgreSQL keeps one snapshot of
          // pg_stat_activity per transaction: without clearing it, every poll would see the
          // sessions as they were at the first one (under load, before any request got there).
          await blocker.query('select pg_stat_clear_snapshot()');
          const activity = await blocker.query<{ state: string; wait: string; n: number }>(
            `select coalesce(state, '-') as state,
                    coalesce(wait_event_type || ':' || wait_event, '-') as wait, count(*)::int as n,
                    string_agg(distinct left(regexp_replace(query, '\\s+', ' ', 'g'), 90), ' | ') as queries
               from pg_stat_activity
              where application_name = 'tag-manager' and datname = current_database()
              group by 1, 2`,
          );
          sessions = JSON.stringify(activity.rows);
          const waiting = activity.rows.filter((row) => row.wait.startsWith('Lock:'));
          return waiting.reduce((sum, row) => sum + row.n, 0) >= 8;
        },
        45_000,
      ).catch(async (error: Error) => {
        // Say what the app's sessions were doing, for whoever meets this next.
        const pool = await health(app).then(
          (data) => JSON.stringify(data.database.pool),
          (failure: Error) => failure.message,
        );
        const settled = await Promise.all(
          held.map((outcome) =>
            Promise.race([
              outcome.then((o) => o.status ?? o.error),
              sleep(1).then(() => 'pending'),
            ]),
          ),
        );
        throw new Error(
          `${error.message}; app sessions: ${sessions}; app pool: ${pool}; held requests: ${JSON.stringify(settled)}`,
        );
      });
      const waited = performance.now() - waitStarted;
      if (waited > 5000) {
        console.info(
          `[faults] sigterm: ${Math.round(waited)} ms until 8 sessions waited on the lock; sessions ${sessions}`,
        );
      }
      const signalled = performance.now();
      app.signal('SIGTERM');
      // Stopped accepting: a new connection is refused (the listening socket is closed), while
      // the held requests are still waiting.
      let fresh = '';
      await waitUntil(
        'a new connection is refused',
        async () => (fresh = await newConnection(app.url)) === 'ECONNREFUSED',
        5000,
      ).catch(() => {});
      // The held requests keep the process alive until they are answered.
      await sleep(Math.max(0, 1000 - (performance.now() - signalled)));
      expect(app.running()).toBe(true);
      const released = performance.now();
      await blocker.query('commit');
      const heldOutcomes = await Promise.all(held);
      const exit = await app.exited;
      const { outcomes, acknowledged } = await load.stop();

      const before = outcomes.filter((outcome) => outcome.started < signalled);
      const after = outcomes.filter((outcome) => outcome.started >= signalled);
      const lost = await lostWrites(databaseUrl, acknowledged);
      const counts = count([
        ...before,
        ...heldOutcomes.map((o) => ({ kind: 'read' as const, ...o })),
      ]);
      const refused = count(after);
      console.info(
        countsLine(
          'sigterm',
          counts,
          lost.length,
          `exit_code=${exit.code}, exit_after_ms=${Math.round(exit.at - signalled)}, sent_after_sigterm=${refused.sent} (503=${refused.unavailable}, no_answer=${JSON.stringify(refused.noAnswer)})`,
        ),
      );
      expect(fresh).toBe('ECONNREFUSED');
      expect(heldOutcomes.map((o) => o.status)).toEqual(heldOutcomes.map(() => 200));
      expect(counts.ok).toBe(counts.sent);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.at).toBeGreaterThan(released);
      expect(exit.at - signalled).toBeLessThan(10_000);
      // Whatever was sent after the signal got a 503 or found the port closed; never a 500.
      expect(refused.internal).toBe(0);
      // Those 503s are the error envelope, like every other error.
      expect(after.filter((o) => o.status === 503 && o.code !== 'SERVICE_UNAVAILABLE')).toEqual([]);
      expect(lost).toEqual([]);
    } finally {
      await blocker.query('rollback').catch(() => {});
      await blocker.end();
      await app.stop();
    }
  }, 150_000);

  it('SIGTERM with a request stuck past SHUTDOWN_TIMEOUT_MS: the process exits 1 at the timeout', async () => {
    await redis.ensure();
    const app = await startApp(
      'app',
      appEnv({
        REDIS_URL: redis.url,
        SHUTDOWN_TIMEOUT_MS: '1500',
        // On a busy machine opening a connection may take a while: not what this is about.
        DB_CONNECTION_TIMEOUT_MS: '10000',
      }),
    );
    const blocker = new pg.Client({ connectionString: databaseUrl });
    await blocker.connect();
    try {
      // An open connection in the app's pool, so that the request goes straight to the lock.
      expect((await request(app.url, 'GET', '/api/products?limit=1&search=warm')).status).toBe(200);
      await blocker.query('begin');
      await blocker.query('lock table products in access exclusive mode');
      let answered: string | undefined;
      const stuck = request(app.url, 'GET', `/api/products?limit=5&search=stuck-${Date.now()}`);
      void stuck.then((outcome) => (answered = String(outcome.status ?? outcome.error)));
      await waitUntil('the request waits for the lock', async () => {
        if (answered) throw new GiveUp(`the request was answered (${answered}) instead`);
        // A fresh look each time (see the SIGTERM test above: one snapshot per transaction).
        await blocker.query('select pg_stat_clear_snapshot()');
        const waiting = await blocker.query<{ n: number }>(
          `select count(*)::int as n from pg_stat_activity
            where application_name = 'tag-manager' and wait_event_type = 'Lock'`,
        );
        return waiting.rows[0]!.n >= 1;
      });
      const signalled = performance.now();
      app.signal('SIGTERM');
      const exit = await app.exited;
      const outcome = await stuck;
      console.info(
        `[faults] sigterm-timeout: exit_code=${exit.code}, exit_after_ms=${Math.round(exit.at - signalled)}, stuck_request=${outcome.status ?? outcome.error}`,
      );
      expect(exit.code).toBe(1);
      expect(exit.at - signalled).toBeGreaterThanOrEqual(1400);
      expect(exit.at - signalled).toBeLessThan(1500 + SLACK_MS);
    } finally {
      await blocker.query('rollback').catch(() => {});
      await blocker.end();
      await app.stop();
    }
  }, 60_000);

  it('two instances on one PostgreSQL and one Redis: a write on one shows on the next read on the other', async () => {
    await redis.ensure();
    const env = appEnv({ REDIS_URL: redis.url });
    const [first, second] = await Promise.all([startApp('app-a', env), startApp('app-b', env)]);
    try {
      const load = startLoad(catalog, pairs, {
        urls: [first!.url, second!.url],
        loops: 4,
        seconds: 6,
        writeEvery: 4,
      });
      let checks = 0;
      let stale = 0;
      for (let i = 0; i < 20; i += 1) {
        const [writer, reader] = i % 2 === 0 ? [first!, second!] : [second!, first!];
        const write = pairs.take();
        const path = `/api/products/${encodeURIComponent(write.handle)}`;
        // Warm the reader's cache with the product as it is now.
        await request(reader.url, 'GET', path);
        await request(reader.url, 'GET', path);
        const assigned = await request(writer.url, 'POST', `${path}/categories`, {
          category_ids: [write.categoryId],
        });
        expect(assigned.status).toBe(201);
        const response = await fetch(reader.url + path);
        const product = ((await response.json()) as { data: { categories: { id: number }[] } })
          .data;
        checks += 1;
        if (!product.categories.some((category) => category.id === write.categoryId)) stale += 1;
      }
      const { outcomes, acknowledged } = await load.done;
      const lost = await lostWrites(databaseUrl, acknowledged);
      const counts = count(outcomes);
      console.info(
        countsLine(
          'two-instances',
          counts,
          lost.length,
          `read_after_write=${checks - stale}/${checks}`,
        ),
      );
      expect(stale).toBe(0);
      expect(counts.ok).toBe(counts.sent);
      expect(lost).toEqual([]);
    } finally {
      await first?.stop();
      await second?.stop();
    }
  }, 90_000);
});
