/**
 * The main queries use indexes, not sequential scans of the big tables, on a seeded catalog
 * (PostgreSQL's planner, real statistics). Each repository query is run as EXPLAIN through an
 * executor that prefixes it, so the SQL checked is exactly the SQL the API runs.
 */
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProductSort } from '@tag-manager/contract';
import type { Executor } from '../../src/db/client.js';
import {
  assignmentsOf,
  lockProducts,
} from '../../src/features/assignments/assignments.repository.js';
import {
  countProducts,
  findProduct,
  listProducts,
  searchWalkBound,
  type ProductFilters,
} from '../../src/features/products/products.repository.js';
import {
  claim,
  heldBy,
  nextCandidate,
  othersOnQueue,
  release,
} from '../../src/features/queue/queue.repository.js';
import { seedCatalog } from '../../src/features/seed/seeder.js';
import { createTestApp, type TestApp } from '../helpers/test-app.js';

const CATALOG_SIZE = 60_000;
const BIG_TABLES = new Set(['products', 'product_categories', 'product_state']);

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

let test: TestApp;
let plans: { plan: PlanNode }[] = [];

/** An executor that answers every query with its plan instead of its rows. */
function explaining(db: Executor): Executor {
  return {
    execute: async (query: SQL) => {
      const result = (await db.execute(sql`explain (format json) ${query}`)) as unknown as {
        rows: { 'QUERY PLAN': [{ Plan: PlanNode }] }[];
      };
      plans.push({ plan: result.rows[0]!['QUERY PLAN'][0].Plan });
      return { rows: [] };
    },
  } as unknown as Executor;
}

function sequentialScans(node: PlanNode): string[] {
  const own =
    node['Node Type'] === 'Seq Scan' && BIG_TABLES.has(node['Relation Name'] ?? '')
      ? [node['Relation Name']!]
      : [];
  return [...own, ...(node.Plans ?? []).flatMap(sequentialScans)];
}

function nodesOfType(node: PlanNode, type: string): string[] {
  const own = node['Node Type'] === type ? [type] : [];
  return [...own, ...(node.Plans ?? []).flatMap((child) => nodesOfType(child, type))];
}

/** The indexes a plan reads. */
function indexesRead(node: PlanNode): string[] {
  const own = node['Index Name'] ? [node['Index Name']] : [];
  return [...own, ...(node.Plans ?? []).flatMap(indexesRead)];
}

/**
 * A term without a trigram must be found through the folded-value indexes (a whole-value match);
 * a walk of the name index that tests every product is a full scan by another name. Words with
 * a trigram are found through the search document's trigram index (migration 0021).
 */
const WHOLE_VALUE_INDEXES = [
  'products_handle_folded_idx',
  'products_name_folded_idx',
  'products_sku_folded_idx',
];
const DOCUMENT_INDEX = ['products_search_document_idx'];

beforeAll(async () => {
  test = await createTestApp();
  await seedCatalog(test.database, { products: CATALOG_SIZE });
});
afterAll(async () => {
  await test.close();
});

const noFilters: ProductFilters = {
  hide_allocated: false,
  incomplete: false,
  include_descendants: true,
};
const cases: {
  name: string;
  filters: ProductFilters;
  sort?: ProductSort;
  membersFirst?: boolean;
  /** Indexes the plan must read. */
  reads?: string[];
}[] = [
  { name: 'first page by name', filters: noFilters },
  // The order's index is product_state's (migration 0022); the page's rows by primary key.
  {
    name: 'first page, newest first',
    filters: noFilters,
    sort: '-last_modified',
    reads: ['product_state_last_modified_order_idx', 'products_pkey', 'product_state_pkey'],
  },
  { name: 'first page by handle, descending', filters: noFilters, sort: '-product_id' },
  {
    name: 'uncategorised only',
    filters: { ...noFilters, hide_allocated: true },
    reads: ['product_state_unallocated_name_idx', 'products_pkey', 'product_state_pkey'],
  },
  { name: 'search', filters: { ...noFilters, search: 'membrane' } },
  {
    name: 'a rare word: the document index',
    filters: { ...noFilters, search: 'zzqx' },
    reads: DOCUMENT_INDEX,
  },
  // Terms without a trigram match whole values (contract/src/search.ts); padded, they still have some.
  {
    name: 'one-letter search',
    filters: { ...noFilters, search: 'a' },
    reads: WHOLE_VALUE_INDEXES,
  },
  {
    name: 'two-character search',
    filters: { ...noFilters, search: 'x1' },
    reads: WHOLE_VALUE_INDEXES,
  },
  {
    name: 'short words with punctuation',
    filters: { ...noFilters, search: 'a-b_c' },
    reads: WHOLE_VALUE_INDEXES,
  },
  // Several words, any order: each word's trigram scans, combined.
  {
    name: 'two-word search',
    filters: { ...noFilters, search: 'grey levelling' },
    reads: DOCUMENT_INDEX,
  },
  { name: 'vendor', filters: { ...noFilters, vendor: 'Ardex' } },
  { name: 'status', filters: { ...noFilters, status: 'draft' } },
  { name: 'product type', filters: { ...noFilters, product_type: 'Sealant' } },
  { name: 'tag', filters: { ...noFilters, tag: 'membrane' } },
  {
    name: 'subcategory missing',
    filters: { ...noFilters, incomplete: true },
    reads: ['product_state_incomplete_name_idx', 'products_pkey', 'product_state_pkey'],
  },
  { name: 'a large category, walking the name index', filters: { ...noFilters, category_id: 1 } },
  {
    name: 'a small category, members first',
    filters: { ...noFilters, category_id: 5 },
    membersFirst: true,
  },
];

describe('query plans on 60,000 products', () => {
  it('the check sees a sequential scan when there is one', async () => {
    plans = [];
    await explaining(test.db).execute(sql`select count(*) from products where image_url = 'x'`);
    expect(sequentialScans(plans[0]!.plan)).toEqual(['products']);
  });

  it.each(cases)('product list: $name', async ({ filters, sort, membersFirst, reads }) => {
    plans = [];
    // A search walks as far as the API walks in a catalog of this size.
    const walkRows = searchWalkBound(CATALOG_SIZE);
    await listProducts(explaining(test.db), filters, {
      sort: sort ?? 'product_name',
      limit: 51,
      offset: 0,
      membersFirst,
      walkRows,
    });
    await listProducts(explaining(test.db), filters, {
      sort: sort ?? 'product_name',
      limit: 51,
      offset: 0,
      after: {
        value: sort?.includes('last_modified') ? '2026-01-01 00:00:00+00' : 'M',
        id: 30_000,
      },
      membersFirst,
      walkRows,
    });
    // A search page may take two queries (products-repository searchPage): a bounded walk of
    // the sort order, then its matches through the search indexes. Together they read `reads`.
    const listPlans = plans.length;
    if (filters.search) {
      // Exact SKU or handle matches first: the ranked order, first page and after a cursor.
      for (const after of [undefined, { value: 'M', id: 30_000, rank: 1 }]) {
        await listProducts(explaining(test.db), filters, {
          sort: sort ?? 'product_name',
          limit: 51,
          offset: 0,
          after,
          exactFirst: filters.search,
        });
      }
    }
    for (const { plan } of plans) expect(sequentialScans(plan)).toEqual([]);
    if (reads) {
      const read = new Set(plans.slice(0, listPlans).flatMap(({ plan }) => indexesRead(plan)));
      for (const index of reads) expect(read).toContain(index);
      if (filters.search) {
        // Besides the search indexes, only the sort order's own (the bounded walk).
        for (const index of read) {
          expect([
            ...reads,
            'products_name_order_idx',
            'products_pkey',
            'product_state_pkey',
          ]).toContain(index);
        }
      } else {
        expect(read).toEqual(new Set(reads));
        // Read in the index's order: no sort of the matches.
        for (const { plan } of plans) expect(nodesOfType(plan, 'Sort')).toEqual([]);
      }
    }
  });

  it.each([
    { name: 'search', filters: { ...noFilters, search: 'membrane' } },
    {
      name: 'one-letter search',
      filters: { ...noFilters, search: 'a' },
      reads: WHOLE_VALUE_INDEXES,
    },
    {
      name: 'two-character search',
      filters: { ...noFilters, search: 'x1' },
      reads: WHOLE_VALUE_INDEXES,
    },
    {
      name: 'three-word search',
      filters: { ...noFilters, search: 'compound grey 1L' },
      reads: DOCUMENT_INDEX,
    },
    { name: 'vendor', filters: { ...noFilters, vendor: 'Ardex' } },
    { name: 'product type', filters: { ...noFilters, product_type: 'Sealant' } },
    { name: 'tag', filters: { ...noFilters, tag: 'membrane' } },
    {
      name: 'vendor and status',
      filters: { ...noFilters, vendor: 'Ardex', status: 'draft' as const },
    },
    {
      name: 'subcategory missing and a vendor',
      filters: { ...noFilters, incomplete: true, vendor: 'Ardex' },
    },
  ] as { name: string; filters: ProductFilters; reads?: string[] }[])(
    'filtered count: $name',
    async ({ filters, reads }) => {
      plans = [];
      await countProducts(explaining(test.db), filters);
      expect(plans).toHaveLength(1);
      expect(sequentialScans(plans[0]!.plan)).toEqual([]);
      if (reads) expect(new Set(indexesRead(plans[0]!.plan))).toEqual(new Set(reads));
    },
  );

  it('the work queue: the next product of each queue, uncategorised and subcategory missing', async () => {
    const queues: { filters: ProductFilters; index: string }[] = [
      {
        filters: { ...noFilters, hide_allocated: true },
        index: 'product_state_unallocated_name_idx',
      },
      { filters: { ...noFilters, incomplete: true }, index: 'product_state_incomplete_name_idx' },
    ];
    for (const { filters, index } of queues) {
      plans = [];
      await nextCandidate(explaining(test.db), filters, undefined, 'operator-a');
      await nextCandidate(explaining(test.db), filters, { name: 'M', id: 30_000 }, 'operator-a');
      for (const { plan } of plans) {
        expect(sequentialScans(plan)).toEqual([]);
        expect(indexesRead(plan)).toContain(index);
      }
    }
  });

  // Issue 12: every statement of POST /api/queue/next, for each kind of queue the screen offers.
  // The walk must read the queue's index in its order (the first match ends it), and the count
  // of a vendor's or a Type's uncategorised products must read their partial index alone
  // (migration 0023).
  const uncategorised = { ...noFilters, hide_allocated: true };
  it.each([
    { name: 'uncategorised', filters: uncategorised, walk: 'product_state_unallocated_name_idx' },
    {
      name: 'a vendor',
      filters: { ...uncategorised, vendor: 'Ardex' },
      walk: 'product_state_unallocated_vendor_idx',
      count: 'product_state_unallocated_vendor_idx',
    },
    {
      name: 'a Type',
      filters: { ...uncategorised, product_type: 'Sealant' },
      walk: 'product_state_unallocated_type_idx',
      count: 'product_state_unallocated_type_idx',
    },
    {
      name: 'a search',
      filters: { ...uncategorised, search: 'membrane' },
      walk: 'product_state_unallocated_name_idx',
    },
    {
      name: 'subcategory missing',
      filters: { ...noFilters, incomplete: true },
      walk: 'product_state_incomplete_name_idx',
    },
  ] as { name: string; filters: ProductFilters; walk: string; count?: string }[])(
    'the work queue of $name: walk, lease and count read indexes',
    async ({ filters, walk, count }) => {
      plans = [];
      await nextCandidate(explaining(test.db), filters, undefined, 'operator-a');
      await nextCandidate(explaining(test.db), filters, { name: 'M', id: 30_000 }, 'operator-a');
      for (const { plan } of plans) {
        expect(sequentialScans(plan)).toEqual([]);
        expect(indexesRead(plan)).toContain(walk);
      }
      if (count) {
        // (A lone filter is answered by a counter, without a query.) Only the partial index is
        // read: every entry is a match, so no heap page is read to reject one; once the table
        // is vacuumed (autovacuum) it is an index-only scan, as measured at 1,000,000.
        plans = [];
        await countProducts(explaining(test.db), filters);
        expect(plans).toHaveLength(1);
        expect(sequentialScans(plans[0]!.plan)).toEqual([]);
        expect(indexesRead(plans[0]!.plan)).toEqual([count]);
      }
      plans = [];
      const holder = { operator: 'operator-a', name: 'Operator a', queueKey: 'k' };
      await heldBy(explaining(test.db), 'operator-a', filters);
      await claim(explaining(test.db), 1, holder, 120);
      await release(explaining(test.db), 'operator-a', 1);
      await othersOnQueue(explaining(test.db), holder);
      expect(plans).toHaveLength(4);
      for (const { plan } of plans) expect(sequentialScans(plan)).toEqual([]);
    },
  );

  it('product detail, its categories and the write path lookups', async () => {
    plans = [];
    await findProduct(explaining(test.db), 'some-handle');
    await assignmentsOf(explaining(test.db), [1, 2, 3]);
    await lockProducts(explaining(test.db), ['a', 'b']);
    expect(plans).toHaveLength(3);
    for (const { plan } of plans) expect(sequentialScans(plan)).toEqual([]);
  });
});

describe('search counts on a large catalog', () => {
  async function exactCount(term: string) {
    const result = (await test.db.execute(
      sql`select count(*)::int as n from products
           where product_name ilike ${`%${term}%`} or product_id ilike ${`%${term}%`}
              or sku ilike ${`%${term}%`} or vendor ilike ${`%${term}%`}
              or product_type ilike ${`%${term}%`}`,
    )) as unknown as { rows: { n: number }[] };
    return result.rows[0]!.n;
  }
  async function page(term: string, offset = 0) {
    const response = await test.request(
      `/api/products?limit=10&offset=${offset}&search=${encodeURIComponent(term)}`,
    );
    expect(response.statusCode).toBe(200);
    return response.json() as {
      data: unknown[];
      metadata: { filtered_products: number; count_estimated: boolean };
      pagination: { total_items: number; total_pages: number };
    };
  }

  it('estimates the count of a common term from a sample, close to the exact count', async () => {
    // The most common name word of the synthetic catalog (about one product in nine).
    const exact = await exactCount('membrane');
    expect(exact).toBeGreaterThan(5_000);
    const body = await page('membrane');
    expect(body.metadata.count_estimated).toBe(true);
    expect(body.pagination.total_items).toBe(body.metadata.filtered_products);
    expect(body.pagination.total_pages).toBe(Math.ceil(body.metadata.filtered_products / 10));
    // A sample of 5,000 rows (one page in twelve): well within 15% of the truth.
    expect(Math.abs(body.metadata.filtered_products - exact) / exact).toBeLessThan(0.15);
    expect(body.data).toHaveLength(10);
  });

  it('the work queue reports its remaining count as the list does: estimated, and says so', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/queue/next?search=membrane&hide_allocated=false&operator=plans-operator',
    });
    expect(response.statusCode, response.body).toBe(200);
    const queue = response.json<{ data: { remaining: number; remaining_estimated: boolean } }>()
      .data;
    const list = await page('membrane');
    expect(queue.remaining_estimated).toBe(true);
    const exact = await exactCount('membrane');
    expect(Math.abs(queue.remaining - exact) / exact).toBeLessThan(0.15);
    expect(list.metadata.count_estimated).toBe(true);
  });

  it('counts a rarer term exactly on every page, offset or cursor, and a term with no match as 0', async () => {
    // Two words, about one product in 600: too rare for a walk of the name order to find a
    // page, so the page reads every match through the index and counts them there.
    const words = ['sika', 'ultra'];
    const result = (await test.db.execute(
      sql`select count(*)::int as n from products
           where search_document like ${`%${words[0]}%`} and search_document like ${`%${words[1]}%`}`,
    )) as unknown as { rows: { n: number }[] };
    const exact = result.rows[0]!.n;
    expect(exact).toBeGreaterThan(20);
    const seen: unknown[] = [];
    let query = `limit=10&search=${encodeURIComponent(words.join(' '))}`;
    for (let at = 0; at < 3; at++) {
      const response = await test.request(`/api/products?${query}`);
      expect(response.statusCode).toBe(200);
      const body = response.json<{
        data: { product_id: string }[];
        metadata: { filtered_products: number; count_estimated: boolean };
        pagination: { next_cursor: string | null };
      }>();
      expect(body.metadata).toMatchObject({ filtered_products: exact, count_estimated: false });
      seen.push(...body.data.map((product) => product.product_id));
      query = `limit=10&search=${encodeURIComponent(words.join(' '))}&cursor=${body.pagination.next_cursor}`;
    }
    expect(new Set(seen).size).toBe(30);
    const offset = await page(`${words.join(' ')}`, 20);
    expect(offset.metadata).toMatchObject({ filtered_products: exact, count_estimated: false });
    const none = await page('zzqx ultra');
    expect(none.metadata).toMatchObject({ filtered_products: 0, count_estimated: false });
    expect(none.data).toEqual([]);
  });

  it('walks the name order without reading the table for a search alone (index-only)', async () => {
    await test.db.execute(sql`vacuum (analyze) products`);
    plans = [];
    await listProducts(
      explaining(test.db),
      { ...noFilters, search: 'membrane' },
      { sort: 'product_name', limit: 51, offset: 0, walkRows: searchWalkBound(CATALOG_SIZE) },
    );
    const walk = plans[0]!.plan;
    const scans = (node: PlanNode): PlanNode[] => [
      ...(node['Index Name'] ? [node] : []),
      ...(node.Plans ?? []).flatMap(scans),
    ];
    expect(scans(walk).find((node) => node['Index Name'] === 'products_name_order_idx')).toEqual(
      expect.objectContaining({ 'Node Type': 'Index Only Scan' }),
    );
  });

  it('counts a rare term exactly', async () => {
    const rare = '-100042';
    const exact = await exactCount(rare);
    const body = await page(rare);
    expect(body.metadata.count_estimated).toBe(false);
    expect(body.metadata.filtered_products).toBe(exact);
  });
});
