/**
 * GET /api/events over real HTTP (a stream never ends, so not through inject): the SSE format,
 * replay after Last-Event-ID, reset when too far behind, the stream limits, access control,
 * heartbeats, and a shutdown with streams open.
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, createProducts } from '../../../test/helpers/fixtures.js';
import {
  changeIds,
  openEventStream,
  type EventStreamClient,
} from '../../../test/helpers/event-stream.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { queryOne } from '../../db/client.js';

async function listen(test: TestApp): Promise<string> {
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
}

async function assign(test: TestApp, handle: string, categoryId: number) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${handle}/categories`,
    payload: { category_ids: [categoryId] },
  });
  expect([200, 201]).toContain(response.statusCode);
}

async function newestChangeId(test: TestApp): Promise<number> {
  const response = await test.request('/api/changes?limit=1');
  return (response.json() as { data: { id: number }[] }).data[0]!.id;
}

const ready = (events: { event: string }[]) => events.some((event) => event.event === 'ready');

describe('GET /api/events', () => {
  let test: TestApp;
  let baseUrl: string;
  const streams: EventStreamClient[] = [];
  const open = async (options?: Parameters<typeof openEventStream>[1]) => {
    const stream = await openEventStream(baseUrl, options);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    test = await createTestApp({ EVENTS_HEARTBEAT_MS: '50', EVENTS_MAX_STREAMS_PER_CLIENT: '3' });
    baseUrl = await listen(test);
    await createProducts(test, 2);
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await test?.close();
  });

  it('sends one change event per committed change set, with the new rows and counts', async () => {
    const category = await createCategory(test, { name: 'Live Root' });
    const stream = await open();
    expect(stream.status).toBe(200);
    expect(stream.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(stream.headers['cache-control']).toContain('no-cache');
    expect(stream.headers['x-accel-buffering']).toBe('no');
    await stream.waitFor(ready);
    expect(stream.body.startsWith('retry: ')).toBe(true);
    const readyEvent = stream.events.find((event) => event.event === 'ready')!;
    expect(Number(readyEvent.id)).toBe(await newestChangeId(test));

    await assign(test, 'p-001', category.id);
    const [change] = (await stream.waitFor((events) => changeIds(events).length >= 1)).filter(
      (event) => event.event === 'change',
    );
    const id = await newestChangeId(test);
    expect(Number(change!.id)).toBe(id);
    const event = change!.json as Record<string, unknown>;
    expect(event).toMatchObject({
      id,
      kind: 'product.assign',
      actor: 'api',
      handles: ['p-001'],
      product_count: 1,
      categories: [{ id: category.id, product_count: 1 }],
      effects: expect.arrayContaining(['assignments', 'counts']),
    });
    expect(event.request_id).toEqual(expect.any(String));
    const [row] = event.products as { product_id: string; category_count: number }[];
    expect(row).toMatchObject({ product_id: 'p-001', category_count: 1 });
    expect(event.catalog).toMatchObject({ categorized_products: 1 });
    stream.close();
  });

  it('replays exactly the change sets after Last-Event-ID, then goes on live', async () => {
    const category = await createCategory(test, { name: 'Replayed' });
    const since = await newestChangeId(test);
    await assign(test, 'p-001', category.id);
    await createCategory(test, { name: 'Replayed 2' });
    await test.request({
      method: 'DELETE',
      url: `/api/products/p-001/categories/${category.id}`,
    });
    const latest = await newestChangeId(test);
    const stream = await open({ headers: { 'last-event-id': String(since) } });
    await stream.waitFor(ready);
    const missed = changeIds(stream.events);
    expect(missed).toHaveLength(3);
    expect(missed.at(-1)).toBe(latest);
    expect(missed.every((id) => id > since)).toBe(true);
    expect(Number(stream.events.at(-1)!.id)).toBe(latest);

    // The query parameter does the same for clients that cannot set the header.
    const polyfill = await open({ query: `last_event_id=${since}` });
    await polyfill.waitFor(ready);
    expect(changeIds(polyfill.events)).toEqual(missed);

    await createCategory(test, { name: 'After the replay' });
    await stream.waitFor((events) => changeIds(events).length === 4);
    expect(changeIds(stream.events).at(-1)).toBe(await newestChangeId(test));
    stream.close();
    polyfill.close();
  });

  it('does not send a stream opened without Last-Event-ID what had committed before it, even when the feed publishes it late', async () => {
    await createCategory(test, { name: 'Committed before the stream' });
    // A change set committed that the feed has not published yet (it runs behind under load):
    // a copy of the last one, inserted without NOTIFY and without telling the feed.
    const late = await queryOne<{ id: number }>(
      test.db,
      sql`insert into change_sets (actor, source, kind, request_id, product_ids, category_ids, before, after)
          select actor, source, kind, 'published-late', product_ids, category_ids, before, after
            from change_sets order by id desc limit 1
          returning id::int as id`,
    );
    const stream = await open();
    await stream.waitFor(ready);
    test.app.changeFeed.committed(late!.id);
    await createCategory(test, { name: 'Committed after the stream' });
    const after = await newestChangeId(test);
    // Events leave the feed in the order heard: the late one would have come first.
    await stream.waitFor((events) => changeIds(events).includes(after));
    expect(changeIds(stream.events)).toEqual([after]);
    stream.close();
  });

  it('answers 422 for a Last-Event-ID that is not an id', async () => {
    const stream = await open({ headers: { 'last-event-id': 'abc' } });
    await stream.ended;
    expect(stream.status).toBe(422);
    expect(JSON.parse(stream.body)).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
  });

  it('sends heartbeats as comment lines', async () => {
    const stream = await open();
    await stream.waitFor((_events, client) => client.comments.includes('heartbeat'));
    stream.close();
  });

  it('refuses a stream beyond the per-client limit with 429 in the error envelope', async () => {
    for (const stream of streams) stream.close();
    await Promise.all(streams.map((stream) => stream.ended));
    const held = [await open(), await open(), await open()];
    await Promise.all(held.map((stream) => stream.waitFor(ready)));
    const refused = await open();
    await refused.ended;
    expect(refused.status).toBe(429);
    expect(JSON.parse(refused.body)).toMatchObject({
      success: false,
      code: 'RATE_LIMITED',
      details: { scope: 'client', limit: 3 },
    });
    // A stream closed frees its place.
    held[0]!.close();
    await held[0]!.ended;
    let again: EventStreamClient;
    for (;;) {
      again = await open();
      if (again.status === 200) break;
      await again.ended;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await again.waitFor(ready);
    for (const stream of [...held, again]) stream.close();
  });

  it('counts open streams and events sent in the metrics', async () => {
    const stream = await open();
    await stream.waitFor(ready);
    await createCategory(test, { name: 'Counted' });
    await stream.waitFor((events) => changeIds(events).length >= 1);
    const metrics = (await test.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^live_event_streams [1-9]/m);
    expect(metrics).toMatch(/^live_events_sent_total\{type="change"\} [1-9]/m);
    stream.close();
  });
});

describe('GET /api/events: too far behind, and a full instance', () => {
  it('sends reset instead of a replay of more than EVENTS_REPLAY_MAX change sets, and 429 beyond EVENTS_MAX_STREAMS', async () => {
    const test = await createTestApp({ EVENTS_REPLAY_MAX: '2', EVENTS_MAX_STREAMS: '1' });
    try {
      const baseUrl = await listen(test);
      const first = await createCategory(test, { name: 'R1' });
      const since = await newestChangeId(test);
      await createCategory(test, { name: 'R2', parent_id: first.id });
      await createCategory(test, { name: 'R3', parent_id: first.id });
      await createCategory(test, { name: 'R4', parent_id: first.id });
      const stream = await openEventStream(baseUrl, {
        headers: { 'last-event-id': String(since) },
      });
      await stream.waitFor(ready);
      expect(changeIds(stream.events)).toEqual([]);
      const reset = stream.events.find((event) => event.event === 'reset')!;
      expect(Number(reset.id)).toBe(await newestChangeId(test));
      expect(reset.json).toMatchObject({ last_event_id: await newestChangeId(test) });
      // EVENTS_MAX_STREAMS=1: the instance is full, whoever asks.
      const refused = await openEventStream(baseUrl);
      await refused.ended;
      expect(refused.status).toBe(429);
      expect(JSON.parse(refused.body)).toMatchObject({
        code: 'RATE_LIMITED',
        details: { scope: 'server', limit: 1 },
      });
      stream.close();
    } finally {
      await test.close();
    }
  });
});

describe('GET /api/events: access control and shutdown', () => {
  it('needs a viewer token in token mode, and app.close() ends the open streams', async () => {
    const test = await createTestApp({ AUTH_MODE: 'token' });
    const baseUrl = await listen(test);
    const viewer = await test.app.services.tokens.create(
      { name: 'live viewer', role: 'viewer' },
      { actor: 'test', source: 'cli' },
    );
    const refused = await openEventStream(baseUrl);
    await refused.ended;
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ success: false, code: 'UNAUTHORIZED' });

    const stream = await openEventStream(baseUrl, {
      headers: { authorization: `Bearer ${viewer.secret}` },
    });
    expect(stream.status).toBe(200);
    await stream.waitFor(ready);
    await test.close();
    await stream.ended;
  });
});
