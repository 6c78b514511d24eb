/**
 * Health checks with their dependencies up and down: readiness is a 503 naming the database when
 * it does not answer, and "degraded" (still 200, still serving) when only Redis is down; /health
 * reports the cache (backend, Redis connected, hits and misses). The same behaviour against real
 * processes being killed is in server/test/faults.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';

/** A port nothing listens on (Redis "down"). */
function unusedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

/**
 * Waits for `check` to hold. The bound only ends a wait that would otherwise never end: on a
 * loaded machine (load average 20) connecting to Redis once took more than 5 s.
 */
async function until(check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('with the in-process cache', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test?.close();
  });

  it('/health reports the memory cache and counts its hits and misses', async () => {
    const first = (await test.request('/health')).json().data;
    expect(first.status).toBe('ok');
    expect(first.cache).toMatchObject({ enabled: true, backend: 'memory', redis_connected: null });
    await test.request('/api/categories/tree');
    await test.request('/api/categories/tree');
    const after = (await test.request('/health')).json().data;
    expect(after.cache.misses).toBe(first.cache.misses + 1);
    expect(after.cache.hits).toBe(first.cache.hits + 1);
    expect(after.cache.hit_rate).toBeGreaterThan(0);
  });

  it('/health/ready without Redis checks the database only', async () => {
    const response = await test.request('/health/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('/health/ready answers 503 SERVICE_UNAVAILABLE naming the database when it does not answer', async () => {
    const ping = test.database.ping;
    test.database.ping = () => Promise.reject(new Error('connect ECONNREFUSED'));
    try {
      const response = await test.request('/health/ready');
      const body = expectErrorEnvelope(response, 503, 'SERVICE_UNAVAILABLE');
      expect(body.details).toEqual({ dependency: 'database', checks: { database: 'down' } });
      // Liveness is the process only: still 200.
      expect((await test.request('/health/live')).statusCode).toBe(200);
    } finally {
      test.database.ping = ping;
    }
  });

  it('/health/ready gives up on a database that hangs after 2 s', async () => {
    const ping = test.database.ping;
    test.database.ping = () => new Promise(() => {});
    try {
      const started = performance.now();
      const response = await test.request('/health/ready');
      expect(performance.now() - started).toBeLessThan(4000);
      expectErrorEnvelope(response, 503, 'SERVICE_UNAVAILABLE');
    } finally {
      test.database.ping = ping;
    }
  });
});

describe('with Redis down', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ REDIS_URL: `redis://127.0.0.1:${await unusedPort()}` });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('is ready but degraded, and names Redis as down', async () => {
    const response = await test.request('/health/ready');
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({
      status: 'degraded',
      checks: { database: 'ok', redis: 'down' },
    });
  });

  it('/health says degraded, Redis not connected; requests are still served', async () => {
    expect((await test.request('/api/categories/tree')).statusCode).toBe(200);
    const data = (await test.request('/health')).json().data;
    expect(data.status).toBe('degraded');
    expect(data.cache).toMatchObject({ backend: 'redis', redis_connected: false, hits: 0 });
    expect(data.cache.misses).toBeGreaterThan(0);
  });

  it('a database outage is still a 503, with Redis reported alongside', async () => {
    const ping = test.database.ping;
    test.database.ping = () => Promise.reject(new Error('Connection terminated'));
    try {
      const body = expectErrorEnvelope(
        await test.request('/health/ready'),
        503,
        'SERVICE_UNAVAILABLE',
      );
      expect(body.details).toEqual({
        dependency: 'database',
        checks: { database: 'down', redis: 'down' },
      });
    } finally {
      test.database.ping = ping;
    }
  });
});

describe('with Redis up', () => {
  const prefix = `test-health-${randomBytes(4).toString('hex')}`;
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ REDIS_URL: 'redis://127.0.0.1:6379', CACHE_KEY_PREFIX: prefix });
  });
  afterAll(async () => {
    await test?.close();
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  it('is ready with both checks ok, and /health shows Redis connected', async () => {
    await until(async () => (await test.request('/health')).json().data.cache.redis_connected);
    const ready = await test.request('/health/ready');
    expect(ready.json().data).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
    const data = (await test.request('/health')).json().data;
    expect(data.status).toBe('ok');
    expect(data.cache).toMatchObject({ backend: 'redis', redis_connected: true });
  });
});
