/** The request log: one JSON line per request, slow requests flagged, failures with their stack, no secrets. */
import { PassThrough } from 'node:stream';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LOGGED_TEXT } from './request-log.js';
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
  err?: Record<string, unknown> & { stack?: string; message?: string };
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

describe('logged errors (L1 of the hardening review)', () => {
  it('a failed query with 2,000 long parameters logs a small line without any of them', async () => {
    const { test, lines, raw } = await appWithLog();
    // A real failure through Drizzle, as a failing import batch gives: the parameters (16 MB
    // here) used to appear three times in one line — in the message, the stack and `params`.
    const params = Array.from(
      { length: 2000 },
      (_, index) => `PARAMETER-VALUE-${index}-${'x'.repeat(8000)}`,
    );
    const failure = await test.db
      .execute(sql`select array_length(array[${sql.join(params, sql`, `)}]::text[], 1) / 0 as boom`)
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    expect((failure as { params?: unknown[] }).params).toHaveLength(2000);
    expect(String((failure as Error).message)).toContain('PARAMETER-VALUE-1999');

    test.app.log.error({ err: failure, request_id: 'batch-check' }, 'import batch failed');
    await tick();
    const line = lines.find(
      (entry) => (entry as { request_id?: string }).request_id === 'batch-check',
    );
    expect(line).toBeDefined();
    const text = JSON.stringify(line);
    expect(text).not.toContain('PARAMETER-VALUE');
    expect(raw()).not.toContain('PARAMETER-VALUE');
    expect(text.length).toBeLessThan(6 * MAX_LOGGED_TEXT);
    const err = line!.err!;
    expect(err.type).toBe('DrizzleQueryError');
    expect(err.message).toMatch(/^Failed query: select array_length/);
    expect(err.stack).toMatch(/\n\s+at /);
    expect(err.params).toBeUndefined();
    expect(err.params_count).toBe(2000);
    // The database's own error, with its SQLSTATE, is the cause.
    expect(err.cause).toMatchObject({ code: '22012', message: 'division by zero' });
  });

  it('bounds long messages, deep cause chains and aggregated errors', async () => {
    const { test, lines } = await appWithLog();
    let error: Error = new Error('root '.repeat(5000));
    for (let depth = 0; depth < 10; depth += 1) {
      error = new Error(`level ${depth}`, { cause: error });
    }
    const aggregate = new AggregateError(
      Array.from({ length: 500 }, (_, index) => new Error(`member ${index} ${'y'.repeat(5000)}`)),
      'connect failed',
    );
    test.app.log.error({ err: error, request_id: 'chain-check' }, 'deep');
    test.app.log.error({ err: aggregate, request_id: 'aggregate-check' }, 'aggregate');
    await tick();
    const chain = lines.find(
      (entry) => (entry as { request_id?: string }).request_id === 'chain-check',
    )!;
    let depth = 0;
    for (let cause = chain.err; cause; cause = cause.cause as typeof cause) depth += 1;
    expect(depth).toBe(4);
    const aggregated = lines.find(
      (entry) => (entry as { request_id?: string }).request_id === 'aggregate-check',
    )!;
    expect(aggregated.err!.errors).toHaveLength(3);
    expect(aggregated.err!.errors_count).toBe(500);
    expect(JSON.stringify(aggregated).length).toBeLessThan(6 * MAX_LOGGED_TEXT);
    for (const entry of [chain, aggregated]) {
      expect(entry.err!.message!.length).toBeLessThan(MAX_LOGGED_TEXT + 50);
      expect(entry.err!.stack!.length).toBeLessThan(MAX_LOGGED_TEXT + 50);
    }
  });
});
