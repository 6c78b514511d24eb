/**
 * Rate limits per client and route group: the 429 envelope and headers, exempt routes, limits
 * shared by two instances through Redis, and failing open when Redis is away.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { expectErrorEnvelope } from '../../test/helpers/envelope.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { rateLimitGroup } from './rate-limit.js';

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
