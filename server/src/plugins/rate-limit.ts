/**
 * Rate limiting (@fastify/rate-limit) per client and per group of routes, counted in Redis when
 * Redis is configured (so the limits hold across every instance), in this process otherwise.
 *
 * Groups: `products` (/api/products…, the plan's 100 a minute), `bulk` (bulk writes, imports
 * and the CSV export: the expensive ones), `api` (every other /api route). Health checks,
 * metrics, the API docs and the web app's files are never limited. A 429 is the error envelope
 * with `Retry-After` and the draft-standard `RateLimit-*` headers. If Redis fails, the limiter
 * lets requests through (fail open) and says so in the log.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { rateLimited } from '../errors.js';

export type RateLimitGroup = 'products' | 'bulk' | 'api';

/** Which group a route belongs to; undefined for routes that are never limited. */
export function rateLimitGroup(routeUrl: string | undefined): RateLimitGroup | undefined {
  if (routeUrl === undefined || !routeUrl.startsWith('/api/')) return undefined;
  if (/^\/api\/(bulk|import|export)\//.test(routeUrl)) return 'bulk';
  if (routeUrl === '/api/products' || routeUrl.startsWith('/api/products/')) return 'products';
  return 'api';
}

/** How long start-up waits for the limiter's Redis connection. */
const STARTUP_WAIT_MS = 2000;

const groupOf = (request: FastifyRequest) => rateLimitGroup(request.routeOptions.url);

async function rateLimitPlugin(app: FastifyInstance) {
  const { config } = app;
  const limits = config.rateLimit;
  if (!limits.enabled) return;

  let redis: Redis | undefined;
  if (config.cache.redisUrl) {
    redis = new Redis(config.cache.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 1000,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    let lastReported = 0;
    redis.on('error', (error) => {
      if (Date.now() - lastReported < 10_000) return;
      lastReported = Date.now();
      app.log.warn(
        { err: error },
        'Rate limiter: Redis unavailable, letting requests through until it returns',
      );
    });
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
    // Give Redis a moment to connect, so the first requests are counted too; if it does not
    // come, start anyway (failing open) and count once it does.
    const connecting = redis;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STARTUP_WAIT_MS);
      connecting.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  const maxOf = (group: RateLimitGroup | undefined) =>
    group === 'products'
      ? limits.productsPerMinute
      : group === 'bulk'
        ? limits.bulkPerMinute
        : limits.apiPerMinute;

  await app.register(rateLimit, {
    global: true,
    timeWindow: 60_000,
    max: async (request) => maxOf(groupOf(request)),
    keyGenerator: (request) => `${groupOf(request) ?? 'none'}:${request.ip}`,
    allowList: (request) => groupOf(request) === undefined,
    redis,
    nameSpace: `${config.cache.keyPrefix}:rate-limit:`,
    skipOnError: true,
    enableDraftSpec: true,
    onExceeded: (request) => {
      app.metrics.rateLimited.inc({ group: groupOf(request) ?? 'none' });
    },
    errorResponseBuilder: (request, context) => {
      const group = groupOf(request) ?? 'none';
      return rateLimited(group, context.max, Math.max(1, Math.ceil(context.ttl / 1000)));
    },
  });
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['metrics'] });
