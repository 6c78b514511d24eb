/** The request log: one JSON line per request, slow requests flagged, failures with their stack, no secrets. */
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  route?: string | null;
  path?: string;
  status?: number;
  duration_ms?: number;
  client?: string;
  slow?: boolean;
  err?: { stack?: string; message?: string };
}

const opened: TestApp[] = [];
afterAll(async () => {
  for (const test of opened) await test.close().catch(() => {});
});

async function appWithLog(overrides: Record<string, string> = {}) {
  const stream = new PassThrough();
  const lines: LogLine[] = [];
  let buffered = '';
  stream.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buffered.slice(0, newline)) as LogLine);
      buffered = buffered.slice(newline + 1);
    }
  });
  const test = await createTestApp({ LOG_LEVEL: 'info', ...overrides }, { logStream: stream });
  opened.push(test);
  const raw = () => lines.map((line) => JSON.stringify(line)).join('\n');
  return { test, lines, raw };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('request log', () => {
  it('writes exactly one line per request with id, method, route, status, duration and client', async () => {
    const { test, lines } = await appWithLog({ SLOW_REQUEST_MS: '600000' });
    const response = await test.request({
      method: 'GET',
      url: '/api/products/nobody?x=1',
      headers: { 'x-request-id': 'log-line-check' },
    });
    expect(response.statusCode).toBe(404);
    await tick();
    const mine = lines.filter((line) => line.reqId === 'log-line-check' && line.status);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      msg: 'request',
      level: 30,
      method: 'GET',
      route: '/api/products/:product_id',
      path: '/api/products/nobody',
      status: 404,
      client: '127.0.0.1',
    });
    expect(mine[0]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(mine[0]!.slow).toBeUndefined();
  });

  it('flags requests slower than SLOW_REQUEST_MS at warn', async () => {
    // A 1 ms threshold: a page read from the database takes longer than that.
    const { test, lines } = await appWithLog({ SLOW_REQUEST_MS: '1', CACHE_ENABLED: 'false' });
    await test.request('/api/products?limit=100');
    await tick();
    const line = lines.find((entry) => entry.route === '/api/products');
    expect(line).toMatchObject({ msg: 'slow request', level: 40, slow: true, status: 200 });
  });

  it('logs a failure with its stack and request id, and never a credential', async () => {
    const { test, lines, raw } = await appWithLog();
    // The database goes away under the app: the next uncached read fails.
    await test.database.close();
    const response = await test.app.inject({
      method: 'GET',
      url: '/api/products?limit=3',
      headers: {
        'x-request-id': 'failure-check',
        authorization: 'Bearer tm_do-not-log-this-secret',
        cookie: 'session=also-secret',
      },
    });
    expect(response.statusCode).toBeGreaterThanOrEqual(500);
    await tick();
    const failure = lines.find((line) => line.reqId === 'failure-check' && line.err);
    expect(failure?.level).toBe(50);
    expect(failure?.err?.stack).toMatch(/\n\s+at /);
    expect(raw()).not.toContain('do-not-log-this-secret');
    expect(raw()).not.toContain('also-secret');
  });
});
