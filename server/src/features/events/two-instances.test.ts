/**
 * The acceptance test of live updates across instances: two app instances, each a real HTTP
 * server, on one PostgreSQL database. A write through A reaches a stream opened on B (through
 * LISTEN/NOTIFY), and a client of B that reconnects with Last-Event-ID gets exactly the change
 * sets it missed. (PostgreSQL only: PGlite serves one process.)
 */
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../db/client.js';
import {
  changeIds,
  openEventStream,
  type EventStreamClient,
} from '../../../test/helpers/event-stream.js';
import { createCategory, createProducts } from '../../../test/helpers/fixtures.js';
import { databaseUrl } from '../../../test/helpers/postgres.js';
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

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

/**
 * Two transactions committing in the other order than their change-set ids: a write whose
 * X-Request-Id starts with `hold-` waits, after its change set took its id (a trigger on
 * change_sets) and before its commit, for an advisory lock this helper holds on its own
 * connection until `release()`.
 */
class CommitHold {
  private static readonly KEY = 7_314_014;
  private constructor(private readonly client: pg.Client) {}

  static async create(test: TestApp): Promise<CommitHold> {
    await test.db.execute(sql`
      create or replace function test_hold_commit() returns trigger language plpgsql as $$
      begin perform pg_advisory_xact_lock(${sql.raw(String(CommitHold.KEY))}); return null; end $$`);
    await test.db.execute(sql`
      create or replace trigger test_hold_commit after insert on change_sets for each row
        when (new.request_id like 'hold-%') execute function test_hold_commit()`);
    const { name } = (await queryOne<{ name: string }>(
      test.db,
      sql`select current_database() as name`,
    ))!;
    const client = new pg.Client({
      connectionString: databaseUrl(name),
      application_name: 'test-commit-hold',
    });
    await client.connect();
    return new CommitHold(client);
  }

  async hold(): Promise<void> {
    await this.client.query('select pg_advisory_lock($1)', [CommitHold.KEY]);
  }

  /** Until a held write waits for the lock (its change set has its id, uncommitted). */
  async waitUntilWaiting(): Promise<void> {
    for (;;) {
      const { rows } = await this.client.query<{ waiting: number }>(
        `select count(*)::int as waiting from pg_locks
          where locktype = 'advisory' and not granted and database =
            (select oid from pg_database where datname = current_database())`,
      );
      if (rows[0]!.waiting > 0) return;
      await pause();
    }
  }

  async release(): Promise<void> {
    await this.client.query('select pg_advisory_unlock($1)', [CommitHold.KEY]);
  }

  async idOf(requestId: string): Promise<number> {
    const { rows } = await this.client.query<{ id: number }>(
      'select id::int as id from change_sets where request_id = $1',
      [requestId],
    );
    return rows[0]!.id;
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

/** The id of the event of the write that answered `response` (its X-Request-Id). */
async function eventIdOf(
  stream: EventStreamClient,
  response: { headers: Record<string, unknown> },
): Promise<number> {
  const requestId = response.headers['x-request-id'];
  const events = await stream.waitFor((seen) =>
    seen.some((event) => event.json.request_id === requestId),
  );
  return Number(events.find((event) => event.json.request_id === requestId)!.id);
}

const rename = (test: TestApp, id: number, name: string, requestId?: string) =>
  test.request({
    method: 'PATCH',
    url: `/api/categories/${id}`,
    payload: { name },
    ...(requestId ? { headers: { 'x-request-id': requestId } } : {}),
  });

describe.runIf(postgres)('live updates across two instances on one database', () => {
  let first: TestApp;
  let second: TestApp;
  let secondUrl: string;
  let commits: CommitHold;

  beforeAll(async () => {
    first = await createTestApp();
    second = await first.peer();
    await listen(first);
    secondUrl = await listen(second);
    await createProducts(first, 3);
    commits = await CommitHold.create(first);
  });
  afterAll(async () => {
    await commits?.close();
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

  it('replays a change set with a lower id that committed after the last event received (out of order)', async () => {
    const [slowCategory, fastCategory] = [
      await createCategory(first, { name: 'Slow to commit' }),
      await createCategory(first, { name: 'Quick to commit' }),
    ];
    // A second stream stays open throughout: B has published everything before the client
    // comes back, so nothing reaches the client live, only through its replay.
    const watcher = await openEventStream(secondUrl);
    const stream = await openEventStream(secondUrl);
    await Promise.all([watcher.waitFor(ready), stream.waitFor(ready)]);

    await commits.hold();
    const slow = rename(first, slowCategory.id, 'Slow to commit (renamed)', 'hold-replay');
    await commits.waitUntilWaiting();
    const fast = await rename(first, fastCategory.id, 'Quick (renamed)');
    expect(fast.statusCode).toBe(200);
    const fastId = await eventIdOf(stream, fast);
    stream.close();
    // An instance that starts now (a restart, a new instance): it never published `fastId`.
    const third = await first.peer();
    const thirdUrl = await listen(third);
    const thirdWatcher = await openEventStream(thirdUrl);
    await thirdWatcher.waitFor(ready);

    // The slow write commits while the client is away, with the lower id.
    await commits.release();
    expect((await slow).statusCode).toBe(200);
    const slowId = await commits.idOf('hold-replay');
    expect(slowId).toBeLessThan(fastId);
    await watcher.waitFor((events) => changeIds(events).includes(slowId));
    await thirdWatcher.waitFor((events) => changeIds(events).includes(slowId));
    watcher.close();
    thirdWatcher.close();

    const back = await openEventStream(secondUrl, {
      headers: { 'last-event-id': String(fastId) },
    });
    await back.waitFor(ready);
    expect(changeIds(back.events)).toEqual([slowId]);
    back.close();

    // The instance that started after `fastId`: it replays the lower ids it published since
    // it started, which is the slow one alone.
    try {
      const elsewhere = await openEventStream(thirdUrl, {
        headers: { 'last-event-id': String(fastId) },
      });
      await elsewhere.waitFor(ready);
      expect(changeIds(elsewhere.events)).toEqual([slowId]);
      elsewhere.close();
    } finally {
      await third.close();
    }
  });

  it('catches up a change set with a lower id that committed while its LISTEN connection was down', async () => {
    const [slowCategory, fastCategory] = [
      await createCategory(first, { name: 'Slow during the outage' }),
      await createCategory(first, { name: 'Quick before the outage' }),
    ];
    const stream = await openEventStream(secondUrl);
    await stream.waitFor(ready);

    await commits.hold();
    const slow = rename(first, slowCategory.id, 'Slow during the outage (renamed)', 'hold-listen');
    await commits.waitUntilWaiting();
    const fast = await rename(first, fastCategory.id, 'Quick (renamed again)');
    expect(fast.statusCode).toBe(200);
    const fastId = await eventIdOf(stream, fast);

    // B's LISTEN session ends; the slow write commits before B listens again.
    await first.db.execute(
      sql`select pg_terminate_backend(pid) from pg_stat_activity
           where application_name = 'tag-manager-listen' and datname = current_database()
             and pid <> pg_backend_pid()`,
    );
    while (second.app.changeFeed.listening) await pause();
    await commits.release();
    expect((await slow).statusCode).toBe(200);
    const slowId = await commits.idOf('hold-listen');
    expect(slowId).toBeLessThan(fastId);

    // A write after it: once the stream has it, B has caught up.
    await createCategory(first, { name: 'After the outage' });
    const laterId = (await changeIdsSince(first, slowId)).at(-1)!;
    const events = await stream.waitFor((seen) => changeIds(seen).includes(laterId));
    expect(changeIds(events)).toContain(slowId);
    expect(changeIds(events).filter((id) => id === slowId)).toHaveLength(1);
    stream.close();
  });
});
