/**
 * Webhooks, end to end (issue 14): a real HTTP receiver on 127.0.0.1 (WEBHOOK_ALLOW_PRIVATE=true)
 * gets each committed change set, signed (checked here as a receiver checks it); a receiver
 * that fails 3 times then succeeds gets the event 4 times with one idempotency key; a receiver
 * that keeps failing (or redirects) gets its webhook disabled; the app killed with SIGKILL
 * between the commit and the delivery (a real server process) delivers the event after a
 * restart; private addresses are refused at registration (422, nothing stored) and at delivery;
 * bad input is a clear 4xx that changes nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorCode } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import type { InjectOptions } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryOne, queryRows, type Executor } from '../../db/client.js';
import { cleanupAll, sleep, startApp } from '../../../test/faults/harness.js';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import {
  createTestDatabase,
  databaseUrl,
  dropTestDatabase,
} from '../../../test/helpers/postgres.js';
import { createTestApp, snapshot, type TestApp } from '../../../test/helpers/test-app.js';
import { privateAddressReason } from './address-guard.js';
import { claimDueEvents } from './webhooks.repository.js';
import { retryDelayMs } from './webhook-worker.js';
import { verifySignature } from './signature.js';

const postgres = process.env.TEST_DATABASE !== 'pglite';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A webhook receiver on 127.0.0.1: records each request; `answer` decides the response. */
interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

type Answer = (request: Received, index: number, response: ServerResponse) => void;

async function startReceiver(answer: Answer = (_r, _i, response) => response.end('ok')) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const entry = {
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(entry);
      answer(entry, received.length - 1, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  receivers.push(receiver);
  return receiver;
}
const receivers: Receiver[] = [];
afterEach(async () => {
  for (const receiver of receivers.splice(0)) await receiver.close();
});
afterAll(async () => {
  await cleanupAll();
});

/** A receiver's check, written as docs/webhooks.md shows it (not through the app's code). */
function receiverVerifies(secret: string, received: Received): boolean {
  const header = String(received.headers['tag-manager-signature'] ?? '');
  const parts = Object.fromEntries(
    header.split(',').map((part) => part.split('=') as [string, string]),
  );
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${parts.t}.${received.body}`).digest();
  const given = Buffer.from(parts.v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function waitFor<T>(read: () => Promise<T> | T, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await sleep(20);
  }
}

const FAST = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_POLL_MS: '20',
  WEBHOOK_RETRY_BASE_MS: '20',
  WEBHOOK_RETRY_MAX_MS: '100',
  JOB_RUNNER: 'false',
};

async function register(test: TestApp, url: string, kinds: string[] = ['*']) {
  const response = await test.request({
    method: 'POST',
    url: '/api/webhooks',
    payload: { url, kinds },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data as { id: number; secret: string; secret_prefix: string };
}

async function createCategory(test: TestApp, name: string): Promise<number> {
  const response = await test.request({
    method: 'POST',
    url: '/api/categories',
    payload: { name },
  });
  expect(response.statusCode, response.body).toBe(201);
  return response.json().data.id as number;
}

const outboxCount = async (db: Executor) =>
  (await queryOne<{ n: number }>(db, sql`select count(*)::int as n from webhook_outbox`))!.n;

describe('a webhook on a live receiver', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp(FAST);
  });
  afterAll(async () => {
    await test?.close();
  });

  it('gets each committed change set of its kinds, signed; the secret is shown once', async () => {
    const receiver = await startReceiver();
    const webhook = await register(test, `${receiver.url}/hooks/catalog`, ['category.create']);
    expect(webhook.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(webhook.secret.startsWith(webhook.secret_prefix)).toBe(true);
    const listed = (await test.request('/api/webhooks')).json();
    expect(JSON.stringify(listed)).not.toContain(webhook.secret);
    expect(listed.data[0]).toMatchObject({
      id: webhook.id,
      enabled: true,
      kinds: ['category.create'],
    });

    const categoryId = await createCategory(test, 'Signed delivery');
    // A kind it did not ask for is not delivered.
    await test.request({
      method: 'PATCH',
      url: `/api/categories/${categoryId}`,
      payload: { name: 'Renamed' },
    });
    await waitFor(
      () => receiver.received,
      (list) => list.length >= 1,
    );
    const [delivery] = receiver.received;
    expect(delivery!.path).toBe('/hooks/catalog');
    expect(delivery!.headers['content-type']).toBe('application/json');
    expect(receiverVerifies(webhook.secret, delivery!)).toBe(true);
    expect(
      verifySignature(
        webhook.secret,
        delivery!.headers['tag-manager-signature'] as string,
        delivery!.body,
      ),
    ).toBe(true);
    // A changed byte, or another secret, fails the check.
    expect(receiverVerifies(webhook.secret, { ...delivery!, body: delivery!.body + ' ' })).toBe(
      false,
    );
    expect(receiverVerifies(`${webhook.secret}x`, delivery!)).toBe(false);

    const body = JSON.parse(delivery!.body);
    const [change] = (await test.request('/api/changes?kind=category.create&limit=1')).json().data;
    expect(body).toMatchObject({
      id: delivery!.headers['tag-manager-event-id'],
      kind: 'category.create',
      change_set_id: change.id,
      created_at: change.created_at,
      actor: 'api',
      source: 'api',
      category_ids: [categoryId],
      category_count: 1,
      product_count: 0,
      product_handles: [],
    });
    expect(delivery!.headers['tag-manager-event-kind']).toBe('category.create');
    expect(delivery!.headers['tag-manager-delivery-attempt']).toBe('1');

    // Logged, out of the outbox; the rename was never queued for it.
    const log = await waitFor(
      async () => (await test.request(`/api/webhooks/${webhook.id}/deliveries`)).json(),
      (page) => page.data.length >= 1,
    );
    expect(log.data[0]).toMatchObject({
      event_id: body.id,
      change_set_id: change.id,
      attempt: 1,
      outcome: 'delivered',
      status_code: 200,
      next_attempt_at: null,
    });
    expect(log.pagination).toMatchObject({ total_items: 1, page: 1 });
    await waitFor(
      () => outboxCount(test.db),
      (count) => count === 0,
    );
    await sleep(100);
    expect(receiver.received.length).toBe(1);
    const after = (await test.request(`/api/webhooks/${webhook.id}`)).json().data;
    expect(after).toMatchObject({ enabled: true, consecutive_failures: 0, pending_deliveries: 0 });
    expect(after.last_success_at).not.toBeNull();
    await test.request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}` });
  });

  it('retries a failing receiver: 3 failures then success is 4 deliveries of one event id', async () => {
    const receiver = await startReceiver((_request, index, response) => {
      response.statusCode = index < 3 ? 500 : 200;
      response.end(index < 3 ? 'try again' : 'ok');
    });
    const webhook = await register(test, `${receiver.url}/flaky`, [
      'bulk.assign',
      'product.assign',
    ]);
    const categoryId = await createCategory(test, 'Retried');
    const assigned = await test.request({
      method: 'POST',
      url: '/api/products/retried-product/categories',
      payload: { category_ids: [categoryId] },
    });
    // No such product: nothing committed, nothing queued. Import one and assign for real.
    expect(assigned.statusCode).toBe(404);
    expect(await outboxCount(test.db)).toBe(0);
    await test.db.execute(
      sql`insert into products (product_id, product_name) values ('retried-product', 'Retried')`,
    );
    const done = await test.request({
      method: 'POST',
      url: '/api/products/retried-product/categories',
      payload: { category_ids: [categoryId] },
    });
    expect(done.statusCode, done.body).toBe(201);

    await waitFor(
      () => receiver.received,
      (list) => list.length >= 4,
    );
    await waitFor(
      () => outboxCount(test.db),
      (count) => count === 0,
    );
    await sleep(100);
    expect(receiver.received.length).toBe(4);
    const ids = new Set(receiver.received.map((entry) => entry.headers['tag-manager-event-id']));
    expect(ids.size).toBe(1);
    expect(receiver.received.map((entry) => entry.headers['tag-manager-delivery-attempt'])).toEqual(
      ['1', '2', '3', '4'],
    );
    // The same body every time, each attempt signed afresh and valid.
    expect(new Set(receiver.received.map((entry) => entry.body)).size).toBe(1);
    for (const entry of receiver.received)
      expect(receiverVerifies(webhook.secret, entry)).toBe(true);
    expect(JSON.parse(receiver.received[0]!.body)).toMatchObject({
      kind: 'product.assign',
      product_handles: ['retried-product'],
      product_count: 1,
      product_handles_truncated: false,
    });

    const log = (await test.request(`/api/webhooks/${webhook.id}/deliveries?limit=10`)).json();
    expect(log.data.map((entry: { outcome: string }) => entry.outcome)).toEqual([
      'delivered',
      'failed',
      'failed',
      'failed',
    ]);
    expect(log.data.map((entry: { attempt: number }) => entry.attempt)).toEqual([4, 3, 2, 1]);
    expect(log.data[3]).toMatchObject({ status_code: 500, error: 'HTTP 500: try again' });
    expect(log.data[3].next_attempt_at).not.toBeNull();
    const after = (await test.request(`/api/webhooks/${webhook.id}`)).json().data;
    expect(after).toMatchObject({ enabled: true, consecutive_failures: 0 });
    await test.request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}` });
  });
});

describe('a slow receiver', () => {
  let test: TestApp;
  afterAll(async () => {
    await test?.close();
  });

  it('gets one delivery at a time, oldest first, although the worker could send several', async () => {
    test = await createTestApp({ ...FAST, WEBHOOK_CONCURRENCY: '4', WEBHOOK_MAX_ATTEMPTS: '2' });
    let inFlight = 0;
    let mostInFlight = 0;
    const receiver = await startReceiver((_request, _index, response) => {
      inFlight += 1;
      mostInFlight = Math.max(mostInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        response.statusCode = 500;
        response.end();
      }, 80);
    });
    await register(test, `${receiver.url}/slow`);
    for (const name of ['Slow 1', 'Slow 2', 'Slow 3']) await createCategory(test, name);
    // Three events, two attempts each: six requests in all.
    await waitFor(
      () => receiver.received.length,
      (count) => count >= 6,
    );
    await waitFor(
      () => inFlight,
      (count) => count === 0,
    );
    expect(receiver.received.length).toBe(6);
    expect(mostInFlight).toBe(1);
    const ids = receiver.received.map((entry) => JSON.parse(entry.body).change_set_id as number);
    // Each event's first attempt goes out before any later event's first attempt.
    const firsts = ids.filter((id, index) => ids.indexOf(id) === index);
    expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
  });
});

describe('a receiver that keeps failing', () => {
  let test: TestApp;
  afterAll(async () => {
    await test?.close();
  });

  it('is never followed through a redirect, and its webhook is disabled after N failures in a row', async () => {
    test = await createTestApp({ ...FAST, WEBHOOK_DISABLE_AFTER_FAILURES: '3' });
    const receiver = await startReceiver((request, _index, response) => {
      if (request.path === '/moved') {
        response.statusCode = 302;
        response.setHeader('location', '/elsewhere');
      }
      response.end();
    });
    const webhook = await register(test, `${receiver.url}/moved`);
    await createCategory(test, 'Redirected 1');
    await createCategory(test, 'Redirected 2');
    const disabled = await waitFor(
      async () => (await test.request(`/api/webhooks/${webhook.id}`)).json().data,
      (value) => value.enabled === false,
    );
    expect(disabled.disabled_at).not.toBeNull();
    expect(disabled.disabled_reason).toMatch(/3 consecutive failed deliveries.*HTTP 302/);
    expect(disabled.consecutive_failures).toBe(3);
    expect(disabled.pending_deliveries).toBe(0);
    expect(receiver.received.every((entry) => entry.path === '/moved')).toBe(true);
    expect(receiver.received.length).toBe(3);
    const listed = (await test.request('/api/webhooks')).json();
    expect(listed.metadata).toMatchObject({ total_webhooks: 1, enabled_webhooks: 0 });
    // A disabled webhook queues nothing more.
    await createCategory(test, 'After the disable');
    expect(await outboxCount(test.db)).toBe(0);
    // Enabled again: the streak starts over, and later change sets are queued for it.
    const enabled = await test.request({
      method: 'POST',
      url: `/api/webhooks/${webhook.id}/enable`,
    });
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json().data).toMatchObject({
      enabled: true,
      disabled_at: null,
      disabled_reason: null,
      consecutive_failures: 0,
    });
    const again = await test.request({ method: 'POST', url: `/api/webhooks/${webhook.id}/enable` });
    expect(again.json().data).toEqual(enabled.json().data);
    await test.request({ method: 'DELETE', url: `/api/webhooks/${webhook.id}` });
    const metrics = (await test.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/webhook_deliveries_total\{outcome="failed"\} 3/);
    expect(metrics).toMatch(/webhooks_disabled_total 1/);
    expect(metrics).toMatch(/webhook_outbox_backlog 0/);
  });
});

describe('private addresses, by default', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ WEBHOOK_POLL_MS: '20', JOB_RUNNER: 'false' });
  });
  afterAll(async () => {
    await test?.close();
  });

  it.each([
    ['https://127.0.0.1/hook', /loopback/],
    ['https://localhost:8443/hook', /resolves to a loopback address/],
    ['https://0x7f.1/hook', /loopback/],
    ['https://[::1]/hook', /loopback/],
    ['https://[::ffff:127.0.0.1]/hook', /IPv4-mapped/],
    ['https://169.254.169.254/latest/meta-data', /link-local/],
    ['https://10.1.2.3/hook', /private/],
    ['https://192.168.0.10/hook', /private/],
    ['https://[fd00:ec2::254]/hook', /unique-local/],
    ['https://[fe80::1]/hook', /link-local/],
    ['http://hooks.example.com/hook', /must be https/],
  ])('refuses %s with 422, storing nothing', async (url, reason) => {
    const before = await snapshot(test.db);
    const response = await test.request({
      method: 'POST',
      url: '/api/webhooks',
      payload: { url, kinds: ['*'] },
    });
    const body = expectErrorEnvelope(response, 422, 'VALIDATION_ERROR', 'url');
    expect(body.details.field_errors[0].message).toMatch(reason);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('classifies addresses', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '::1',
      '::',
      'fc00::1',
      'fe80::1',
      '::ffff:7f00:1',
      '224.0.0.1',
    ]) {
      expect(privateAddressReason(address), address).toBeDefined();
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:2800:220:1:248:1893:25c8:1946']) {
      expect(privateAddressReason(address), address).toBeUndefined();
    }
  });

  it('refuses at delivery time too: a stored webhook whose host resolves to loopback is never called', async () => {
    const receiver = await startReceiver();
    const port = new URL(receiver.url).port;
    // Stored directly, as if its name had resolved elsewhere at registration (DNS rebinding).
    await test.db.execute(sql`insert into webhooks (url, kinds, secret, secret_prefix, created_by)
      values (${`https://localhost:${port}/hook`}, '{*}', ${'whsec_' + 'a'.repeat(43)}, 'whsec_aaaaaa', 'test')`);
    await createCategory(test, 'Never sent to loopback');
    const [entry] = await waitFor(
      () =>
        queryRows<{ outcome: string; error: string }>(
          test.db,
          sql`select outcome, error from webhook_deliveries`,
        ),
      (rows) => rows.length >= 1,
    );
    expect(entry!.outcome).toBe('refused');
    expect(entry!.error).toMatch(/loopback/);
    expect(receiver.received.length).toBe(0);
  });
});

interface BadCase {
  name: string;
  request: InjectOptions | (() => InjectOptions);
  status: number;
  code: ErrorCode;
  field?: string;
}

describe('bad input', () => {
  let test: TestApp;
  let existing: number;
  beforeAll(async () => {
    test = await createTestApp({ ...FAST, WEBHOOK_WORKER: 'false', WEBHOOK_MAX: '2' });
    existing = (await register(test, 'https://hooks.example.com/one')).id;
  });
  afterAll(async () => {
    await test?.close();
  });

  const create = (payload: unknown): InjectOptions => ({
    method: 'POST',
    url: '/api/webhooks',
    payload: payload as object,
  });
  const cases: BadCase[] = [
    {
      name: 'an unknown kind',
      request: create({ url: 'https://a.example/x', kinds: ['product.explode'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'kinds',
    },
    {
      name: 'no kinds',
      request: create({ url: 'https://a.example/x', kinds: [] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'kinds',
    },
    {
      name: 'a kind twice',
      request: create({ url: 'https://a.example/x', kinds: ['seed', 'seed'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'kinds',
    },
    {
      name: 'too many kinds',
      request: create({
        url: 'https://a.example/x',
        kinds: Array.from({ length: 33 }, (_, n) => `k${n}`),
      }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'kinds',
    },
    {
      name: 'a garbage URL',
      request: create({ url: 'not a url', kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'a URL too long',
      request: create({ url: `https://a.example/${'x'.repeat(2048)}`, kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'another scheme',
      request: create({ url: 'ftp://a.example/x', kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'a javascript: URL',
      request: create({ url: 'javascript:alert(1)', kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'credentials in the URL',
      request: create({ url: 'https://user:pw@a.example/x', kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'an unknown field',
      request: create({ url: 'https://a.example/x', kinds: ['*'], secret: 'mine' }),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'no body',
      request: { method: 'POST', url: '/api/webhooks' },
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'body',
    },
    {
      name: 'an unknown id (GET)',
      request: { method: 'GET', url: '/api/webhooks/999999' },
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'an unknown id (DELETE)',
      request: { method: 'DELETE', url: '/api/webhooks/999999' },
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'an unknown id (deliveries)',
      request: { method: 'GET', url: '/api/webhooks/999999/deliveries' },
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'an unknown id (enable)',
      request: { method: 'POST', url: '/api/webhooks/999999/enable' },
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a non-numeric id',
      request: { method: 'DELETE', url: '/api/webhooks/abc' },
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'a page too large',
      request: () => ({ method: 'GET', url: `/api/webhooks/${existing}/deliveries?limit=501` }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'limit',
    },
  ];

  it.each(cases.map((badCase) => [badCase.name, badCase] as const))(
    '%s: a clear 4xx, nothing changes',
    async (_name, badCase) => {
      const before = await snapshot(test.db);
      const request = typeof badCase.request === 'function' ? badCase.request() : badCase.request;
      const response = await test.request(request);
      expectErrorEnvelope(response, badCase.status, badCase.code, badCase.field);
      expect(await snapshot(test.db)).toEqual(before);
    },
  );

  it('refuses a webhook beyond WEBHOOK_MAX with 409', async () => {
    await register(test, 'https://hooks.example.com/two');
    const before = await snapshot(test.db);
    const response = await test.request(
      create({ url: 'https://hooks.example.com/three', kinds: ['*'] }),
    );
    const body = expectErrorEnvelope(response, 409, 'CONFLICT');
    expect(body.details).toEqual({ webhook_count: 2, max_webhooks: 2 });
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('stores "*" alone, and kinds once each', async () => {
    await test.request({ method: 'DELETE', url: `/api/webhooks/${existing}` });
    const response = await test.request(
      create({ url: 'https://hooks.example.com/all', kinds: ['product.assign', '*'] }),
    );
    expect(response.statusCode, response.body).toBe(201);
    expect(response.json().data.kinds).toEqual(['*']);
    expect(response.headers['cache-control']).toBe('no-store');
  });
});

describe('with access control (AUTH_MODE=token)', () => {
  let test: TestApp;
  afterAll(async () => {
    await test?.close();
  });

  it('needs an admin token for every webhook route: an editor gets 403 and changes nothing', async () => {
    test = await createTestApp({ ...FAST, WEBHOOK_WORKER: 'false', AUTH_MODE: 'token' });
    const system = { actor: 'test', source: 'system' as const };
    const editor = (await test.app.tokens.create({ name: 'editor', role: 'editor' }, system))
      .secret;
    const admin = (await test.app.tokens.create({ name: 'admin', role: 'admin' }, system)).secret;
    const created = await test.request({
      method: 'POST',
      url: '/api/webhooks',
      headers: { authorization: `Bearer ${admin}` },
      payload: { url: 'https://hooks.example.com/admin', kinds: ['*'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().data.created_by).toMatch(/^token:\d+:admin$/);
    const id = created.json().data.id as number;
    for (const request of [
      { method: 'GET', url: '/api/webhooks' },
      {
        method: 'POST',
        url: '/api/webhooks',
        payload: { url: 'https://hooks.example.com/e', kinds: ['*'] },
      },
      { method: 'GET', url: `/api/webhooks/${id}` },
      { method: 'DELETE', url: `/api/webhooks/${id}` },
      { method: 'GET', url: `/api/webhooks/${id}/deliveries` },
      { method: 'POST', url: `/api/webhooks/${id}/enable` },
    ] as InjectOptions[]) {
      const before = await snapshot(test.db);
      const response = await test.request({
        ...request,
        headers: { authorization: `Bearer ${editor}` },
      });
      const body = expectErrorEnvelope(response, 403, 'FORBIDDEN');
      expect(body.details).toEqual({ token_role: 'editor', required_role: 'admin' });
      expect(await snapshot(test.db)).toEqual(before);
    }
  });
});

describe('retry delays', () => {
  it('double from the base, stay under the cap, and are jittered within [half, whole]', () => {
    expect(retryDelayMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(retryDelayMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(retryDelayMs(4, 1000, 60_000, () => 1)).toBe(8000);
    expect(retryDelayMs(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(retryDelayMs(100, 1000, 60_000, () => 0.5)).toBe(45_000);
  });
});

describe.runIf(postgres)('two app instances on one database', () => {
  let first: TestApp;
  let second: TestApp;
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it(
    'never claim one outbox row twice, and deliver every event once',
    { timeout: 600_000 },
    async () => {
      first = await createTestApp({ ...FAST, WEBHOOK_WORKER: 'false' });
      second = await first.peer({ ...FAST, WEBHOOK_WORKER: 'false' });
      await register(first, 'https://hooks.example.com/claims');
      for (let n = 0; n < 60; n++) await createCategory(n % 2 ? first : second, `Claimed ${n}`);
      expect(await outboxCount(first.db)).toBe(60);
      const claims = async (db: Executor, owner: string) => {
        const ids: number[] = [];
        for (;;) {
          const claimed = await claimDueEvents(db, owner, 3_600_000, 3);
          if (claimed.length === 0) return ids;
          ids.push(...claimed.map((event) => event.id));
        }
      };
      const [a, b] = await Promise.all([claims(first.db, 'first'), claims(second.db, 'second')]);
      expect(a.length + b.length).toBe(60);
      expect(new Set([...a, ...b]).size).toBe(60);
      await first.db.execute(sql`delete from webhooks`);
      await second.close();
      await first.close();

      // Both workers on, one receiver: each event arrives exactly once (nothing failed here).
      const receiver = await startReceiver();
      first = await createTestApp(FAST);
      second = await first.peer(FAST);
      await register(first, `${receiver.url}/both`);
      for (let n = 0; n < 30; n++) await createCategory(n % 2 ? first : second, `Delivered ${n}`);
      await waitFor(
        () => outboxCount(first.db),
        (count) => count === 0,
      );
      const ids = receiver.received.map((entry) => entry.headers['tag-manager-event-id']);
      expect(ids.length).toBe(30);
      expect(new Set(ids).size).toBe(30);
    },
  );
});

describe.runIf(postgres)('the app killed with SIGKILL between the commit and the delivery', () => {
  let database: string | undefined;
  afterAll(async () => {
    await cleanupAll();
    if (database) await dropTestDatabase(database);
  });

  it(
    'delivers the committed event after a restart, with the same event id',
    { timeout: 600_000 },
    async () => {
      database = await createTestDatabase();
      const handle = await openDatabase({
        driver: 'postgres',
        url: databaseUrl(database),
        poolSize: 2,
        connectionTimeoutMs: 10_000,
        idleTimeoutMs: 10_000,
        maxLifetimeSeconds: 3600,
        statementTimeoutMs: 60_000,
      });
      const held: ServerResponse[] = [];
      // The first delivery is held unanswered (the app dies during it); later ones succeed.
      const receiver = await startReceiver((_request, index, response) => {
        if (index === 0) held.push(response);
        else response.end('ok');
      });
      try {
        const env = {
          DATABASE_URL: databaseUrl(database),
          WEBHOOK_ALLOW_PRIVATE: 'true',
          WEBHOOK_POLL_MS: '50',
          WEBHOOK_TIMEOUT_MS: '1000',
          WEBHOOK_RETRY_BASE_MS: '50',
          JOB_RUNNER: 'false',
          RATE_LIMIT_ENABLED: 'false',
        };
        const app = await startApp('webhooks-killed', env);
        const post = (path: string, body: unknown) =>
          fetch(`${app.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(body),
          }).then(async (response) => ({
            status: response.status,
            json: (await response.json()) as { data: { id: number; secret: string } },
          }));
        const webhook = await post('/api/webhooks', {
          url: `${receiver.url}/sync`,
          kinds: ['category.create'],
        });
        expect(webhook.status).toBe(201);
        const category = await post('/api/categories', { name: 'Survives a kill' });
        expect(category.status).toBe(201);
        // Committed and being delivered: the receiver holds the request, the outbox holds the row.
        await waitFor(
          () => receiver.received,
          (list) => list.length >= 1,
        );
        const row = await queryOne<{ event_id: string; attempts: number }>(
          handle.db,
          sql`select event_id::text as event_id, attempts from webhook_outbox`,
        );
        expect(row).toMatchObject({ attempts: 1 });
        app.signal('SIGKILL');
        await app.exited;
        const deliveriesBefore = await queryRows(handle.db, sql`select id from webhook_deliveries`);
        expect(deliveriesBefore).toEqual([]);

        const restarted = await startApp('webhooks-restarted', env);
        await waitFor(
          () => receiver.received,
          (list) => list.length >= 2,
        );
        await waitFor(
          () => outboxCount(handle.db),
          (count) => count === 0,
        );
        const [first, second] = receiver.received;
        expect(second!.headers['tag-manager-event-id']).toBe(row!.event_id);
        expect(first!.headers['tag-manager-event-id']).toBe(row!.event_id);
        expect(second!.headers['tag-manager-delivery-attempt']).toBe('2');
        expect(second!.body).toBe(first!.body);
        expect(receiverVerifies(webhook.json.data.secret, second!)).toBe(true);
        expect(JSON.parse(second!.body)).toMatchObject({
          kind: 'category.create',
          category_ids: [category.json.data.id],
        });
        const log = await queryRows<{ outcome: string; attempt: number }>(
          handle.db,
          sql`select outcome, attempt from webhook_deliveries order by id`,
        );
        expect(log).toEqual([{ outcome: 'delivered', attempt: 2 }]);
        await restarted.stop();
      } finally {
        for (const response of held) response.destroy();
        await handle.close();
      }
    },
  );
});
