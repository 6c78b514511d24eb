/**
 * One test per entry of the product filter table, generated from it: for each filter, a value
 * picked from the seeded catalog, and a check that the list (every page), its count
 * (pagination and metadata), the CSV export and an independent SQL statement of the filter
 * agree — then a write through the API that changes which products match, and the same check
 * again on the cached reads (a page cache missing one of the filter's dependencies serves the
 * old page). A filter added to the table without a sample here does not compile.
 */
import {
  PRODUCT_FILTER_FIELDS,
  type Pagination,
  type ProductFilterName,
  type ProductListMetadata,
} from '@tag-manager/contract';
import { parse } from 'csv-parse/sync';
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../db/client.js';
import { importProductsCsv } from '../../../test/helpers/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { seedCatalog } from '../seed/seeder.js';
import { PRODUCT_FILTER_TABLE, type FilterDefinition } from './filters.js';

let test: TestApp;
let serial = 0;

beforeAll(async () => {
  test = await createTestApp({ RATE_LIMIT_ENABLED: 'false' });
  await seedCatalog(test.database, { products: 800 });
});
afterAll(async () => {
  await test.close();
});

const one = async (statement: SQL) =>
  (await queryOne<{ value: string | number }>(test.db, statement))!.value;

/** Imports one new product through the API (an upsert of one row). */
async function importProduct(fields: {
  title?: string;
  vendor?: string;
  type?: string;
  tags?: string;
  status?: string;
}) {
  serial += 1;
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  const row = [
    `filter-test-${serial}`,
    fields.title ?? `Filter test ${serial}`,
    fields.vendor ?? 'Filter Test Vendor',
    fields.type ?? 'Filter Test Type',
    fields.tags ?? 'filter-test',
    fields.status ?? 'active',
  ];
  const response = await importProductsCsv(
    test,
    `Handle,Title,Vendor,Type,Tags,Status\n${row.map(quote).join(',')}\n`,
  );
  expect(response.statusCode).toBe(200);
}

async function assign(handle: string, categoryId: number) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${encodeURIComponent(handle)}/categories`,
    payload: { category_ids: [categoryId] },
  });
  expect(response.statusCode).toBe(201);
}

/** A top-level category that has subcategories. */
const parentCategory = async () =>
  Number(
    await one(sql`select min(c.id) as value from categories c
                   where c.level = 1 and exists (select 1 from categories ch where ch.parent_id = c.id)`),
  );

interface Sample {
  /** The filter's query parameters, with a value picked from the seeded catalog. */
  query(): Promise<Record<string, string>>;
  /** The same filter, written independently as SQL on `products p`: the oracle. */
  where(query: Record<string, string>): SQL;
  /** A write through the API after which other products match. */
  change(query: Record<string, string>, matching: string[]): Promise<void>;
}

const SAMPLES = {
  hide_allocated: {
    query: async () => ({ hide_allocated: 'true' }),
    where: () => sql`not exists (select 1 from product_categories pc where pc.product_id = p.id)`,
    change: async (_query, matching) =>
      assign(matching[0]!, Number(await one(sql`select min(id) as value from categories`))),
  },
  search: {
    // A word of four letters or more from a product name: a "contains" search.
    query: async () => ({
      search: String(
        await one(sql`select lower(substring(product_name from '[A-Za-z]{4,}')) as value
                        from products order by id limit 1`),
      ),
    }),
    where: ({ search }) => {
      const pattern = `%${search}%`;
      return sql`(p.product_name ilike ${pattern} or p.product_id ilike ${pattern}
                  or p.sku ilike ${pattern})`;
    },
    change: ({ search }) => importProduct({ title: `Newly ${search!.toUpperCase()} imported` }),
  },
  category: {
    query: async () => ({
      category_id: String(
        await one(sql`select id as value from categories where level = 2 and product_count > 0
                       order by product_count desc, id limit 1`),
      ),
    }),
    where: ({ category_id }) =>
      sql`exists (select 1 from product_categories pc
                   where pc.product_id = p.id and pc.category_id = ${Number(category_id)})`,
    change: async ({ category_id }) => {
      const outside = await one(sql`select product_id as value from products p
        where not exists (select 1 from product_categories pc
                           where pc.product_id = p.id and pc.category_id = ${Number(category_id)})
        order by id limit 1`);
      await assign(String(outside), Number(category_id));
    },
  },
  vendor: {
    query: async () => ({
      vendor: String(
        await one(sql`select vendor as value from products where vendor is not null
                       group by vendor order by count(*) desc, vendor limit 1`),
      ),
    }),
    where: ({ vendor }) => sql`p.vendor = ${vendor}`,
    change: ({ vendor }) => importProduct({ vendor: vendor! }),
  },
  status: {
    query: async () => ({ status: 'draft' }),
    where: ({ status }) => sql`p.status = ${status}`,
    change: () => importProduct({ status: 'draft' }),
  },
  product_type: {
    query: async () => ({
      product_type: String(
        await one(sql`select product_type as value from products where product_type is not null
                       group by product_type order by count(*) desc, product_type limit 1`),
      ),
    }),
    where: ({ product_type }) => sql`p.product_type = ${product_type}`,
    change: ({ product_type }) => importProduct({ type: product_type! }),
  },
  tag: {
    query: async () => ({
      tag: String(
        await one(sql`select tag as value from products, unnest(tags) as tag
                       group by tag order by count(*) desc, tag limit 1`),
      ),
    }),
    where: ({ tag }) => sql`${tag} = any(p.tags)`,
    change: ({ tag }) => importProduct({ tags: `${tag}, another` }),
  },
  incomplete: {
    // Makes sure one product is filed too coarsely (a top-level category with children only),
    // whatever the seeder assigned.
    query: async () => {
      const [coarse] = await queryRows<{ product_id: string }>(
        test.db,
        sql`select product_id from products join product_state using (id)
             where category_count = 0 order by id limit 1`,
      );
      await assign(coarse!.product_id, await parentCategory());
      return { incomplete: 'true' };
    },
    where: () => sql`exists (select 1 from product_categories pc
      where pc.product_id = p.id
        and exists (select 1 from categories ch where ch.parent_id = pc.category_id)
        and not exists (select 1 from product_categories below join categories c on c.id = below.category_id
                         where below.product_id = p.id and c.parent_id = pc.category_id))`,
    change: async () => {
      const [fresh] = await queryRows<{ product_id: string }>(
        test.db,
        sql`select product_id from products join product_state using (id)
             where category_count = 0 order by id desc limit 1`,
      );
      await assign(fresh!.product_id, await parentCategory());
    },
  },
} satisfies Record<ProductFilterName, Sample>;

interface ListBody {
  data: { product_id: string }[];
  metadata: ProductListMetadata;
  pagination: Pagination;
}

/** Every page of the filtered list (by cursor), and the first page's totals. */
async function listAll(query: string) {
  const handles: string[] = [];
  let cursor: string | null = null;
  let first: ListBody | undefined;
  do {
    const response = await test.request(
      `/api/products?${query}&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<ListBody>();
    first ??= body;
    handles.push(...body.data.map((product) => product.product_id));
    cursor = body.pagination.next_cursor;
  } while (cursor);
  return { handles, first: first! };
}

async function exported(query: string) {
  const response = await test.request(`/api/export/csv?${query}`);
  expect(response.statusCode).toBe(200);
  const rows = parse(response.body, { bom: true }) as string[][];
  expect(rows[0]).toEqual(['product_id', 'product_name', 'categories']);
  return rows.slice(1).map((row) => row[0]!);
}

/** List, count, export and the SQL oracle give the same products; returns them. */
async function agree(sample: Sample, query: Record<string, string>) {
  const text = new URLSearchParams(query).toString();
  const expected = (
    await queryRows<{ product_id: string }>(
      test.db,
      sql`select p.product_id from products p where ${sample.where(query)}
           order by p.product_name, p.id`,
    )
  ).map((row) => row.product_id);
  const catalogSize = Number(await one(sql`select count(*)::int as value from products`));
  // The sample restricts the list: neither nothing nor the whole catalog.
  expect(expected.length).toBeGreaterThan(0);
  expect(expected.length).toBeLessThan(catalogSize);

  const { handles, first } = await listAll(text);
  expect(handles).toEqual(expected);
  expect(first.pagination.total_items).toBe(expected.length);
  expect(first.metadata.filtered_products).toBe(expected.length);
  expect(first.metadata.total_products).toBe(catalogSize);
  expect(first.metadata.count_estimated).toBe(false);
  for (const [field, value] of Object.entries(query)) {
    expect(String(first.metadata.filters[field as keyof ProductListMetadata['filters']])).toBe(
      value,
    );
  }
  expect(await exported(text)).toEqual(expected);
  return expected;
}

// The compiler holds the table complete: the typecheck fails if these stop being errors.
export function compileChecks(withoutTag: Omit<typeof PRODUCT_FILTER_TABLE, 'tag'>) {
  // @ts-expect-error a contract filter without a server entry does not compile
  void (withoutTag satisfies Record<ProductFilterName, FilterDefinition>);
  // @ts-expect-error an entry without its SQL condition does not compile
  void ({ active: () => true, pageDependsOn: [] } satisfies FilterDefinition);
}

describe('every product filter: list, count, export and cache invalidation agree', () => {
  it('has a sample for exactly the filters of the table', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(PRODUCT_FILTER_TABLE).sort());
  });

  it('documents every filter field as a described query parameter of the list and the export', async () => {
    const document = (await test.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, { get: { parameters: { name: string; description?: string }[] } }>;
    }>();
    for (const path of ['/api/products', '/api/export/csv']) {
      const parameters = document.paths[path]!.get.parameters;
      for (const field of PRODUCT_FILTER_FIELDS) {
        const parameter = parameters.find((candidate) => candidate.name === field);
        expect(parameter?.description, `${path} ${field}`).toBeTruthy();
      }
    }
  });

  it.each(Object.keys(PRODUCT_FILTER_TABLE) as ProductFilterName[])('%s', async (name) => {
    const sample: Sample = SAMPLES[name];
    const query = await sample.query();
    const before = await agree(sample, query);
    await sample.change(query, before);
    const after = await agree(sample, query);
    expect(after).not.toEqual(before);
  });
});
