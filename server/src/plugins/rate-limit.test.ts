/**
 * Rate limits per client and route group: the 429 envelope and headers, exempt routes, limits
 * shared by two instances through Redis, and failing open when Redis is away.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expectErrorEnvelope } from '../../test/helpers/envelope.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { generateToken } from '../features/auth/access.js';
import { rateLimitGroup } from './rate-limit.js';

const SYSTEM = { actor: 'test', source: 'system' as const };
const METRICS_TOKEN = 'rate-limit-test-scraper-0123456789abcdef';

/** Counts the database round trips (pool checkouts) an app makes while `work` runs. */
async function databaseTrips(test: TestApp, work: () => Promise<void>): Promise<number> {
  let trips = 0;
  const stop = test.database.observeAcquire(() => {
    trips += 1;
  });
  try {
    await work();
  } finally {
    stop();
  }
  return trips;
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

const REDIS_URL = 'redis://127.0.0.1:6379';
const opened: TestApp[] = [];
const prefixes: string[] = [];

async function app(overrides: Record<string, string>) {
  const test = await createTestApp({ RATE_LIMIT_ENABLED: 'true', ...overrides });
  opened.push(test);
  return test;
}

function redisOverrides() {
  const prefix = `test-rl-${randomBytes(6).toString('hex')}`;
  prefixes.push(prefix);
  return { REDIS_URL, CACHE_KEY_PREFIX: prefix };
}

afterAll(async () => {
  for (const test of opened.reverse()) await test.close();
  const redis = new Redis(REDIS_URL);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  redis.disconnect();
});

describe('route groups', () => {
  it('puts every /api route in one group and leaves the rest alone', () => {
    expect(rateLimitGroup('/api/products')).toBe('products');
    expect(rateLimitGroup('/api/products/:product_id/categories')).toBe('products');
    expect(rateLimitGroup('/api/bulk/assign')).toBe('bulk');
    expect(rateLimitGroup('/api/import/products')).toBe('bulk');
    expect(rateLimitGroup('/api/export/csv')).toBe('bulk');
    expect(rateLimitGroup('/api/changes/:id/undo')).toBe('bulk');
    expect(rateLimitGroup('/api/changes')).toBe('api');
    expect(rateLimitGroup('/api/categories/tree')).toBe('api');
    expect(rateLimitGroup('/api/stats')).toBe('api');
    expect(rateLimitGroup('/health/ready')).toBeUndefined();
    expect(rateLimitGroup('/metrics')).toBeUndefined();
    expect(rateLimitGroup('/*')).toBeUndefined();
    expect(rateLimitGroup(undefined)).toBeUndefined();
  });
});

describe('one instance, in-process counts', () => {
  it('answers the request over the limit with 429 in the envelope, Retry-After and RateLimit-* headers', async () => {
    const test = await app({ RATE_LIMIT_PRODUCTS_PER_MINUTE: '3' });
    for (let i = 0; i < 3; i += 1) {
      const ok = await test.request('/api/products?limit=1');
      expect(ok.statusCode).toBe(200);
      expect(ok.headers['ratelimit-limit']).toBe('3');
      expect(ok.headers['ratelimit-remaining']).toBe(String(2 - i));
    }
    const refused = await test.request('/api/products?limit=1');
    expect(refused.statusCode).toBe(429);
    expectErrorEnvelope(refused, 429, 'RATE_LIMITED');
    const body = refused.json() as { details: { group: string; limit: number } };
    expect(body.details).toMatchObject({ group: 'products', limit: 3 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.headers['ratelimit-remaining']).toBe('0');

    // Other groups keep their own budget; health, metrics and the web app are never limited.
    expect((await test.request('/api/stats')).statusCode).toBe(200);
    for (let i = 0; i < 5; i += 1) {
      expect((await test.app.inject('/health/live')).statusCode).toBe(200);
    }
    const metrics = await test.app.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('rate_limit_rejections_total{group="products"} 1');
  });

  it('gives bulk writes, imports and exports their own, stricter budget', async () => {
    const test = await app({ RATE_LIMIT_BULK_PER_MINUTE: '2' });
    const bulk = () =>
      test.request({
        method: 'POST',
        url: '/api/bulk/assign',
        payload: { product_ids: ['nope'], category_ids: [1] },
      });
    expect((await bulk()).statusCode).not.toBe(429);
    expect((await test.request('/api/export/csv')).statusCode).toBe(200);
    const refused = await bulk();
    expect(refused.statusCode).toBe(429);
    expectErrorEnvelope(refused, 429, 'RATE_LIMITED');
    expect((await test.request('/api/products?limit=1')).statusCode).toBe(200);
  });
});

describe('two instances sharing Redis', () => {
  it('count one budget per client across both', async () => {
    const shared = { ...redisOverrides(), RATE_LIMIT_PRODUCTS_PER_MINUTE: '4' };
    const first = await app(shared);
    const second = await first.peer({ RATE_LIMIT_ENABLED: 'true', ...shared });
    opened.push(second);
    const statuses: number[] = [];
    for (const instance of [first, second, first, second, first, second]) {
      statuses.push((await instance.request('/api/products?limit=1')).statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('lets requests through when Redis cannot be reached (fail open)', async () => {
    const test = await app({
      REDIS_URL: 'redis://127.0.0.1:1',
      RATE_LIMIT_PRODUCTS_PER_MINUTE: '2',
    });
    for (let i = 0; i < 5; i += 1) {
      expect((await test.request('/api/products?limit=1')).statusCode).toBe(200);
    }
  });
});

describe('requests refused before a route runs (M2)', () => {
  it('counts 404s on unknown /api paths, in the group their path belongs to', async () => {
    const test = await app({ RATE_LIMIT_API_PER_MINUTE: '5', RATE_LIMIT_PRODUCTS_PER_MINUTE: '3' });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      statuses.push((await test.request(`/api/no-such-route-${i}`)).statusCode);
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429, 429, 429]);
    const refused = await test.request('/api/nothing');
    const body = expectErrorEnvelope(refused, 429, 'RATE_LIMITED');
    expect(body.details).toMatchObject({ group: 'api', limit: 5 });
    expect(refused.headers['ratelimit-limit']).toBe('5');
    // Any spelling of an /api path the router might take falls into its group.
    expect((await test.request('//API/stats')).statusCode).toBe(429);

    // An unknown path under /api/products spends the products budget.
    const products: number[] = [];
    for (let i = 0; i < 4; i += 1) {
      products.push((await test.request(`/api/products/x/no/such/${i}`)).statusCode);
    }
    expect(products).toEqual([404, 404, 404, 429]);
    // Outside /api nothing is limited.
    expect((await test.app.inject('/health/live')).statusCode).toBe(200);
  });

  it('counts 401s and 403s in token mode', async () => {
    const test = await app({ AUTH_MODE: 'token', RATE_LIMIT_API_PER_MINUTE: '4' });
    const viewer = await test.app.tokens.create({ name: 'viewer', role: 'viewer' }, SYSTEM);
    const anonymous: number[] = [];
    for (let i = 0; i < 5; i += 1) anonymous.push((await test.request('/api/stats')).statusCode);
    expect(anonymous).toEqual([401, 401, 401, 401, 429]);

    // Another client (address) has its own budget; 403s count against it.
    const other = { remoteAddress: '10.1.2.3' };
    const writes: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const response = await test.request({
        ...other,
        method: 'POST',
        url: '/api/categories',
        headers: bearer(viewer.secret),
        payload: { name: `Forbidden ${i}` },
      });
      writes.push(response.statusCode);
    }
    expect(writes).toEqual([403, 403, 403, 403, 429]);
  });
});

describe('failed authentications (their own, stricter budget)', () => {
  it('answers 429 after RATE_LIMIT_AUTH_FAILURES_PER_MINUTE bad tokens, without looking the next ones up', async () => {
    const test = await app({
      AUTH_MODE: 'token',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '20',
      METRICS_TOKEN: METRICS_TOKEN,
      // Database trips are counted: no background poller may add one (the webhook worker polls
      // every second, and the flood can outlast a second on a loaded machine: 21 trips in CI).
      WEBHOOK_WORKER: 'false',
      JOB_RUNNER: 'false',
    });
    const viewer = await test.app.tokens.create({ name: 'viewer', role: 'viewer' }, SYSTEM);
    const statuses: number[] = [];
    // The attack of the finding: a flood of distinct bad tokens (the general budget is 600).
    // Token lookups counted where they happen (the database trips of the flood also counted
    // background readers, e.g. the metrics sampler's webhook backlog: 21 in one CI run).
    const lookups = vi.spyOn(test.app.tokens, 'authenticate');
    const trips = await databaseTrips(test, async () => {
      for (let i = 0; i < 200; i += 1) {
        const response = await test.request({
          url: '/api/stats',
          headers: bearer(generateToken()),
        });
        statuses.push(response.statusCode);
      }
    });
    expect(statuses.slice(0, 20)).toEqual(Array(20).fill(401));
    expect(statuses.slice(20)).toEqual(Array(180).fill(429));
    // One lookup per counted failure, none for the refused ones…
    expect(lookups).toHaveBeenCalledTimes(20);
    lookups.mockRestore();
    // …each one database trip (and the rare background read besides: a sample every 5 s).
    expect(trips).toBeGreaterThanOrEqual(20);
    expect(trips).toBeLessThanOrEqual(22);

    const refused = await test.request({ url: '/api/stats', headers: bearer(generateToken()) });
    const body = expectErrorEnvelope(refused, 429, 'RATE_LIMITED');
    expect(body.details).toMatchObject({ group: 'auth_failures', limit: 20 });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    // The client is stopped before authentication, valid token or not…
    const blocked = await test.request({ url: '/api/stats', headers: bearer(viewer.secret) });
    expect(blocked.statusCode).toBe(429);
    // …while another client is not affected.
    const elsewhere = await test.request({
      url: '/api/stats',
      headers: bearer(viewer.secret),
      remoteAddress: '10.9.9.9',
    });
    expect(elsewhere.statusCode).toBe(200);
    const metrics = await test.app.inject({
      url: '/metrics',
      headers: bearer(METRICS_TOKEN),
      remoteAddress: '10.9.9.10',
    });
    expect(metrics.body).toMatch(/rate_limit_rejections_total\{group="auth_failures"\} 182/);
  });

  it('counts malformed headers and revoked tokens, not requests without a token', async () => {
    const test = await app({ AUTH_MODE: 'token', RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '3' });
    const revoked = await test.app.tokens.create({ name: 'revoked', role: 'viewer' }, SYSTEM);
    await test.app.tokens.revoke(revoked.id, SYSTEM);
    for (let i = 0; i < 5; i += 1) {
      expect((await test.request('/api/stats')).statusCode).toBe(401);
    }
    expect(
      (await test.request({ url: '/api/stats', headers: { authorization: 'Basic eDp5' } }))
        .statusCode,
    ).toBe(401);
    expect(
      (await test.request({ url: '/api/stats', headers: bearer(revoked.secret) })).statusCode,
    ).toBe(401);
    expect(
      (await test.request({ url: '/api/stats', headers: bearer(generateToken()) })).statusCode,
    ).toBe(401);
    const refused = await test.request({ url: '/api/stats', headers: bearer(generateToken()) });
    expectErrorEnvelope(refused, 429, 'RATE_LIMITED');
  });

  it('is shared by instances through Redis', async () => {
    const shared = {
      ...redisOverrides(),
      AUTH_MODE: 'token',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '4',
    };
    const first = await app(shared);
    const second = await first.peer({ RATE_LIMIT_ENABLED: 'true', ...shared });
    opened.push(second);
    const statuses: number[] = [];
    for (const instance of [first, second, first, second, first, second]) {
      const response = await instance.request({
        url: '/api/stats',
        headers: bearer(generateToken()),
      });
      statuses.push(response.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
  });
});

describe('behind a proxy (TRUST_PROXY names it; `true` is refused by the config)', () => {
  it('a client cannot pick its own address with X-Forwarded-For', async () => {
    const test = await app({ TRUST_PROXY: '127.0.0.1', RATE_LIMIT_PRODUCTS_PER_MINUTE: '3' });
    const read = (remoteAddress: string, forwardedFor: string) =>
      test.request({
        url: '/api/products?limit=1',
        remoteAddress,
        headers: { 'x-forwarded-for': forwardedFor },
      });

    // Straight to the app from an address that is not the proxy: the header is not believed.
    const direct: number[] = [];
    for (let i = 0; i < 5; i += 1)
      direct.push((await read('10.0.0.5', `198.51.100.${i}`)).statusCode);
    expect(direct).toEqual([200, 200, 200, 429, 429]);

    // Through nginx (127.0.0.1), which appends the address it saw: a forged first entry is ignored.
    const forged: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      forged.push((await read('127.0.0.1', `198.51.100.${i}, 203.0.113.7`)).statusCode);
    }
    expect(forged).toEqual([200, 200, 200, 429, 429]);
    // Another client behind the same proxy keeps its own budget.
    expect((await read('127.0.0.1', '203.0.113.8')).statusCode).toBe(200);
  });
});
