/** GET /api/stats: totals, the categorised share, per-level counts and the most-used categories. */
import type { Stats } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import {
  createCategory,
  createSampleTree,
  importProductsCsv,
  shopifyCsv,
} from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';

interface Ok<Data> {
  success: true;
  data: Data;
  request_id: string;
  timestamp: string;
}

let test: TestApp;

beforeAll(async () => {
  test = await createTestApp();
});
afterAll(async () => {
  await test.close();
});

async function stats(): Promise<Stats> {
  const response = await test.request('/api/stats');
  expect(response.statusCode).toBe(200);
  const body = response.json<Ok<Stats>>();
  expect(body.success).toBe(true);
  return body.data;
}

async function assign(handle: string, categoryIds: number[]) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${handle}/categories`,
    payload: { category_ids: categoryIds },
  });
  expect(response.statusCode).toBe(201);
}

/** The same figures counted from the tables, independently of the counters. */
async function countedFromTables() {
  const [row] = await queryRows<{
    total: number;
    categorized: number;
    assignments: number;
    categories: number;
  }>(
    test.db,
    sql`select (select count(*)::int from products) as total,
               (select count(distinct product_id)::int from product_categories) as categorized,
               (select count(*)::int from product_categories) as assignments,
               (select count(*)::int from categories) as categories`,
  );
  return row!;
}

describe('statistics', () => {
  it('reports zeros for an empty catalog', async () => {
    expect(await stats()).toEqual({
      total_products: 0,
      categorized_products: 0,
      uncategorized_products: 0,
      categorized_share: 0,
      total_categories: 0,
      total_assignments: 0,
      categories_by_level: { level_1: 0, level_2: 0, level_3: 0 },
      products_by_status: { active: 0, draft: 0, archived: 0 },
      top_categories: [],
      top_categories_by_level: { level_1: [], level_2: [], level_3: [] },
    });
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('reports totals, the categorised share, per-level counts and top categories after assignments', async () => {
    const tree = await createSampleTree(test);
    const rows = Array.from({ length: 10 }, (_, index) => ({
      handle: `s-${index + 1}`,
      title: `Stat ${index + 1}`,
      status: index < 6 ? 'active' : index < 9 ? 'draft' : 'archived',
    }));
    expect((await importProductsCsv(test, shopifyCsv(rows))).statusCode).toBe(200);

    await assign('s-1', [tree.manualGuns.id]); // tools, guns, manual
    await assign('s-2', [tree.manualGuns.id, tree.neutralCure.id]); // + sealants, silicone, neutral
    await assign('s-3', [tree.trowels.id]); // tools, trowels
    await assign('s-4', [tree.tools.id]); // tools

    const data = await stats();
    expect(data.total_products).toBe(10);
    expect(data.categorized_products).toBe(4);
    expect(data.uncategorized_products).toBe(6);
    expect(data.categorized_share).toBeCloseTo(0.4, 10);
    expect(data.total_categories).toBe(8);
    expect(data.total_assignments).toBe(3 + 6 + 2 + 1);
    expect(data.categories_by_level).toEqual({ level_1: 2, level_2: 3, level_3: 3 });
    expect(data.products_by_status).toEqual({ active: 6, draft: 3, archived: 1 });
    expect(data.top_categories).toEqual([
      { id: tree.tools.id, name: 'Trade Tools', level: 1, path: 'Trade Tools', product_count: 4 },
      {
        id: tree.guns.id,
        name: 'Caulking Guns',
        level: 2,
        path: 'Trade Tools > Caulking Guns',
        product_count: 2,
      },
      {
        id: tree.manualGuns.id,
        name: 'Manual Guns',
        level: 3,
        path: 'Trade Tools > Caulking Guns > Manual Guns',
        product_count: 2,
      },
      { id: tree.sealants.id, name: 'Sealants', level: 1, path: 'Sealants', product_count: 1 },
      {
        id: tree.trowels.id,
        name: 'Trowels',
        level: 2,
        path: 'Trade Tools > Trowels',
        product_count: 1,
      },
      {
        id: tree.silicone.id,
        name: 'Silicone',
        level: 2,
        path: 'Sealants > Silicone',
        product_count: 1,
      },
      {
        id: tree.neutralCure.id,
        name: 'Neutral Cure',
        level: 3,
        path: 'Sealants > Silicone > Neutral Cure',
        product_count: 1,
      },
    ]);
    // Categories no product uses are not "most used".
    expect(data.top_categories.some((category) => category.id === tree.batteryGuns.id)).toBe(false);
    // Each level's own list: level 1 does not crowd out the deeper levels.
    const ids = (level: 1 | 2 | 3) =>
      data.top_categories_by_level[`level_${level}`].map((category) => [
        category.id,
        category.level,
        category.product_count,
      ]);
    expect(ids(1)).toEqual([
      [tree.tools.id, 1, 4],
      [tree.sealants.id, 1, 1],
    ]);
    expect(ids(2)).toEqual(
      [
        [tree.guns.id, 2, 2],
        [tree.silicone.id, 2, 1],
        [tree.trowels.id, 2, 1],
      ].sort((a, b) => b[2]! - a[2]! || a[0]! - b[0]!),
    );
    expect(ids(3)).toEqual([
      [tree.manualGuns.id, 3, 2],
      [tree.neutralCure.id, 3, 1],
    ]);
    expect(data.top_categories_by_level.level_3[0]).toMatchObject({
      name: 'Manual Guns',
      path: 'Trade Tools > Caulking Guns > Manual Guns',
    });

    const counted = await countedFromTables();
    expect(data.total_products).toBe(counted.total);
    expect(data.categorized_products).toBe(counted.categorized);
    expect(data.total_assignments).toBe(counted.assignments);
    expect(data.total_categories).toBe(counted.categories);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('follows removals and bulk writes', async () => {
    const tools = (await stats()).top_categories[0]!;
    const removed = await test.request({
      method: 'DELETE',
      url: `/api/products/s-4/categories/${tools.id}`,
    });
    expect(removed.statusCode).toBe(200);
    let data = await stats();
    expect(data.categorized_products).toBe(3);
    expect(data.uncategorized_products).toBe(7);
    expect(data.categorized_share).toBeCloseTo(0.3, 10);
    expect(data.top_categories[0]).toMatchObject({ id: tools.id, product_count: 3 });

    const bulk = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: {
        product_ids: ['s-5', 's-6', 's-7', 's-8', 's-9', 's-10'],
        category_ids: [tools.id],
      },
    });
    expect(bulk.statusCode).toBe(200);
    data = await stats();
    expect(data.categorized_products).toBe(9);
    expect(data.uncategorized_products).toBe(1);
    expect(data.categorized_share).toBeCloseTo(0.9, 10);
    expect(data.top_categories[0]).toMatchObject({ id: tools.id, product_count: 9 });

    const counted = await countedFromTables();
    expect(data.categorized_products).toBe(counted.categorized);
    expect(data.total_assignments).toBe(counted.assignments);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('lists at most ten top categories, most used first, ties by id', async () => {
    const extra: { id: number }[] = [];
    for (let index = 0; index < 12; index += 1) {
      extra.push(await createCategory(test, { name: `Extra ${index}` }));
    }
    // Extra i is used by (i % 4) products.
    for (const [index, category] of extra.entries()) {
      const handles = ['s-1', 's-2', 's-3'].slice(0, index % 4);
      for (const handle of handles) await assign(handle, [category.id]);
    }
    const data = await stats();
    expect(data.total_categories).toBe(20);
    expect(data.categories_by_level).toEqual({ level_1: 14, level_2: 3, level_3: 3 });
    expect(data.top_categories).toHaveLength(10);
    const counts = data.top_categories.map((category) => category.product_count);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
    for (let index = 1; index < data.top_categories.length; index += 1) {
      const previous = data.top_categories[index - 1]!;
      const current = data.top_categories[index]!;
      if (previous.product_count === current.product_count)
        expect(previous.id).toBeLessThan(current.id);
    }
    // The list is exactly the ten highest counts of the whole taxonomy.
    const stored = await queryRows<{ id: number; product_count: number }>(
      test.db,
      sql`select id, product_count from categories where product_count > 0
           order by product_count desc, id limit 10`,
    );
    expect(data.top_categories.map((category) => [category.id, category.product_count])).toEqual(
      stored.map((row) => [row.id, row.product_count]),
    );
    // Per level: the ten highest counts of that level, whatever the other levels hold.
    for (const level of [1, 2, 3] as const) {
      const storedOfLevel = await queryRows<{ id: number; product_count: number }>(
        test.db,
        sql`select id, product_count from categories where product_count > 0 and level = ${level}
             order by product_count desc, id limit 10`,
      );
      expect(storedOfLevel.length, `level ${level}`).toBeGreaterThan(0);
      expect(
        data.top_categories_by_level[`level_${level}`].map((category) => [
          category.id,
          category.product_count,
        ]),
        `level ${level}`,
      ).toEqual(storedOfLevel.map((row) => [row.id, row.product_count]));
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
