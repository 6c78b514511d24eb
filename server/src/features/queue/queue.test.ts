/**
 * The work queue on a real database (both drivers): the stable walk while products are
 * categorised in between, leases across two operators (and two app instances on PostgreSQL),
 * expiry, a leased product categorised meanwhile, and bad input.
 */
import type { QueueNext } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../db/client.js';
import {
  createProducts,
  createSampleTree,
  importProductsCsv,
  shopifyCsv,
} from '../../../test/helpers/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

const A = 'operator-aaaa';
const B = 'operator-bbbb';

beforeAll(async () => {
  test = await createTestApp({ RATE_LIMIT_ENABLED: 'false' });
  tree = await createSampleTree(test);
  await createProducts(test, 30);
  // Three products sharing one name: the order falls back to the internal id.
  const response = await importProductsCsv(
    test,
    shopifyCsv([
      { handle: 'same-1', title: 'Product 010' },
      { handle: 'same-2', title: 'Product 010' },
      { handle: 'same-3', title: 'Product 010' },
    ]),
  );
  expect(response.statusCode).toBe(200);
});
afterAll(async () => {
  await test.close();
});

async function next(
  query: Record<string, string>,
  app: TestApp = test,
): Promise<{ status: number; body: QueueNext; raw: string }> {
  const response = await app.request({
    method: 'POST',
    url: `/api/queue/next?${new URLSearchParams(query).toString()}`,
  });
  return {
    status: response.statusCode,
    body: response.statusCode === 200 ? response.json<{ data: QueueNext }>().data : (null as never),
    raw: response.body,
  };
}

async function assign(handle: string, categoryId: number) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${encodeURIComponent(handle)}/categories`,
    payload: { category_ids: [categoryId] },
  });
  expect(response.statusCode, response.body).toBe(201);
}

async function unassign(handle: string, categoryId: number) {
  const response = await test.request({
    method: 'DELETE',
    url: `/api/products/${encodeURIComponent(handle)}/categories/${categoryId}`,
  });
  expect(response.statusCode, response.body).toBe(200);
}

async function releaseAll() {
  await test.db.execute(sql`delete from queue_leases`);
}

const uncategorised = async () =>
  (
    await queryRows<{ product_id: string }>(
      test.db,
      sql`select product_id from products join product_state s using (id)
           where s.category_count = 0 order by products.product_name, id`,
    )
  ).map((row) => row.product_id);

const changeSets = async () =>
  (await queryOne<{ n: number }>(test.db, sql`select count(*)::int as n from change_sets`))!.n;

describe('the walk', () => {
  it('visits every uncategorised product once, in order, while every other one is categorised', async () => {
    await releaseAll();
    const expected = await uncategorised();
    expect(expected.length).toBe(33);
    const seen: string[] = [];
    let after: string | undefined;
    for (let step = 0; step < 100; step += 1) {
      const { status, body } = await next({ operator: A, ...(after ? { after } : {}) });
      expect(status).toBe(200);
      if (!body.product) break;
      seen.push(body.product.product_id);
      expect(body.lease?.seconds).toBe(120);
      // Categorise every other product shown: the ones after it neither shift nor get skipped.
      if (step % 2 === 0) await assign(body.product.product_id, tree.manualGuns.id);
      after = body.cursor!;
    }
    expect(seen).toEqual(expected);
    expect((await next({ operator: A, after: after! })).body.product).toBeNull();
    // Put the catalog back for the other tests.
    for (const [index, handle] of seen.entries()) {
      if (index % 2 === 0) await unassign(handle, tree.tools.id);
    }
    expect(await uncategorised()).toEqual(expected);
  });

  it('reports the remaining count, and the same product again to its own operator', async () => {
    await releaseAll();
    const first = await next({ operator: A });
    expect(first.body.remaining).toBe(33);
    const again = await next({ operator: A });
    expect(again.body.product?.product_id).toBe(first.body.product?.product_id);
    expect(again.body.released).toBeNull();
    expect(await queryOne(test.db, sql`select count(*)::int as n from queue_leases`)).toEqual({
      n: 1,
    });
  });

  it('walks any filter of the table: a vendor, a search, incomplete', async () => {
    await releaseAll();
    const vendor = await next({ operator: A, vendor: 'Acme', hide_allocated: 'false' });
    expect(vendor.body.remaining).toBe(33);
    const search = await next({ operator: A, search: 'Product 02' });
    expect(search.body.product?.product_name).toBe('Product 020');
    expect(search.body.remaining).toBe(10);
    // p-030 assigned only "Trade Tools", which has subcategories: filed too coarsely.
    await assign('p-030', tree.tools.id);
    const incomplete = await next({ operator: A, incomplete: 'true', hide_allocated: 'false' });
    expect(incomplete.body.product?.product_id).toBe('p-030');
    expect(incomplete.body.remaining).toBe(1);
    await assign('p-030', tree.trowels.id);
    const done = await next({ operator: A, incomplete: 'true', hide_allocated: 'false' });
    expect(done.body.product).toBeNull();
    await unassign('p-030', tree.tools.id);
  });
});

describe('leases', () => {
  it('gives a second operator a different product, and shows each to the other', async () => {
    await releaseAll();
    const a = await next({ operator: A });
    const b = await next({ operator: B });
    expect(b.body.product?.product_id).not.toBe(a.body.product?.product_id);
    expect(b.body.operators).toEqual([
      expect.objectContaining({ name: 'Operator oper', product_id: a.body.product?.product_id }),
    ]);
    // A moves on: its next product is neither B's nor its own previous one.
    const a2 = await next({ operator: A, after: a.body.cursor! });
    expect([a.body.product?.product_id, b.body.product?.product_id]).not.toContain(
      a2.body.product?.product_id,
    );
    expect(a2.body.released).toEqual({
      product_id: a.body.product?.product_id,
      matches_filter: true,
    });
    // …and A's first product is free again: a third operator starting over gets it.
    const c = await next({ operator: 'operator-cccc' });
    expect(c.body.product?.product_id).toBe(a.body.product?.product_id);
  });

  it('frees a product whose lease expired', async () => {
    await releaseAll();
    const a = await next({ operator: A });
    const b = await next({ operator: B });
    expect(b.body.product?.product_id).not.toBe(a.body.product?.product_id);
    // Time passes (the lease's end moved into the past rather than waiting 120 s).
    await test.db.execute(
      sql`update queue_leases set expires_at = now() - interval '1 second'
           where operator = ${`open:${A}`}`,
    );
    const c = await next({ operator: 'operator-cccc' });
    expect(c.body.product?.product_id).toBe(a.body.product?.product_id);
    expect(c.body.operators.map((operator) => operator.product_id)).toEqual([
      b.body.product?.product_id,
    ]);
  });

  it('a held product without a SKU that a new search does not match is released as not matching (not a 500)', async () => {
    await releaseAll();
    const start = await next({ operator: A });
    const held = start.body.product!.product_id;
    // `sku ilike …` is NULL, not false, for a product without a SKU (found by the fuzzer).
    const [{ sku }] = (await queryRows<{ sku: string }>(
      test.db,
      sql`select sku from products where product_id = ${held}`,
    )) as [{ sku: string }];
    await test.db.execute(sql`update products set sku = null where product_id = ${held}`);
    const other = await next({ operator: A, search: 'nothing-is-named-so' });
    expect(other.status, other.raw).toBe(200);
    expect(other.body.released).toEqual({ product_id: held, matches_filter: false });
    await test.db.execute(sql`update products set sku = ${sku} where product_id = ${held}`);
    await releaseAll();
  });

  it('skips a leased product categorised meanwhile, says so, and changes nothing', async () => {
    await releaseAll();
    const start = await next({ operator: A });
    const held = start.body.product!.product_id;
    await assign(held, tree.silicone.id); // by someone else
    const before = await changeSets();
    const again = await next({ operator: A });
    expect(again.body.product?.product_id).not.toBe(held);
    expect(again.body.released).toEqual({ product_id: held, matches_filter: false });
    expect(again.body.remaining).toBe(32);
    expect(await changeSets()).toBe(before);
    await unassign(held, tree.sealants.id);
  });

  it('gives the lease up on request', async () => {
    await releaseAll();
    const a = await next({ operator: A });
    const response = await test.request({
      method: 'DELETE',
      url: `/api/queue/lease?operator=${A}`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toEqual({ released: a.body.product?.product_id });
    const b = await next({ operator: B });
    expect(b.body.product?.product_id).toBe(a.body.product?.product_id);
  });

  it('keeps two app instances on one database apart (PostgreSQL)', async () => {
    if (test.driver !== 'postgres') return;
    await releaseAll();
    const other = await test.peer({ RATE_LIMIT_ENABLED: 'false' });
    try {
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          next({ operator: `operator-${index}-parallel` }, index % 2 ? other : test),
        ),
      );
      const handles = claims.map((claim) => claim.body.product?.product_id);
      expect(new Set(handles).size).toBe(6);
    } finally {
      await other.close();
    }
  });
});

describe('bad input', () => {
  it('refuses unknown filter fields, a malformed operator, and bad cursors with 422', async () => {
    const before = await changeSets();
    const bad: Record<string, string>[] = [
      { operator: A, colour: 'red' },
      { operator: 'short' },
      { operator: A, after: 'not-a-cursor' },
      { operator: A, after: Buffer.from('[1,2,3]').toString('base64url') },
      { operator: A, search: '%%' },
    ];
    for (const query of bad) {
      const { status, raw } = await next(query);
      expect(status, JSON.stringify(query)).toBe(422);
      expect(JSON.parse(raw)).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    // A cursor of another queue (other filters).
    const vendorQueue = await next({ operator: A, vendor: 'Acme' });
    const crossed = await next({ operator: A, after: vendorQueue.body.cursor! });
    expect(crossed.status).toBe(422);
    expect(crossed.raw).toContain('other filters');
    expect(await changeSets()).toBe(before);
  });

  it('takes the caller as the operator when no operator id is sent', async () => {
    await releaseAll();
    const first = await next({});
    const again = await next({});
    expect(again.body.product?.product_id).toBe(first.body.product?.product_id);
    const other = await next({ operator: B });
    expect(other.body.product?.product_id).not.toBe(first.body.product?.product_id);
    expect(other.body.operators[0]?.name).toMatch(/^Client /);
  });

  it('answers a filter that matches nothing with no product and nothing remaining', async () => {
    await releaseAll();
    const before = await changeSets();
    const { status, body } = await next({ operator: A, vendor: 'Nobody Makes This' });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      product: null,
      remaining: 0,
      remaining_estimated: false,
      cursor: null,
      lease: null,
    });
    // No lease taken, nothing written.
    expect(await queryRows(test.db, sql`select * from queue_leases`)).toEqual([]);
    expect(await changeSets()).toBe(before);
  });

  it('refuses a malformed operator when giving a lease up, and keeps the lease', async () => {
    await releaseAll();
    const held = await next({ operator: A });
    for (const operator of ['short', 'has space!', 'x'.repeat(65)]) {
      const response = await test.request({
        method: 'DELETE',
        url: `/api/queue/lease?operator=${encodeURIComponent(operator)}`,
      });
      expect(response.statusCode, operator).toBe(422);
      expect(response.json()).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    const leases = await queryRows<{ operator: string }>(
      test.db,
      sql`select operator from queue_leases`,
    );
    expect(leases).toHaveLength(1);
    expect(held.body.lease).not.toBeNull();
  });

  it('counts the remaining products exactly on a small catalog, a search included', async () => {
    const { body } = await next({ operator: A, search: 'Product' });
    expect(body.remaining_estimated).toBe(false);
    const exact = await queryOne<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from products join product_state using (id)
           where category_count = 0 and products.product_name ilike '%product%'`,
    );
    expect(body.remaining).toBe(exact!.n);
  });
});
