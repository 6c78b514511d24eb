/**
 * The product list and product reads: envelope and pagination, keyset cursors for every sort,
 * filters and their metadata, Unicode handles in URL-encoded paths, 404s, category paths.
 */
import type {
  CategoryWithPath,
  ErrorEnvelope,
  Pagination,
  Product,
  ProductDetail,
  ProductListMetadata,
  ProductSort,
} from '@tag-manager/contract';
import { PRODUCT_SORTS } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { createSampleTree, importProductsCsv, shopifyCsv } from '../../../test/helpers/fixtures.js';
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
interface ListBody extends Ok<Product[]> {
  metadata: ProductListMetadata;
  pagination: Pagination;
}

type Row = { handle: string; title: string; vendor?: string; status?: string; sku?: string };

const SPECIAL: Row[] = [
  {
    handle: 'bostik-ultraset®-sf',
    title: 'Bostik Ultraset® SF',
    vendor: 'Bostik',
    sku: 'BOS-ULTRA',
  },
  { handle: 'sikaflex™-11fc', title: 'Sikaflex™ 11FC', vendor: 'Sika', sku: 'SIK-11FC' },
  {
    handle: 'größe-dichtung',
    title: 'Größe Dichtung',
    vendor: 'Ardex',
    status: 'draft',
    sku: 'ARD-G',
  },
  { handle: '日本-テープ', title: '日本 テープ', vendor: 'Ardex', sku: 'JP-1' },
  { handle: 'cleaner-100%', title: 'Cleaner 100% Pure', vendor: 'Wet Seal', sku: 'CLN-100' },
  { handle: 'cleaner-1000', title: 'Cleaner 1000 Pure', vendor: 'Wet Seal', sku: 'CLN-1000' },
  { handle: 'primer_a', title: 'Primer_A', vendor: 'Wet Seal', sku: 'PR_A' },
  { handle: 'primerxa', title: 'PrimerxA', vendor: 'Wet Seal', sku: 'PRXA' },
  { handle: 'same-title-a', title: 'Same Title', vendor: 'Sika', status: 'archived', sku: 'ST-A' },
  { handle: 'same-title-b', title: 'Same Title', vendor: 'Sika', status: 'archived', sku: 'ST-B' },
];
const VENDORS = ['Bostik', 'Sika', 'Ardex'];
const STATUSES = ['active', 'active', 'draft'];
const ITEMS: Row[] = Array.from({ length: 27 }, (_, index) => {
  const number = String(index + 1).padStart(2, '0');
  return {
    handle: `item-${number}`,
    // Names not in handle order, so that each sort gives a different order.
    title: `${['Membrane', 'Sealant', 'Adhesive', 'Primer', 'Grout'][index % 5]} ${String(97 - index * 3)}`,
    vendor: VENDORS[index % 3]!,
    status: STATUSES[index % 3]!,
    sku: `ITM-${number}`,
  };
});
const ALL = [...SPECIAL, ...ITEMS];
const TOTAL = ALL.length; // 37

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

async function assign(handle: string, categoryIds: number[]) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${encodeURIComponent(handle)}/categories`,
    payload: { category_ids: categoryIds },
  });
  expect(response.statusCode).toBe(201);
}

beforeAll(async () => {
  test = await createTestApp();
  tree = await createSampleTree(test);
  const imported = await importProductsCsv(test, shopifyCsv(ALL));
  expect(imported.statusCode).toBe(200);
  await assign('item-01', [tree.manualGuns.id]);
  await assign('item-02', [tree.guns.id]);
  await assign('item-03', [tree.tools.id]);
  await assign('item-04', [tree.trowels.id]);
  await assign('item-05', [tree.neutralCure.id]);
  await assign('item-06', [tree.guns.id, tree.trowels.id]);
  await assign('bostik-ultraset®-sf', [tree.neutralCure.id]);
  // Deterministic modification times with many ties, some differing only in microseconds.
  await test.db.execute(sql`
    update product_state set last_modified = timestamptz '2024-03-01 00:00:00+00'
      + (id % 4) * interval '1 hour' + (id % 3) * interval '1 microsecond'`);
});
afterAll(async () => {
  await test.close();
});

async function list(query: string): Promise<ListBody> {
  const response = await test.request(`/api/products?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ListBody>();
}

const handles = (body: ListBody) => body.data.map((item) => item.product_id);

/** Every handle of a filtered list, read in one page. */
async function allHandles(query: string): Promise<string[]> {
  const body = await list(`limit=500&${query}`);
  expect(body.pagination.has_next).toBe(false);
  return handles(body);
}

/** The order the database itself gives, as the independent expectation of a sort. */
async function expectedOrder(sort: ProductSort): Promise<string[]> {
  const descending = sort.startsWith('-');
  const key = descending ? sort.slice(1) : sort;
  // last_modified is the product's state row's (migration 0022).
  const column = sql.raw(key === 'last_modified' ? `s.${key}` : `p.${key}`);
  const direction = sql.raw(descending ? 'desc' : 'asc');
  const rows = await queryRows<{ product_id: string }>(
    test.db,
    sql`select p.product_id from products p join product_state s on s.id = p.id
         order by ${column} ${direction}, p.id ${direction}`,
  );
  return rows.map((row) => row.product_id);
}

describe('the product list envelope and pagination', () => {
  it('GET /api/products?limit=10 → 200 with success, data, metadata and pagination', async () => {
    const response = await test.request('/api/products?limit=10');
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toBeTruthy();
    const body = response.json<ListBody>();
    expect(body.success).toBe(true);
    expect(body.data).toHaveLength(10);
    expect(body.request_id).toBe(response.headers['x-request-id']);
    expect(new Date(body.timestamp).toISOString()).toBe(body.timestamp);
    expect(body.metadata).toEqual({
      total_products: TOTAL,
      filtered_products: TOTAL,
      count_estimated: false,
      filters: {
        hide_allocated: false,
        search: null,
        category_id: null,
        include_descendants: true,
        vendor: null,
        status: null,
        product_type: null,
        tag: null,
        incomplete: false,
      },
      sort: 'product_name',
    });
    expect(body.pagination).toMatchObject({
      page: 1,
      page_size: 10,
      total_items: TOTAL,
      total_pages: 4,
    });
    const item = body.data[0]!;
    expect(Object.keys(item).sort()).toEqual(
      [
        'product_id',
        'product_name',
        'vendor',
        'product_type',
        'status',
        'sku',
        'image_url',
        'tags',
        'has_allocations',
        'category_count',
        'categories',
        'last_modified',
      ].sort(),
    );
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('?limit=5&offset=0 → at most 5 items and page 1', async () => {
    const body = await list('limit=5&offset=0');
    expect(body.data.length).toBeLessThanOrEqual(5);
    expect(body.data).toHaveLength(5);
    expect(body.pagination).toEqual({
      page: 1,
      page_size: 5,
      total_items: TOTAL,
      total_pages: 8,
      has_next: true,
      has_previous: false,
      next_cursor: expect.any(String),
    });
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('reports page, has_next and has_previous for the first, a middle and the last page', async () => {
    const order = await expectedOrder('product_name');
    const first = await list('limit=10&offset=0');
    const middle = await list('limit=10&offset=20');
    const last = await list('limit=10&offset=30');
    expect(first.pagination).toMatchObject({
      page: 1,
      total_pages: 4,
      has_next: true,
      has_previous: false,
    });
    expect(middle.pagination).toMatchObject({
      page: 3,
      total_pages: 4,
      has_next: true,
      has_previous: true,
    });
    expect(last.pagination).toEqual({
      page: 4,
      page_size: 10,
      total_items: TOTAL,
      total_pages: 4,
      has_next: false,
      has_previous: true,
      next_cursor: null,
    });
    expect(handles(first)).toEqual(order.slice(0, 10));
    expect(handles(middle)).toEqual(order.slice(20, 30));
    expect(handles(last)).toEqual(order.slice(30));
    expect(last.data).toHaveLength(TOTAL - 30);

    const beyond = await list('limit=10&offset=100');
    expect(beyond.data).toEqual([]);
    expect(beyond.pagination).toMatchObject({
      has_next: false,
      has_previous: true,
      total_items: TOTAL,
    });

    const exact = await list(`limit=${TOTAL}`);
    expect(exact.pagination).toMatchObject({
      page: 1,
      total_pages: 1,
      has_next: false,
      next_cursor: null,
    });
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('rejects out-of-range paging and unknown sorts or statuses with 422', async () => {
    for (const query of [
      'limit=0',
      'limit=501',
      'offset=-1',
      'limit=abc',
      'sort=price',
      'status=deleted',
      'include_descendants=maybe',
      'unknown=1',
    ]) {
      const response = await test.request(`/api/products?${query}`);
      expect(response.statusCode, query).toBe(422);
      const body = response.json<ErrorEnvelope>();
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.details.validation_errors).toEqual(body.details.field_errors);
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });
  it('names the field when a filter or handle holds a NUL character (PostgreSQL text cannot)', async () => {
    for (const [url, field] of [
      ['/api/products?search=a%00b', 'search'],
      ['/api/products?vendor=a%00b', 'vendor'],
      ['/api/products/bad%00handle', 'product_id'],
      ['/api/products/bad%00handle/categories', 'product_id'],
      ['/api/export/csv?search=a%00b', 'search'],
    ] as const) {
      const response = await test.request(url);
      expect(response.statusCode, url).toBe(422);
      const body = response.json<ErrorEnvelope>();
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.details.field_errors, url).toEqual([expect.objectContaining({ field })]);
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('keyset cursor paging', () => {
  for (const sort of PRODUCT_SORTS) {
    it(`walks the whole list with no duplicates or gaps, like offset paging (sort=${sort})`, async () => {
      const expected = await expectedOrder(sort);
      expect(expected).toHaveLength(TOTAL);

      const viaCursor: string[] = [];
      let body = await list(`limit=7&sort=${sort}`);
      let page = 1;
      for (;;) {
        expect(body.pagination.page).toBe(page);
        expect(body.pagination.has_previous).toBe(page > 1);
        expect(body.pagination.total_items).toBe(TOTAL);
        viaCursor.push(...handles(body));
        if (!body.pagination.has_next) {
          expect(body.pagination.next_cursor).toBeNull();
          break;
        }
        const cursor = body.pagination.next_cursor!;
        body = await list(`limit=7&sort=${sort}&cursor=${encodeURIComponent(cursor)}`);
        page += 1;
        expect(page).toBeLessThanOrEqual(10);
      }
      expect(page).toBe(Math.ceil(TOTAL / 7));

      const viaOffset: string[] = [];
      for (let offset = 0; offset < TOTAL; offset += 7) {
        viaOffset.push(...handles(await list(`limit=7&offset=${offset}&sort=${sort}`)));
      }
      expect(new Set(viaCursor).size).toBe(TOTAL);
      expect(viaCursor).toEqual(expected);
      expect(viaOffset).toEqual(expected);
      expect(await invariantViolations(test.db)).toEqual([]);
    });
  }

  it('orders descending sorts as the exact reverse of ascending ones (ties broken by id)', async () => {
    for (const key of ['product_name', 'last_modified', 'product_id']) {
      const ascending = await allHandles(`sort=${key}`);
      const descending = await allHandles(`sort=-${key}`);
      expect(descending).toEqual([...ascending].reverse());
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('pages a filtered list with cursors too', async () => {
    const expected = await allHandles('vendor=Sika&sort=-last_modified');
    expect(expected.length).toBeGreaterThan(4);
    const seen: string[] = [];
    let query = 'limit=3&vendor=Sika&sort=-last_modified';
    for (;;) {
      const body = await list(query);
      expect(body.pagination.total_items).toBe(expected.length);
      seen.push(...handles(body));
      if (!body.pagination.next_cursor) break;
      query = `limit=3&vendor=Sika&sort=-last_modified&cursor=${encodeURIComponent(body.pagination.next_cursor)}`;
    }
    expect(seen).toEqual(expected);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('refuses a cursor used with a different sort or different filters, or a forged one, with 422', async () => {
    const first = await list('limit=5&sort=product_name&vendor=Sika');
    const cursor = encodeURIComponent(first.pagination.next_cursor!);
    for (const query of [
      `limit=5&sort=-product_name&vendor=Sika&cursor=${cursor}`,
      `limit=5&sort=product_id&vendor=Sika&cursor=${cursor}`,
      `limit=5&sort=product_name&cursor=${cursor}`,
      `limit=5&sort=product_name&vendor=Ardex&cursor=${cursor}`,
      `limit=5&sort=product_name&vendor=Sika&status=active&cursor=${cursor}`,
      `limit=5&sort=product_name&vendor=Sika&hide_allocated=true&cursor=${cursor}`,
      'limit=5&cursor=not-a-cursor',
      `limit=5&cursor=${Buffer.from('["product_name","x"]').toString('base64url')}`,
    ]) {
      const response = await test.request(`/api/products?${query}`);
      expect(response.statusCode, query).toBe(422);
      const body = response.json<ErrorEnvelope>();
      expect(body.code).toBe('VALIDATION_ERROR');
      expect(body.details.field_errors).toEqual([expect.objectContaining({ field: 'cursor' })]);
    }
    // The same sort and filters accept it (the page size may change).
    const next = await list(`limit=2&sort=product_name&vendor=Sika&cursor=${cursor}`);
    expect(next.pagination.page).toBe(2);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('filters', () => {
  it('hide_allocated shows only products without categories, with both totals in metadata', async () => {
    const body = await list('limit=500&hide_allocated=true');
    const allocated = [
      'item-01',
      'item-02',
      'item-03',
      'item-04',
      'item-05',
      'item-06',
      'bostik-ultraset®-sf',
    ];
    expect(handles(body).sort()).toEqual(
      ALL.map((row) => row.handle)
        .filter((handle) => !allocated.includes(handle))
        .sort(),
    );
    expect(body.data.every((item) => !item.has_allocations && item.category_count === 0)).toBe(
      true,
    );
    expect(body.data.every((item) => item.categories.length === 0)).toBe(true);
    expect(body.metadata.total_products).toBe(TOTAL);
    expect(body.metadata.filtered_products).toBe(TOTAL - allocated.length);
    expect(body.pagination.total_items).toBe(TOTAL - allocated.length);
    expect(body.metadata.filters.hide_allocated).toBe(true);

    const everything = await list('limit=500');
    const withCategories = everything.data.filter((item) => item.has_allocations);
    expect(withCategories.map((item) => item.product_id).sort()).toEqual([...allocated].sort());
    for (const item of withCategories) expect(item.category_count).toBe(item.categories.length);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('search matches name, handle and SKU, case-insensitively', async () => {
    expect(await allHandles('search=ultraset')).toEqual(['bostik-ultraset®-sf']);
    expect(await allHandles('search=ULTRASET%C2%AE')).toEqual(['bostik-ultraset®-sf']);
    expect(await allHandles('search=sikaflex%E2%84%A2-11')).toEqual(['sikaflex™-11fc']); // handle
    expect(await allHandles('search=itm-0')).toHaveLength(9); // SKU only
    expect(await allHandles('search=bos-ultra')).toEqual(['bostik-ultraset®-sf']); // SKU
    expect(await allHandles(`search=${encodeURIComponent('röße')}`)).toEqual(['größe-dichtung']);
    expect(await allHandles(`search=${encodeURIComponent('テープ')}`)).toEqual(['日本-テープ']);
    expect(await allHandles('search=no-such-thing')).toEqual([]);

    const body = await list('search=%20%20Ultraset%20%20');
    expect(handles(body)).toEqual(['bostik-ultraset®-sf']);
    expect(body.metadata.filters.search).toBe('Ultraset');
    expect(body.metadata.filtered_products).toBe(1);
    expect(body.metadata.total_products).toBe(TOTAL);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('search matches % and _ literally', async () => {
    expect(await allHandles(`search=${encodeURIComponent('100%')}`)).toEqual(['cleaner-100%']);
    expect(await allHandles(`search=${encodeURIComponent('100% pure')}`)).toEqual(['cleaner-100%']);
    expect(await allHandles(`search=${encodeURIComponent('mer_a')}`)).toEqual(['primer_a']);
    expect(await allHandles(`search=${encodeURIComponent('pr_a')}`)).toEqual(['primer_a']); // SKU
    expect(await allHandles(`search=${encodeURIComponent('mer\\a')}`)).toEqual([]);
    expect((await allHandles('search=primerxa')).sort()).toEqual(['primerxa']);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  // Hardening (H1): a term without a trigram cannot use the search indexes; it used to read
  // every product (199 underscores: 10 s on 300,000 products).
  it.each(['%', '_', '\\', '_'.repeat(199), '%_%', '--', '.', '- / -', '®™'])(
    'search=%j has no letter or digit: 422 naming search, in the list and the export',
    async (term) => {
      for (const path of ['/api/products', '/api/export/csv']) {
        const response = await test.request(`${path}?search=${encodeURIComponent(term)}`);
        expect(response.statusCode).toBe(422);
        const body = response.json<ErrorEnvelope>();
        expect(body.code).toBe('VALIDATION_ERROR');
        expect(body.details.field_errors).toEqual([
          { field: 'search', message: 'must contain a letter or a digit' },
        ]);
        expect(body.error).toBe('search: must contain a letter or a digit');
      }
    },
  );

  it('a term without three letters or digits in a row matches whole names, handles and SKUs', async () => {
    expect(await allHandles('search=jp-1')).toEqual(['日本-テープ']); // SKU JP-1
    expect(await allHandles('search=JP-1')).toEqual(['日本-テープ']);
    expect(await allHandles('search=st-a')).toEqual(['same-title-a']);
    // Not a substring match: "JP-1" does not match "JP-10", "a" matches no name containing "a".
    expect(await allHandles('search=jp')).toEqual([]);
    expect(await allHandles('search=a')).toEqual([]);
    expect(await allHandles(`search=${encodeURIComponent('日本')}`)).toEqual([]);
    const body = await list('search=%20jp-1%20');
    expect(body.metadata.filters.search).toBe('jp-1');
    expect(body.metadata.filtered_products).toBe(1);
  });

  it('several words match in any order, each in the name, the handle or the SKU', async () => {
    expect((await allHandles('search=pure%20cleaner')).sort()).toEqual([
      'cleaner-100%',
      'cleaner-1000',
    ]);
    expect(await allHandles('search=pure%201000')).toEqual(['cleaner-1000']);
    // A word from the SKU and one from the name.
    expect(await allHandles('search=cln-1000%20pure')).toEqual(['cleaner-1000']);
    // A short word ("1L" style) must start a word once another word has a trigram.
    expect((await allHandles(`search=${encodeURIComponent('cleaner 10 pure')}`)).sort()).toEqual([
      'cleaner-100%',
      'cleaner-1000',
    ]);
    expect(await allHandles(`search=${encodeURIComponent('cleaner 0 pure')}`)).toEqual([]);
    expect(await allHandles(`search=${encodeURIComponent('pure cl')}`)).toHaveLength(2);
    expect(await allHandles('search=pure%20ultraset')).toEqual([]);
    // Words without a trigram keep the whole-value match: "st a" is not two substrings.
    expect(await allHandles('search=st%20a')).toEqual([]);
    const body = await list('search=%20pure%20%20cleaner%20');
    expect(body.metadata.filters.search).toBe('pure  cleaner');
    expect(body.metadata.filtered_products).toBe(2);
  });

  it('an empty or blank search is no filter', async () => {
    expect((await list('search=')).metadata.filtered_products).toBe(TOTAL);
    expect((await list('search=%20%20')).metadata.filtered_products).toBe(TOTAL);
  });

  it('category_id includes the descendants by default, and only the most specific match without them', async () => {
    const withDescendants = await allHandles(`category_id=${tree.tools.id}&sort=product_id`);
    expect(withDescendants).toEqual(['item-01', 'item-02', 'item-03', 'item-04', 'item-06']);
    expect(
      await allHandles(`category_id=${tree.tools.id}&include_descendants=true&sort=product_id`),
    ).toEqual(withDescendants);
    expect(
      await allHandles(`category_id=${tree.tools.id}&include_descendants=false&sort=product_id`),
    ).toEqual(['item-03']);
    expect(await allHandles(`category_id=${tree.guns.id}&sort=product_id`)).toEqual([
      'item-01',
      'item-02',
      'item-06',
    ]);
    expect(
      await allHandles(`category_id=${tree.guns.id}&include_descendants=false&sort=product_id`),
    ).toEqual(['item-02', 'item-06']);
    expect(
      await allHandles(
        `category_id=${tree.neutralCure.id}&include_descendants=false&sort=product_id`,
      ),
    ).toEqual(['bostik-ultraset®-sf', 'item-05']);
    expect(await allHandles(`category_id=${tree.batteryGuns.id}`)).toEqual([]);

    const body = await list(`category_id=${tree.guns.id}&include_descendants=false`);
    expect(body.metadata.filters).toMatchObject({
      category_id: tree.guns.id,
      include_descendants: false,
    });
    expect(body.metadata.filtered_products).toBe(2);
    expect(body.metadata.total_products).toBe(TOTAL);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('vendor and status filter exactly, and filters combine', async () => {
    const sika = ALL.filter((row) => row.vendor === 'Sika').map((row) => row.handle);
    expect((await allHandles('vendor=Sika')).sort()).toEqual([...sika].sort());
    expect(await allHandles('vendor=sika')).toEqual([]);
    expect((await allHandles('vendor=Wet%20Seal&search=cleaner')).sort()).toEqual([
      'cleaner-100%',
      'cleaner-1000',
    ]);

    for (const status of ['active', 'draft', 'archived'] as const) {
      const expected = ALL.filter((row) => (row.status ?? 'active') === status).map(
        (row) => row.handle,
      );
      const body = await list(`limit=500&status=${status}`);
      expect(handles(body).sort()).toEqual([...expected].sort());
      expect(body.data.every((item) => item.status === status)).toBe(true);
      expect(body.metadata.filters.status).toBe(status);
      expect(body.metadata.filtered_products).toBe(expected.length);
    }

    const combined = await list(`limit=500&vendor=Bostik&status=active&hide_allocated=true`);
    const expected = ALL.filter(
      (row) =>
        row.vendor === 'Bostik' &&
        (row.status ?? 'active') === 'active' &&
        !['item-01', 'item-04', 'bostik-ultraset®-sf'].includes(row.handle),
    ).map((row) => row.handle);
    expect(handles(combined).sort()).toEqual([...expected].sort());
    expect(combined.metadata.filters).toEqual({
      hide_allocated: true,
      search: null,
      category_id: null,
      include_descendants: true,
      vendor: 'Bostik',
      status: 'active',
      product_type: null,
      tag: null,
      incomplete: false,
    });
    expect(combined.metadata.filtered_products).toBe(expected.length);
    expect(combined.metadata.total_products).toBe(TOTAL);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('one product', () => {
  it('reaches a handle with ® through its URL-encoded path, and its categories', async () => {
    const response = await test.request('/api/products/bostik-ultraset%C2%AE-sf');
    expect(response.statusCode).toBe(200);
    const detail = response.json<Ok<ProductDetail>>().data;
    expect(detail.product_id).toBe('bostik-ultraset®-sf');
    expect(detail.product_name).toBe('Bostik Ultraset® SF');
    expect(detail.vendor).toBe('Bostik');
    expect(detail.sku).toBe('BOS-ULTRA');
    expect(detail.has_allocations).toBe(true);
    expect(detail.category_count).toBe(3);

    const categories = await test.request('/api/products/bostik-ultraset%C2%AE-sf/categories');
    expect(categories.statusCode).toBe(200);
    const data = categories.json<Ok<CategoryWithPath[]>>().data;
    expect(data).toEqual([
      {
        id: tree.sealants.id,
        name: 'Sealants',
        level: 1,
        parent_id: null,
        path: 'Sealants',
        path_ids: [tree.sealants.id],
      },
      {
        id: tree.silicone.id,
        name: 'Silicone',
        level: 2,
        parent_id: tree.sealants.id,
        path: 'Sealants > Silicone',
        path_ids: [tree.sealants.id, tree.silicone.id],
      },
      {
        id: tree.neutralCure.id,
        name: 'Neutral Cure',
        level: 3,
        parent_id: tree.silicone.id,
        path: 'Sealants > Silicone > Neutral Cure',
        path_ids: [tree.sealants.id, tree.silicone.id, tree.neutralCure.id],
      },
    ]);
    expect(detail.categories).toEqual(data);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('reaches other Unicode handles (™, umlauts, CJK, emoji, reserved URL characters) through encoded paths', async () => {
    const reserved = ['a/b', 'x+y z', 'q?x#1', 'emoji-😀'];
    const imported = await importProductsCsv(
      test,
      shopifyCsv(reserved.map((handle) => ({ handle, title: `T ${handle}` }))),
    );
    expect(imported.statusCode).toBe(200);
    for (const handle of [
      'sikaflex™-11fc',
      'größe-dichtung',
      '日本-テープ',
      'cleaner-100%',
      'primer_a',
      ...reserved,
    ]) {
      const response = await test.request(`/api/products/${encodeURIComponent(handle)}`);
      expect(response.statusCode, handle).toBe(200);
      expect(response.json<Ok<ProductDetail>>().data.product_id).toBe(handle);
      const categories = await test.request(
        `/api/products/${encodeURIComponent(handle)}/categories`,
      );
      expect(categories.statusCode, handle).toBe(200);
      expect(categories.json<Ok<CategoryWithPath[]>>().data).toEqual([]);
    }
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('answers 404 with the error envelope for an unknown product (handles are case-sensitive)', async () => {
    for (const url of [
      '/api/products/no-such-product',
      '/api/products/no-such-product/categories',
      '/api/products/BOSTIK-ULTRASET%C2%AE-SF',
    ]) {
      const response = await test.request(url);
      expect(response.statusCode, url).toBe(404);
      const body = response.json<ErrorEnvelope>();
      expect(body.success).toBe(false);
      expect(body.code).toBe('NOT_FOUND');
      expect(body.details.resource).toBe('product');
      expect(body.error).toEqual(expect.any(String));
      expect(body.request_id).toBe(response.headers['x-request-id']);
    }
    const body = (
      await test.request('/api/products/BOSTIK-ULTRASET%C2%AE-SF')
    ).json<ErrorEnvelope>();
    expect(body.details.identifier).toBe('BOSTIK-ULTRASET®-SF');
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('carries categories with full paths in the detail and short refs in the list', async () => {
    const response = await test.request('/api/products/item-01');
    expect(response.statusCode).toBe(200);
    const detail = response.json<Ok<ProductDetail>>().data;
    expect(detail.categories.map((category) => category.path)).toEqual([
      'Trade Tools',
      'Trade Tools > Caulking Guns',
      'Trade Tools > Caulking Guns > Manual Guns',
    ]);
    expect(detail.categories.at(-1)!.path_ids).toEqual([
      tree.tools.id,
      tree.guns.id,
      tree.manualGuns.id,
    ]);
    expect(detail.created_at).toEqual(expect.any(String));

    const listed = (await list('search=item-01')).data.find(
      (item) => item.product_id === 'item-01',
    )!;
    expect(listed.categories).toEqual([
      { id: tree.tools.id, name: 'Trade Tools', level: 1 },
      { id: tree.guns.id, name: 'Caulking Guns', level: 2 },
      { id: tree.manualGuns.id, name: 'Manual Guns', level: 3 },
    ]);
    expect(listed.has_allocations).toBe(true);
    expect(listed.category_count).toBe(3);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
