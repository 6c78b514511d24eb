import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readFileSync } from 'node:fs';
import { HealthResponse, LivenessResponse, ReadinessResponse } from '@tag-manager/contract';
import { RedisBackend } from '../../cache/redis-backend.js';
import { AppError } from '../../errors.js';
import { envelope } from '../../http/envelope.js';
import { PACKAGE_JSON } from '../../paths.js';

/** How long readiness waits for the database, and for Redis, before calling it down. */
const READY_TIMEOUT_MS = 2000;
const REDIS_READY_TIMEOUT_MS = 1000;
const VERSION = (
  JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as {
    version: string;
  }
).version;

function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  /** The cache: its backend, whether Redis is connected, hits and misses since start. */
  const cacheState = () => {
    let hits = 0;
    let misses = 0;
    for (const counters of app.cache.counters.values()) {
      hits += counters.hits;
      misses += counters.misses;
    }
    const backend = app.cache.backend;
    return {
      enabled: app.config.cache.enabled,
      backend: backend.kind,
      redis_connected: backend.kind === 'redis' ? backend.healthy() : null,
      hits,
      misses,
      hit_rate: hits + misses > 0 ? Math.round((hits / (hits + misses)) * 10_000) / 10_000 : null,
    };
  };

  app.get(
    '/health/live',
    {
      schema: {
        operationId: 'getLiveness',
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: LivenessResponse },
      },
    },
    async (request) => envelope(request, { status: 'ok' as const }),
  );

  app.get(
    '/health',
    {
      schema: {
        operationId: 'getHealth',
        tags: ['health'],
        summary: 'Version, uptime, the database connection pool and the cache',
        response: { 200: HealthResponse },
      },
    },
    async (request) => {
      const pool = app.database.poolStats();
      const cache = cacheState();
      return envelope(request, {
        status: cache.redis_connected === false ? ('degraded' as const) : ('ok' as const),
        version: VERSION,
        uptime_seconds: Math.round(process.uptime()),
        database: {
          driver: app.database.driver,
          pool:
            pool === undefined
              ? null
              : {
                  size: pool.size,
                  total: pool.total,
                  idle: pool.idle,
                  waiting: pool.waiting,
                  acquired: pool.acquired,
                  acquire_wait_ms_total: Math.round(pool.acquireWaitMsTotal * 1000) / 1000,
                  acquire_wait_ms_max: Math.round(pool.acquireWaitMsMax * 1000) / 1000,
                },
        },
        cache,
      });
    },
  );

  app.get(
    '/health/ready',
    {
      schema: {
        operationId: 'getReadiness',
        tags: ['health'],
        summary:
          'The database answers (else 503 naming it); Redis, when configured, answers (else 200 "degraded")',
        response: { 200: ReadinessResponse },
      },
    },
    async (request) => {
      const backend = app.cache.backend;
      const [database, redis] = await Promise.all([
        within(app.database.ping(), READY_TIMEOUT_MS).then(
          () => 'ok' as const,
          () => 'down' as const,
        ),
        backend instanceof RedisBackend
          ? backend
              .ping(REDIS_READY_TIMEOUT_MS)
              .then((answers) => (answers ? ('ok' as const) : ('down' as const)))
          : undefined,
      ]);
      const redisCheck = redis === undefined ? {} : { redis };
      if (database === 'down') {
        throw new AppError(503, 'SERVICE_UNAVAILABLE', 'The database is not reachable', {
          dependency: 'database',
          checks: { database, ...redisCheck },
        });
      }
      // Without Redis every request still succeeds (from the database): not ready would take
      // every instance out of the load balancer at once for a cache outage.
      return envelope(request, {
        status: redis === 'down' ? ('degraded' as const) : ('ok' as const),
        checks: { database, ...redisCheck },
      });
    },
  );
};

export default healthRoutes;
