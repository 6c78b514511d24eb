/**
 * The acceptance test of live updates across instances: two app instances, each a real HTTP
 * server, on one PostgreSQL database. A write through A reaches a stream opened on B (through
 * LISTEN/NOTIFY), and a client of B that reconnects with Last-Event-ID gets exactly the change
 * sets it missed. (PostgreSQL only: PGlite serves one process.)
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeIds, openEventStream } from '../../../test/helpers/event-stream.js';
import { createCategory, createProducts } from '../../../test/helpers/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';

const postgres = process.env.TEST_DATABASE !== 'pglite';

async function listen(test: TestApp): Promise<string> {
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(test.app.server.address() as AddressInfo).port}`;
}

async function changeIdsSince(test: TestApp, since: number): Promise<number[]> {
  const response = await test.request('/api/changes?limit=100');
  return (response.json() as { data: { id: number }[] }).data
    .map((change) => change.id)
    .filter((id) => id > since)
    .sort((a, b) => a - b);
}

const ready = (events: { event: string }[]) => events.some((event) => event.event === 'ready');

describe.runIf(postgres)('live updates across two instances on one database', () => {
  let first: TestApp;
  let second: TestApp;
  let secondUrl: string;

  beforeAll(async () => {
    first = await createTestApp();
    second = await first.peer();
    await listen(first);
    secondUrl = await listen(second);
    await createProducts(first, 3);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it('delivers a write on A to a stream on B, and replays exactly what a client missed', async () => {
    const category = await createCategory(first, { name: 'Across' });
    const stream = await openEventStream(secondUrl);
    expect(stream.status).toBe(200);
    await stream.waitFor(ready);

    const assigned = await first.request({
      method: 'POST',
      url: '/api/products/p-001/categories',
      payload: { category_ids: [category.id] },
    });
    expect(assigned.statusCode).toBeLessThan(300);
    const [change] = (await stream.waitFor((events) => changeIds(events).length >= 1)).filter(
      (event) => event.event === 'change',
    );
    expect(change!.json).toMatchObject({
      kind: 'product.assign',
      handles: ['p-001'],
      categories: [{ id: category.id, product_count: 1 }],
    });
    expect(change!.json.request_id).toBe(assigned.headers['x-request-id']);
    const seen = Number(change!.id);
    stream.close();

    // While the client is away: three writes through A (and one through B).
    await createCategory(first, { name: 'While away 1' });
    await first.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { product_ids: ['p-002', 'p-003'], category_ids: [category.id] },
    });
    await createCategory(second, { name: 'While away 2' });
    await first.request({
      method: 'DELETE',
      url: `/api/products/p-001/categories/${category.id}`,
    });
    const missed = await changeIdsSince(first, seen);
    expect(missed).toHaveLength(4);

    const reconnected = await openEventStream(secondUrl, {
      headers: { 'last-event-id': String(seen) },
    });
    await reconnected.waitFor(ready);
    expect(changeIds(reconnected.events)).toEqual(missed);
    const bulk = reconnected.events.find((event) => event.json.kind === 'bulk.assign')!;
    expect(bulk.json).toMatchObject({ product_count: 2 });

    // And live again, from A.
    await createCategory(first, { name: 'Live again' });
    await reconnected.waitFor((events) => changeIds(events).length === missed.length + 1);
    expect(changeIds(reconnected.events).at(-1)).toBe((await changeIdsSince(first, seen)).at(-1));
    reconnected.close();
  });

  it('catches up from the log after its LISTEN connection breaks', async () => {
    const stream = await openEventStream(secondUrl);
    await stream.waitFor(ready);
    // End B's LISTEN session from the server side, as a database restart would.
    await first.db.execute(
      sql`select pg_terminate_backend(pid) from pg_stat_activity
           where application_name = 'tag-manager-listen' and datname = current_database()
             and pid <> pg_backend_pid()`,
    );
    await createCategory(first, { name: 'During the reconnect' });
    await createCategory(first, { name: 'After the reconnect' });
    const events = await stream.waitFor((seen) => changeIds(seen).length >= 2);
    expect(changeIds(events)).toHaveLength(2);
    stream.close();
  });
});
