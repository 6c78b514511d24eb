/**
 * Assignments: the closure rule (ancestors come with a category, descendants go with it), the
 * counters that follow, bulk requests with per-item results in one transaction, and the change
 * set every write records.
 */
import type {
  AssignResult,
  BulkAssignResult,
  BulkRemoveResult,
  Category,
  ChangeSet,
  ErrorEnvelope,
  ProductDetail,
  RemoveResult,
} from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import {
  createProducts,
  createSampleTree,
  importProductsCsv,
  shopifyCsv,
} from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

interface Ok<Data> {
  success: true;
  data: Data;
  request_id: string;
  timestamp: string;
}

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

beforeAll(async () => {
  test = await createTestApp();
  tree = await createSampleTree(test);
  await createProducts(test, 40);
});
afterAll(async () => {
  await test.close();
});

const ids = (refs: readonly { id: number }[]) => refs.map((ref) => ref.id);
const sorted = (values: readonly number[]) => [...values].sort((a, b) => a - b);

/** The categories stored for a product, read straight from the table. */
async function storedCategories(handle: string): Promise<number[]> {
  const rows = await queryRows<{ category_id: number }>(
    test.db,
    sql`select pc.category_id from product_categories pc join products p on p.id = pc.product_id
         where p.product_id = ${handle} order by pc.category_id`,
  );
  return rows.map((row) => row.category_id);
}

async function internalId(handle: string): Promise<number> {
  const rows = await queryRows<{ id: number }>(
    test.db,
    sql`select id from products where product_id = ${handle}`,
  );
  return rows[0]!.id;
}

async function productCounter(handle: string): Promise<number> {
  const rows = await queryRows<{ category_count: number }>(
    test.db,
    sql`select category_count from products join product_state using (id)
         where product_id = ${handle}`,
  );
  return rows[0]!.category_count;
}

async function categoryProductCount(id: number): Promise<number> {
  const response = await test.request(`/api/categories/${id}`);
  expect(response.statusCode).toBe(200);
  return response.json<Ok<Category>>().data.product_count;
}

async function product(handle: string): Promise<ProductDetail> {
  const response = await test.request(`/api/products/${encodeURIComponent(handle)}`);
  expect(response.statusCode).toBe(200);
  return response.json<Ok<ProductDetail>>().data;
}

async function assign(handle: string, categoryIds: number[]) {
  return test.request({
    method: 'POST',
    url: `/api/products/${encodeURIComponent(handle)}/categories`,
    payload: { category_ids: categoryIds },
  });
}

async function remove(handle: string, categoryId: number) {
  return test.request({
    method: 'DELETE',
    url: `/api/products/${encodeURIComponent(handle)}/categories/${categoryId}`,
  });
}

async function latestChanges(limit: number): Promise<ChangeSet[]> {
  const response = await test.request(`/api/changes?limit=${limit}`);
  expect(response.statusCode).toBe(200);
  return response.json<Ok<ChangeSet[]>>().data;
}

async function changeCount(): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    test.db,
    sql`select count(*)::int as n from change_sets`,
  );
  return rows[0]!.n;
}

describe('assigning categories to one product', () => {
  it('adds the missing ancestors, reports them in ancestors_added and answers 201', async () => {
    const response = await assign('p-001', [tree.manualGuns.id]);
    expect(response.statusCode).toBe(201);
    const body = response.json<Ok<AssignResult>>();
    expect(body.success).toBe(true);
    expect(body.data.product_id).toBe('p-001');
    expect(body.data.added).toEqual([{ id: tree.manualGuns.id, name: 'Manual Guns', level: 3 }]);
    expect(body.data.ancestors_added).toEqual([
      { id: tree.tools.id, name: 'Trade Tools', level: 1 },
      { id: tree.guns.id, name: 'Caulking Guns', level: 2 },
    ]);
    expect(body.data.already_assigned).toEqual([]);
    expect(body.data.categories.map((category) => category.path)).toEqual([
      'Trade Tools',
      'Trade Tools > Caulking Guns',
      'Trade Tools > Caulking Guns > Manual Guns',
    ]);

    expect(await storedCategories('p-001')).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.manualGuns.id]),
    );
    expect(await productCounter('p-001')).toBe(3);
    const detail = await product('p-001');
    expect(detail.has_allocations).toBe(true);
    expect(detail.category_count).toBe(3);
    expect(ids(detail.categories)).toEqual([tree.tools.id, tree.guns.id, tree.manualGuns.id]);
    expect(await categoryProductCount(tree.tools.id)).toBe(1);
    expect(await categoryProductCount(tree.guns.id)).toBe(1);
    expect(await categoryProductCount(tree.manualGuns.id)).toBe(1);
    expect(await categoryProductCount(tree.batteryGuns.id)).toBe(0);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('reports categories the product already has as already_assigned and adds only the rest', async () => {
    const response = await assign('p-001', [tree.manualGuns.id, tree.batteryGuns.id]);
    expect(response.statusCode).toBe(201);
    const { data } = response.json<Ok<AssignResult>>();
    expect(ids(data.added)).toEqual([tree.batteryGuns.id]);
    expect(data.ancestors_added).toEqual([]);
    expect(ids(data.already_assigned)).toEqual([tree.manualGuns.id]);
    expect(ids(data.categories)).toEqual([
      tree.tools.id,
      tree.guns.id,
      tree.batteryGuns.id,
      tree.manualGuns.id,
    ]);

    expect(await storedCategories('p-001')).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.manualGuns.id, tree.batteryGuns.id]),
    );
    expect((await product('p-001')).category_count).toBe(4);
    expect(await categoryProductCount(tree.guns.id)).toBe(1);
    expect(await categoryProductCount(tree.batteryGuns.id)).toBe(1);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('answers 201 and changes nothing when every requested category is already assigned', async () => {
    const before = await snapshot(test.db);
    const response = await assign('p-001', [tree.tools.id, tree.guns.id]);
    expect(response.statusCode).toBe(201);
    const { data } = response.json<Ok<AssignResult>>();
    expect(data.added).toEqual([]);
    expect(data.ancestors_added).toEqual([]);
    expect(ids(data.already_assigned)).toEqual([tree.tools.id, tree.guns.id]);
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('assigns categories from two branches at once, with each branch’s missing ancestors', async () => {
    const response = await assign('p-002', [tree.neutralCure.id, tree.tools.id]);
    expect(response.statusCode).toBe(201);
    const { data } = response.json<Ok<AssignResult>>();
    expect(sorted(ids(data.added))).toEqual(sorted([tree.tools.id, tree.neutralCure.id]));
    expect(sorted(ids(data.ancestors_added))).toEqual(sorted([tree.sealants.id, tree.silicone.id]));
    expect(data.already_assigned).toEqual([]);
    expect(await storedCategories('p-002')).toEqual(
      sorted([tree.tools.id, tree.sealants.id, tree.silicone.id, tree.neutralCure.id]),
    );
    expect(await productCounter('p-002')).toBe(4);
    expect(await categoryProductCount(tree.tools.id)).toBe(2);
    expect(await categoryProductCount(tree.sealants.id)).toBe(1);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('answers 404 for an unknown product and stores nothing', async () => {
    const before = await snapshot(test.db);
    const response = await assign('no-such-product', [tree.tools.id]);
    expect(response.statusCode).toBe(404);
    const body = response.json<ErrorEnvelope>();
    expect(body.success).toBe(false);
    expect(body.code).toBe('NOT_FOUND');
    expect(body.details).toEqual({ resource: 'product', identifier: 'no-such-product' });
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('answers 404 for an unknown category, even next to known ones, and stores nothing', async () => {
    const before = await snapshot(test.db);
    const response = await assign('p-003', [tree.trowels.id, 987_654]);
    expect(response.statusCode).toBe(404);
    const body = response.json<ErrorEnvelope>();
    expect(body.code).toBe('NOT_FOUND');
    expect(body.details).toEqual({ resource: 'category', identifier: 987_654 });
    expect(await snapshot(test.db)).toEqual(before);
    expect(await storedCategories('p-003')).toEqual([]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('rejects an empty, duplicated, oversized or mistyped category list with 422', async () => {
    const before = await snapshot(test.db);
    const bodies: unknown[] = [
      { category_ids: [] },
      { category_ids: [tree.tools.id, tree.tools.id] },
      { category_ids: Array.from({ length: 51 }, (_, index) => index + 1) },
      { category_ids: ['1'] },
      { category_ids: [0] },
      {},
      { category_ids: [tree.tools.id], extra: true },
    ];
    for (const payload of bodies) {
      const response = await test.request({
        method: 'POST',
        url: '/api/products/p-003/categories',
        payload: payload as Record<string, unknown>,
      });
      expect(response.statusCode, JSON.stringify(payload)).toBe(422);
      const body = response.json<ErrorEnvelope>();
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.details.validation_errors).toEqual(body.details.field_errors);
      expect(body.details.field_errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: expect.any(String) })]),
      );
    }
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('records a change set with the kind, the ids and before → after', async () => {
    const productId = await internalId('p-004');
    await assign('p-004', [tree.trowels.id]);
    const response = await assign('p-004', [tree.batteryGuns.id]);
    expect(response.statusCode).toBe(201);
    const requestId = response.json<Ok<AssignResult>>().request_id;

    const [change] = await latestChanges(1);
    expect(change).toBeDefined();
    expect(change!.kind).toBe('product.assign');
    expect(change!.source).toBe('api');
    expect(change!.request_id).toBe(requestId);
    expect(change!.product_ids).toEqual([productId]);
    expect(sorted(change!.category_ids)).toEqual(sorted([tree.guns.id, tree.batteryGuns.id]));
    const before = change!.before as { product_id: string; category_ids: number[] };
    const after = change!.after as { product_id: string; category_ids: number[] };
    expect(before.product_id).toBe('p-004');
    expect(sorted(before.category_ids)).toEqual(sorted([tree.tools.id, tree.trowels.id]));
    expect(after.product_id).toBe('p-004');
    expect(sorted(after.category_ids)).toEqual(
      sorted([tree.tools.id, tree.trowels.id, tree.guns.id, tree.batteryGuns.id]),
    );
    expect(Date.parse(change!.created_at)).not.toBeNaN();
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('reaches a product whose handle holds ® and ™ through a URL-encoded path', async () => {
    const imported = await importProductsCsv(
      test,
      shopifyCsv([{ handle: 'bostik-ultraset®-sf™', title: 'Bostik Ultraset® SF™' }]),
    );
    expect(imported.statusCode).toBe(200);
    const added = await assign('bostik-ultraset®-sf™', [tree.neutralCure.id]);
    expect(added.statusCode).toBe(201);
    expect(added.json<Ok<AssignResult>>().data.product_id).toBe('bostik-ultraset®-sf™');
    expect(await storedCategories('bostik-ultraset®-sf™')).toEqual(
      sorted([tree.sealants.id, tree.silicone.id, tree.neutralCure.id]),
    );

    const removed = await remove('bostik-ultraset®-sf™', tree.silicone.id);
    expect(removed.statusCode).toBe(200);
    expect(ids(removed.json<Ok<RemoveResult>>().data.descendants_removed)).toEqual([
      tree.neutralCure.id,
    ]);
    expect(await storedCategories('bostik-ultraset®-sf™')).toEqual([tree.sealants.id]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('removing a category from one product', () => {
  it('removes the assigned descendants with it and reports them as descendants_removed', async () => {
    await assign('p-010', [
      tree.manualGuns.id,
      tree.batteryGuns.id,
      tree.trowels.id,
      tree.neutralCure.id,
    ]);
    expect(await productCounter('p-010')).toBe(8);
    const gunsBefore = await categoryProductCount(tree.guns.id);
    const manualBefore = await categoryProductCount(tree.manualGuns.id);

    const response = await remove('p-010', tree.guns.id);
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<RemoveResult>>();
    expect(data.product_id).toBe('p-010');
    expect(data.removed).toEqual([{ id: tree.guns.id, name: 'Caulking Guns', level: 2 }]);
    expect(ids(data.descendants_removed)).toEqual([tree.batteryGuns.id, tree.manualGuns.id]);
    expect(ids(data.categories)).toEqual([
      tree.sealants.id,
      tree.tools.id,
      tree.silicone.id,
      tree.trowels.id,
      tree.neutralCure.id,
    ]);

    expect(await storedCategories('p-010')).toEqual(
      sorted([
        tree.tools.id,
        tree.trowels.id,
        tree.sealants.id,
        tree.silicone.id,
        tree.neutralCure.id,
      ]),
    );
    expect(await productCounter('p-010')).toBe(5);
    expect(await categoryProductCount(tree.guns.id)).toBe(gunsBefore - 1);
    expect(await categoryProductCount(tree.manualGuns.id)).toBe(manualBefore - 1);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('removes a leaf alone, with no descendants to report', async () => {
    const response = await remove('p-010', tree.neutralCure.id);
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<RemoveResult>>();
    expect(ids(data.removed)).toEqual([tree.neutralCure.id]);
    expect(data.descendants_removed).toEqual([]);
    expect(await storedCategories('p-010')).toEqual(
      sorted([tree.tools.id, tree.trowels.id, tree.sealants.id, tree.silicone.id]),
    );
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('clears has_allocations once the last category is gone', async () => {
    await remove('p-010', tree.tools.id);
    const response = await remove('p-010', tree.sealants.id);
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<RemoveResult>>();
    expect(ids(data.descendants_removed)).toEqual([tree.silicone.id]);
    expect(data.categories).toEqual([]);
    expect(await storedCategories('p-010')).toEqual([]);
    const detail = await product('p-010');
    expect(detail.has_allocations).toBe(false);
    expect(detail.category_count).toBe(0);
    expect(detail.categories).toEqual([]);

    const unallocated = await test.request('/api/products?hide_allocated=true&search=p-010');
    expect(
      unallocated.json<Ok<{ product_id: string }[]>>().data.map((item) => item.product_id),
    ).toEqual(['p-010']);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('records a change set for the removal', async () => {
    await assign('p-011', [tree.manualGuns.id]);
    const response = await remove('p-011', tree.tools.id);
    expect(response.statusCode).toBe(200);
    const [change] = await latestChanges(1);
    expect(change!.kind).toBe('product.remove');
    expect(change!.request_id).toBe(response.json<Ok<RemoveResult>>().request_id);
    expect(change!.product_ids).toEqual([await internalId('p-011')]);
    expect(sorted(change!.category_ids)).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.manualGuns.id]),
    );
    const before = change!.before as { category_ids: number[] };
    const after = change!.after as { category_ids: number[] };
    expect(sorted(before.category_ids)).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.manualGuns.id]),
    );
    expect(after.category_ids).toEqual([]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('answers 404 when the category is not assigned, or product or category is unknown', async () => {
    await assign('p-012', [tree.trowels.id]);
    const before = await snapshot(test.db);

    const notAssigned = await remove('p-012', tree.guns.id);
    expect(notAssigned.statusCode).toBe(404);
    expect(notAssigned.json<ErrorEnvelope>().code).toBe('NOT_FOUND');
    expect(notAssigned.json<ErrorEnvelope>().details.resource).toBe('assignment');

    const unknownProduct = await remove('nobody', tree.tools.id);
    expect(unknownProduct.statusCode).toBe(404);
    expect(unknownProduct.json<ErrorEnvelope>().details).toEqual({
      resource: 'product',
      identifier: 'nobody',
    });

    const unknownCategory = await remove('p-012', 987_654);
    expect(unknownCategory.statusCode).toBe(404);
    expect(unknownCategory.json<ErrorEnvelope>().details).toEqual({
      resource: 'category',
      identifier: 987_654,
    });

    const badId = await remove('p-012', 0);
    expect(badId.statusCode).toBe(422);

    expect(await snapshot(test.db)).toEqual(before);
    expect(await storedCategories('p-012')).toEqual(sorted([tree.tools.id, tree.trowels.id]));
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('bulk assign', () => {
  it('assigns to many products with per-item results and a summary', async () => {
    await assign('p-021', [tree.tools.id]);
    await assign('p-022', [tree.manualGuns.id]);
    const changesBefore = await changeCount();

    const response = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: {
        product_ids: ['p-020', 'p-021', 'p-022'],
        category_ids: [tree.manualGuns.id, tree.silicone.id],
      },
    });
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<BulkAssignResult>>();
    expect(data.results).toEqual([
      {
        product_id: 'p-020',
        assigned: [tree.manualGuns.id, tree.silicone.id].sort((a, b) => levelOrder(a, b)),
        ancestors_added: expect.any(Array),
        skipped: [],
        errors: [],
      },
      {
        product_id: 'p-021',
        assigned: expect.any(Array),
        ancestors_added: [tree.sealants.id, tree.guns.id],
        skipped: [],
        errors: [],
      },
      {
        product_id: 'p-022',
        assigned: [tree.silicone.id],
        ancestors_added: [tree.sealants.id],
        skipped: [tree.manualGuns.id],
        errors: [],
      },
    ]);
    expect(sorted(data.results[0]!.ancestors_added)).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.sealants.id]),
    );
    expect(sorted(data.results[1]!.assigned)).toEqual(
      sorted([tree.manualGuns.id, tree.silicone.id]),
    );
    expect(data.summary).toEqual({
      products_processed: 3,
      total_assigned: 5,
      total_ancestors_added: 6,
      total_skipped: 1,
      total_errors: 0,
    });

    const full = sorted([
      tree.tools.id,
      tree.guns.id,
      tree.manualGuns.id,
      tree.sealants.id,
      tree.silicone.id,
    ]);
    for (const handle of ['p-020', 'p-021', 'p-022']) {
      expect(await storedCategories(handle)).toEqual(full);
      expect(await productCounter(handle)).toBe(5);
    }

    expect(await changeCount()).toBe(changesBefore + 1);
    const [change] = await latestChanges(1);
    expect(change!.kind).toBe('bulk.assign');
    expect(change!.request_id).toBe(response.json<Ok<BulkAssignResult>>().request_id);
    expect(sorted(change!.product_ids)).toEqual(
      sorted([await internalId('p-020'), await internalId('p-021'), await internalId('p-022')]),
    );
    // The change set names every category the request actually added, ancestors included.
    expect(sorted(change!.category_ids)).toEqual(full);
    const after = change!.after as {
      summary: unknown;
      changed: { product_id: string; added: number[] }[];
    };
    expect(after.summary).toEqual(data.summary);
    expect(after.changed.map((item) => item.product_id)).toEqual(['p-020', 'p-021', 'p-022']);
    expect(sorted(after.changed[2]!.added)).toEqual(sorted([tree.sealants.id, tree.silicone.id]));
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('reports unknown product handles and category ids per item, never as a 500', async () => {
    const changesBefore = await changeCount();
    const response = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: {
        product_ids: ['p-023', 'no-such-handle', 'P-024'],
        category_ids: [tree.trowels.id, 987_654],
      },
    });
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<BulkAssignResult>>();
    expect(data.results).toEqual([
      {
        product_id: 'p-023',
        assigned: [tree.trowels.id],
        ancestors_added: [tree.tools.id],
        skipped: [],
        errors: [{ category_id: 987_654, reason: expect.any(String) }],
      },
      {
        product_id: 'no-such-handle',
        assigned: [],
        ancestors_added: [],
        skipped: [],
        errors: [{ category_id: null, reason: expect.stringContaining('product') }],
      },
      // Handles are case-sensitive: P-024 is not p-024.
      {
        product_id: 'P-024',
        assigned: [],
        ancestors_added: [],
        skipped: [],
        errors: [{ category_id: null, reason: expect.stringContaining('product') }],
      },
    ]);
    expect(data.summary).toEqual({
      products_processed: 3,
      total_assigned: 1,
      total_ancestors_added: 1,
      total_skipped: 0,
      total_errors: 3,
    });
    expect(await storedCategories('p-023')).toEqual(sorted([tree.tools.id, tree.trowels.id]));
    expect(await storedCategories('p-024')).toEqual([]);
    expect(await changeCount()).toBe(changesBefore + 1);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('changes nothing and records nothing when no item can be applied', async () => {
    const before = await snapshot(test.db);
    const response = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { product_ids: ['ghost-1', 'ghost-2'], category_ids: [987_654] },
    });
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<BulkAssignResult>>();
    expect(
      data.results.every((item) => item.errors.length === 1 && item.assigned.length === 0),
    ).toBe(true);
    expect(data.summary.total_errors).toBe(2);
    expect(data.summary.total_assigned).toBe(0);
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('rejects malformed bulk requests with 422 and changes nothing', async () => {
    const before = await snapshot(test.db);
    const bodies: Record<string, unknown>[] = [
      { product_ids: [], category_ids: [tree.tools.id] },
      { product_ids: ['p-025', 'p-025'], category_ids: [tree.tools.id] },
      { product_ids: ['p-025'], category_ids: [] },
      { product_ids: ['p-025'], category_ids: [tree.tools.id, tree.tools.id] },
      { product_ids: [''], category_ids: [tree.tools.id] },
      { product_ids: ['p-025'] },
      { product_ids: ['p-025', 'bad\u0000handle'], category_ids: [tree.tools.id] },
    ];
    for (const payload of bodies) {
      for (const url of ['/api/bulk/assign', '/api/bulk/remove']) {
        const response = await test.request({ method: 'POST', url, payload });
        expect(response.statusCode, `${url} ${JSON.stringify(payload)}`).toBe(422);
        expect(response.json<ErrorEnvelope>().code).toBe('VALIDATION_ERROR');
        expect(response.json<ErrorEnvelope>().details.field_errors).not.toEqual([]);
      }
    }
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('runs as one transaction: a failure after the inserts leaves nothing behind', async () => {
    // Fault injection: the change-set insert, the last statement of the request, fails.
    await test.db.execute(sql`
      create function fail_change_sets() returns trigger language plpgsql as $$
      begin raise exception 'injected failure' using errcode = '40001'; end $$`);
    await test.db.execute(sql`
      create trigger fail_change_sets before insert on change_sets
      for each row execute function fail_change_sets()`);
    try {
      const before = await snapshot(test.db);
      const assignResponse = await test.request({
        method: 'POST',
        url: '/api/bulk/assign',
        payload: { product_ids: ['p-026', 'p-027'], category_ids: [tree.neutralCure.id] },
      });
      expect(assignResponse.statusCode).toBe(503);
      expect(assignResponse.json<ErrorEnvelope>().code).toBe('SERVICE_UNAVAILABLE');
      expect(await snapshot(test.db)).toEqual(before);
      expect(await storedCategories('p-026')).toEqual([]);

      const removeResponse = await test.request({
        method: 'POST',
        url: '/api/bulk/remove',
        payload: { product_ids: ['p-020', 'p-021'], category_ids: [tree.tools.id] },
      });
      expect(removeResponse.statusCode).toBe(503);
      expect(await snapshot(test.db)).toEqual(before);
    } finally {
      await test.db.execute(sql`drop trigger fail_change_sets on change_sets`);
      await test.db.execute(sql`drop function fail_change_sets()`);
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('keeps the invariant under concurrent overlapping bulk requests', async () => {
    const handles = ['p-030', 'p-031', 'p-032', 'p-033'];
    const requests = [
      { product_ids: handles, category_ids: [tree.manualGuns.id] },
      { product_ids: [...handles].reverse(), category_ids: [tree.batteryGuns.id, tree.guns.id] },
      { product_ids: handles.slice(1), category_ids: [tree.neutralCure.id, tree.manualGuns.id] },
    ];
    const responses = await Promise.all(
      requests.map((payload) => test.request({ method: 'POST', url: '/api/bulk/assign', payload })),
    );
    for (const response of responses) expect(response.statusCode).toBe(200);
    expect(await storedCategories('p-030')).toEqual(
      sorted([tree.tools.id, tree.guns.id, tree.manualGuns.id, tree.batteryGuns.id]),
    );
    for (const handle of handles.slice(1)) {
      expect(await storedCategories(handle)).toEqual(
        sorted([
          tree.tools.id,
          tree.guns.id,
          tree.manualGuns.id,
          tree.batteryGuns.id,
          tree.sealants.id,
          tree.silicone.id,
          tree.neutralCure.id,
        ]),
      );
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('bulk remove', () => {
  it('removes from many products with descendants, skips what is not assigned, reports errors', async () => {
    await assign('p-035', [tree.manualGuns.id, tree.trowels.id]);
    await assign('p-036', [tree.guns.id]);
    // p-037 has nothing.
    const changesBefore = await changeCount();

    const response = await test.request({
      method: 'POST',
      url: '/api/bulk/remove',
      payload: {
        product_ids: ['p-035', 'p-036', 'p-037', 'missing'],
        category_ids: [tree.guns.id, 987_654],
      },
    });
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<BulkRemoveResult>>();
    const unknownCategory = { category_id: 987_654, reason: expect.any(String) };
    expect(data.results).toEqual([
      {
        product_id: 'p-035',
        removed: [tree.guns.id],
        descendants_removed: [tree.manualGuns.id],
        skipped: [],
        errors: [unknownCategory],
      },
      {
        product_id: 'p-036',
        removed: [tree.guns.id],
        descendants_removed: [],
        skipped: [],
        errors: [unknownCategory],
      },
      {
        product_id: 'p-037',
        removed: [],
        descendants_removed: [],
        skipped: [tree.guns.id],
        errors: [unknownCategory],
      },
      {
        product_id: 'missing',
        removed: [],
        descendants_removed: [],
        skipped: [],
        errors: [{ category_id: null, reason: expect.stringContaining('product') }],
      },
    ]);
    expect(data.summary).toEqual({
      products_processed: 4,
      total_removed: 2,
      total_descendants_removed: 1,
      total_skipped: 1,
      total_errors: 4,
    });
    expect(await storedCategories('p-035')).toEqual(sorted([tree.tools.id, tree.trowels.id]));
    expect(await storedCategories('p-036')).toEqual([tree.tools.id]);
    expect(await storedCategories('p-037')).toEqual([]);
    expect(await productCounter('p-035')).toBe(2);
    expect(await productCounter('p-036')).toBe(1);

    expect(await changeCount()).toBe(changesBefore + 1);
    const [change] = await latestChanges(1);
    expect(change!.kind).toBe('bulk.remove');
    expect(sorted(change!.product_ids)).toEqual(
      sorted([await internalId('p-035'), await internalId('p-036')]),
    );
    // The change set names every category the request actually removed, descendants included.
    expect(sorted(change!.category_ids)).toEqual(sorted([tree.guns.id, tree.manualGuns.id]));
    const after = change!.after as {
      summary: unknown;
      changed: { product_id: string; removed: number[] }[];
    };
    expect(after.summary).toEqual(data.summary);
    expect(after.changed).toEqual([
      { product_id: 'p-035', removed: [tree.guns.id, tree.manualGuns.id] },
      { product_id: 'p-036', removed: [tree.guns.id] },
    ]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('removing a level-1 category clears the whole branch and the product counters follow', async () => {
    const before = await categoryProductCount(tree.tools.id);
    const response = await test.request({
      method: 'POST',
      url: '/api/bulk/remove',
      payload: { product_ids: ['p-035', 'p-036'], category_ids: [tree.tools.id] },
    });
    expect(response.statusCode).toBe(200);
    const { data } = response.json<Ok<BulkRemoveResult>>();
    expect(data.results[0]!.descendants_removed).toEqual([tree.trowels.id]);
    expect(data.summary.total_removed).toBe(2);
    expect(data.summary.total_descendants_removed).toBe(1);
    for (const handle of ['p-035', 'p-036']) {
      expect(await storedCategories(handle)).toEqual([]);
      const detail = await product(handle);
      expect(detail.has_allocations).toBe(false);
      expect(detail.category_count).toBe(0);
    }
    expect(await categoryProductCount(tree.tools.id)).toBe(before - 2);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('the bulk product limit', () => {
  it('follows BULK_MAX_PRODUCTS: more ids than allowed is 422, the limit itself is fine', async () => {
    const limited = await createTestApp({ BULK_MAX_PRODUCTS: '3' });
    try {
      const limitedTree = await createSampleTree(limited);
      await createProducts(limited, 4);
      const before = await snapshot(limited.db);
      for (const url of ['/api/bulk/assign', '/api/bulk/remove']) {
        const tooMany = await limited.request({
          method: 'POST',
          url,
          payload: {
            product_ids: ['p-001', 'p-002', 'p-003', 'p-004'],
            category_ids: [limitedTree.tools.id],
          },
        });
        expect(tooMany.statusCode).toBe(422);
        const body = tooMany.json<ErrorEnvelope>();
        expect(body.code).toBe('VALIDATION_ERROR');
        expect(body.details.field_errors).toEqual(
          expect.arrayContaining([expect.objectContaining({ field: 'product_ids' })]),
        );
      }
      expect(await snapshot(limited.db)).toEqual(before);

      const allowed = await limited.request({
        method: 'POST',
        url: '/api/bulk/assign',
        payload: { product_ids: ['p-001', 'p-002', 'p-003'], category_ids: [limitedTree.tools.id] },
      });
      expect(allowed.statusCode).toBe(200);
      expect(allowed.json<Ok<BulkAssignResult>>().data.summary.total_assigned).toBe(3);
      expect(await invariantViolations(limited.db)).toEqual([]);
    } finally {
      await limited.close();
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

/** The display order of the service: level first, then path. */
function levelOrder(a: number, b: number): number {
  const level = (id: number) => Object.values(tree).find((category) => category.id === id)!.level;
  return level(a) - level(b);
}
