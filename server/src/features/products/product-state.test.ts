/**
 * A product's counters and last_modified live in product_state (migration 0022), with copies of
 * its name, Type and vendor for the partial indexes in list order. An assignment writes only the
 * state row, never the heavily indexed product row; an import that renames a product moves it in
 * the lists ordered by the copy; a deleted product takes its state row with it. The API answers
 * as before.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../db/client.js';
import {
  createCategory,
  createProducts,
  importProductsCsv,
  shopifyCsv,
} from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;

beforeAll(async () => {
  test = await createTestApp({ RATE_LIMIT_ENABLED: 'false', CACHE_ENABLED: 'false' });
  await createProducts(test, 4);
});
afterAll(async () => {
  await test.close();
});

async function list(query: string) {
  const response = await test.request({ method: 'GET', url: `/api/products?${query}` });
  expect(response.statusCode, response.body).toBe(200);
  return response.json() as {
    data: {
      product_id: string;
      product_name: string;
      category_count: number;
      last_modified: string;
    }[];
    pagination: { total_items: number };
  };
}

/** The version of a product's row and of its state row (a write makes a new one). */
async function versions(handle: string) {
  const row = await queryOne<{ product: string; state: string }>(
    test.db,
    sql`select p.xmin::text as product, s.xmin::text as state
          from products p join product_state s on s.id = p.id where p.product_id = ${handle}`,
  );
  return row!;
}

describe('product_state', () => {
  it('an assignment writes the state row only, and the API shows its count and time', async () => {
    const category = await createCategory(test, { name: 'State Category' });
    const before = await versions('p-001');
    const [listed] = (await list('search=p-001')).data;
    const response = await test.request({
      method: 'POST',
      url: '/api/products/p-001/categories',
      payload: { category_ids: [category.id] },
    });
    expect(response.statusCode, response.body).toBeLessThan(300);
    const after = await versions('p-001');
    expect(after.product).toBe(before.product);
    expect(after.state).not.toBe(before.state);
    const [row] = (await list('search=p-001')).data;
    expect(row!.category_count).toBe(1);
    expect(Date.parse(row!.last_modified)).toBeGreaterThan(Date.parse(listed!.last_modified));
    expect((await list('sort=-last_modified&limit=1')).data[0]!.product_id).toBe('p-001');
    expect((await list('hide_allocated=true')).data.map((p) => p.product_id)).toEqual([
      'p-002',
      'p-003',
      'p-004',
    ]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('an import that renames a product moves it in the lists ordered by name and marks it modified', async () => {
    const newestBefore = (await list('sort=-last_modified&limit=1')).data[0]!;
    const response = await importProductsCsv(
      test,
      shopifyCsv([
        { handle: 'p-004', title: 'Aardvark 004', vendor: 'Renamed Vendor', type: 'Renamed' },
      ]),
    );
    expect(response.statusCode, response.body).toBe(200);
    const uncategorised = await list('hide_allocated=true');
    expect(uncategorised.data.map((p) => p.product_name)).toEqual([
      'Aardvark 004',
      'Product 002',
      'Product 003',
    ]);
    const newest = (await list('sort=-last_modified&limit=1')).data[0]!;
    expect(newest.product_id).toBe('p-004');
    expect(Date.parse(newest.last_modified)).toBeGreaterThan(
      Date.parse(newestBefore.last_modified),
    );
    const copy = await queryOne<{ product_name: string; vendor: string; product_type: string }>(
      test.db,
      sql`select s.product_name, s.vendor, s.product_type
            from product_state s join products p on p.id = s.id where p.product_id = 'p-004'`,
    );
    expect(copy).toEqual({
      product_name: 'Aardvark 004',
      vendor: 'Renamed Vendor',
      product_type: 'Renamed',
    });
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('an import of an unchanged product keeps its last_modified', async () => {
    const before = (await list('search=p-004')).data[0]!;
    const response = await importProductsCsv(
      test,
      shopifyCsv([
        { handle: 'p-004', title: 'Aardvark 004', vendor: 'Renamed Vendor', type: 'Renamed' },
      ]),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect((await list('search=p-004')).data[0]!.last_modified).toBe(before.last_modified);
  });

  it('a new product gets its state row, and a deleted one takes it along', async () => {
    const response = await importProductsCsv(
      test,
      shopifyCsv([{ handle: 'p-new', title: 'New Product' }]),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect((await list('hide_allocated=true')).pagination.total_items).toBe(4);
    await test.db.execute(sql`delete from products where product_id in ('p-new', 'p-001')`);
    const orphans = await queryOne<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from product_state s
           where not exists (select 1 from products p where p.id = s.id)`,
    );
    expect(orphans!.n).toBe(0);
    expect((await list('hide_allocated=true')).pagination.total_items).toBe(3);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
