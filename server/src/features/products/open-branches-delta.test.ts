/**
 * The INSERT counter changes a product's open branches by the difference its rows make
 * (migration 0027) instead of recounting the product's rows. Each shape that can open or close a
 * branch is inserted here as raw SQL, one statement at a time, and after each the stored count
 * equals the expected one and an independent recount (invariantViolations).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../db/client.js';
import { arrayParam } from '../../db/sql.js';
import { createProducts, createSampleTree, productIdsOf } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;
let products: number[];

beforeAll(async () => {
  test = await createTestApp({ CACHE_ENABLED: 'false' });
  tree = await createSampleTree(test);
  products = await productIdsOf(test, await createProducts(test, 4));
});
afterAll(async () => {
  await test.close();
});

/** Inserts the categories for one product in one statement; answers its open branches. */
async function insert(productId: number, categoryIds: number[]): Promise<number> {
  await test.db.execute(sql`
    insert into product_categories (product_id, category_id, category_level, parent_category_id)
    select ${productId}::integer, c.id, c.level, c.parent_id
      from categories c where c.id = any(${arrayParam(categoryIds)}::integer[])`);
  expect(await invariantViolations(test.db)).toEqual([]);
  const row = await queryOne<{ open: number }>(
    test.db,
    sql`select incomplete_branches as open from product_state where id = ${productId}`,
  );
  return row!.open;
}

describe('open branches counted by difference on insert', () => {
  it('opens and closes branches as each shape of insert requires', async () => {
    const [first, second, third, fourth] = products as [number, number, number, number];
    const { tools, guns, trowels, manualGuns, batteryGuns, sealants, silicone, neutralCure } = tree;
    // A root with children, alone: one open branch.
    expect(await insert(first, [tools.id])).toBe(1);
    // Its child closes it and opens its own.
    expect(await insert(first, [guns.id])).toBe(1);
    // A second child under a parent already named: nothing closes; Trowels has no children.
    expect(await insert(first, [trowels.id])).toBe(1);
    // Two leaves under the open parent, in one statement: it closes once.
    expect(await insert(first, [manualGuns.id, batteryGuns.id])).toBe(0);
    // A whole path in one statement.
    expect(await insert(second, [sealants.id, silicone.id, neutralCure.id])).toBe(0);
    // A leaf under a parent that another leaf already closed.
    expect(await insert(third, [tools.id, guns.id])).toBe(1);
    expect(await insert(third, [manualGuns.id])).toBe(0);
    expect(await insert(third, [batteryGuns.id])).toBe(0);
    // A parent and its child in one statement, under a root already there and named.
    expect(await insert(fourth, [tools.id, trowels.id])).toBe(0);
    expect(await insert(fourth, [guns.id, manualGuns.id])).toBe(0);
  });
});
