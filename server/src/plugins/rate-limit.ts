/**
 * Rate limiting (@fastify/rate-limit) per client and per group of routes, counted in Redis when
 * Redis is configured (so the limits hold across every instance), in this process otherwise.
 *
 * Groups: `products` (/api/products…, the plan's 100 a minute), `bulk` (bulk writes, imports,
 * the CSV export and undos: the expensive ones), `api` (every other /api route). Health checks,
 * metrics, the API docs and the web app's files are never limited. A 429 is the error envelope
 * with `Retry-After` and the draft-standard `RateLimit-*` headers. If Redis fails, the limiter
 * lets requests through (fail open) and says so in the log.
 *
 * The limiter is one app-level onRequest hook, registered before access control, so a request
 * refused with 401 or 403 counts like any other, and so does an /api path no route matches
 * (404): it has no route pattern, so its group comes from its path.
 *
 * A second, stricter budget counts failed authentications (a bearer token presented and refused:
 * unknown, revoked or malformed) per client: past RATE_LIMIT_AUTH_FAILURES_PER_MINUTE the client
 * gets 429 before any token is looked up. The auth plugin calls it (`app.authFailureLimiter`).
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { AppError, rateLimited } from '../errors.js';
import { normalizedPath } from '../features/auth/access.js';

export type RateLimitGroup = 'products' | 'bulk' | 'api';

/** Which group a route belongs to; undefined for routes that are never limited. */
export function rateLimitGroup(routeUrl: string | undefined): RateLimitGroup | undefined {
  if (routeUrl === undefined || !routeUrl.startsWith('/api/')) return undefined;
  if (/^\/api\/(bulk|import|export)\//.test(routeUrl)) return 'bulk';
  // An undo writes as much as the change it reverses (up to a bulk write's size, or a job).
  if (/^\/api\/(changes|jobs)\/[^/]+\/undo$/.test(routeUrl)) return 'bulk';
  if (routeUrl === '/api/products' || routeUrl.startsWith('/api/products/')) return 'products';
  return 'api';
}

/**
 * The group of a request: its route's, or for an /api path without a route of its own (an
 * unknown path, answered 404, or one the web app's catch-all passes on) the group its path
 * would have, so that 404 floods are limited too.
 */
export function requestRateLimitGroup(request: FastifyRequest): RateLimitGroup | undefined {
  const byRoute = rateLimitGroup(request.routeOptions.url);
  if (byRoute) return byRoute;
  const path = normalizedPath(request.url);
  return path === '/api' ? 'api' : rateLimitGroup(path);
}

/** The budget of failed authentications, shared with the auth plugin. */
export interface AuthFailureLimiter {
  /** Throws the 429 when this client has used up its failed authentications this minute. */
  assertAllowed(request: FastifyRequest, reply: FastifyReply): Promise<void>;
  /** Counts one failed authentication against this client. */
  recordFailure(request: FastifyRequest): Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** null when rate limiting is off (RATE_LIMIT_ENABLED=false). */
    authFailureLimiter: AuthFailureLimiter | null;
  }
}

/** How long start-up waits for the limiter's Redis connection. */
const STARTUP_WAIT_MS = 2000;
const WINDOW_MS = 60_000;

const groupOf = (request: FastifyRequest) => requestRateLimitGroup(request);

async function rateLimitPlugin(app: FastifyInstance) {
  const { config } = app;
  const limits = config.rateLimit;
  app.decorate('authFailureLimiter', null);
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
    // Not per route (a route-level hook runs after the app-level auth hook and never for a path
    // without a route): one app-level hook below, added before the auth plugin adds its own.
    global: false,
    timeWindow: WINDOW_MS,
    max: async (request) => maxOf(groupOf(request)),
    keyGenerator: (request) => `${groupOf(request) ?? 'none'}:${request.ip}`,
    // CORS preflights are answered without work and would halve a browser client's budget.
    allowList: (request) => request.method === 'OPTIONS' || groupOf(request) === undefined,
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
  app.addHook('onRequest', app.rateLimit());

  const failureLimit = limits.authFailuresPerMinute;
  const failures = app.createRateLimit({
    max: failureLimit,
    timeWindow: WINDOW_MS,
    keyGenerator: (request) => `auth-failures:${request.ip}`,
    allowList: [],
  });
  app.authFailureLimiter = {
    async assertAllowed(request, reply) {
      const state = await failures(request, { increment: false });
      // A Redis failure reads as no failures counted (fail open, like the other limits).
      if (state.isAllowed || state.remaining > 0) return;
      const retryAfter = Math.max(1, state.ttlInSeconds);
      app.metrics.rateLimited.inc({ group: 'auth_failures' });
      reply.header('Retry-After', retryAfter);
      throw new AppError(
        429,
        'RATE_LIMITED',
        `Too many failed authentications from this client: the limit is ${failureLimit} per minute; retry in ${retryAfter} s`,
        { group: 'auth_failures', limit: failureLimit, retry_after_seconds: retryAfter },
      );
    },
    async recordFailure(request) {
      await failures(request);
    },
  };
}

export default fp(rateLimitPlugin, { name: 'rate-limit', dependencies: ['metrics'] });
