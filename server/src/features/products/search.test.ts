/**
 * Product search, round two (issue 15): words in any order over name, handle, SKU, vendor and
 * type; prefixes; case and accents folded; an exact SKU or handle first. The list is read
 * through the API, in one page and across pages by cursor.
 */
import type { Pagination, Product, ProductListMetadata } from '@tag-manager/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importProductsCsv, shopifyCsv } from '../../../test/helpers/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { countProducts, listProducts, type ProductFilters } from './products.repository.js';

interface ListBody {
  data: Product[];
  metadata: ProductListMetadata;
  pagination: Pagination;
}

const ROWS = [
  {
    handle: 'levelling-compound-grey-1l',
    title: 'Ardex Levelling Compound Grey 1L',
    vendor: 'Ardex',
    type: 'Levelling',
    sku: 'ARD-LC-G1',
  },
  {
    handle: 'levelling-compound-white-1l',
    title: 'Ardex Levelling Compound White 1L',
    vendor: 'Ardex',
    type: 'Levelling',
    sku: 'ARD-LC-W1',
  },
  {
    handle: 'grey-sealant-300ml',
    title: 'Grey Sealant 300ml',
    vendor: 'Adheseal',
    type: 'Sealants',
    sku: 'ADH-300',
  },
  {
    handle: 'beton-repair',
    title: 'Béton Repair Mortar',
    vendor: 'Sika',
    type: 'Mortars',
    sku: 'SIK-BR',
  },
  {
    handle: 'strasse-marker',
    title: 'Straße Marker Paint',
    vendor: 'Würth',
    type: 'Paints',
    sku: 'WUR-SM',
  },
  // A SKU that is also a word of other products' names: the exact SKU comes first.
  { handle: 'primer-zz-1', title: 'Primer Zeta', vendor: 'Bostik', type: 'Primers', sku: 'PRIMER' },
  ...Array.from({ length: 6 }, (_, index) => ({
    handle: `primer-coat-${index}`,
    title: `Acrylic Primer Coat ${index}`,
    vendor: 'Bostik',
    type: 'Primers',
    sku: `BOS-PC-${index}`,
  })),
];

let test: TestApp;

async function list(query: string): Promise<ListBody> {
  const response = await test.request(`/api/products?${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<ListBody>();
}
const handlesOf = (body: ListBody) => body.data.map((item) => item.product_id);
async function search(term: string, extra = ''): Promise<string[]> {
  const body = await list(`limit=100&search=${encodeURIComponent(term)}${extra}`);
  expect(body.pagination.has_next).toBe(false);
  return handlesOf(body);
}

beforeAll(async () => {
  test = await createTestApp();
  const imported = await importProductsCsv(test, shopifyCsv(ROWS));
  expect(imported.statusCode, imported.body).toBe(200);
});
afterAll(async () => {
  await test?.close();
});

describe('search', () => {
  it('matches several words in any order, across name, handle, SKU, vendor and type', async () => {
    const both = ['levelling-compound-grey-1l'];
    expect(await search('grey levelling')).toEqual(both);
    expect(await search('levelling grey')).toEqual(both);
    expect(await search('GREY   Levelling')).toEqual(both);
    // A vendor word and a name word; a type word and a SKU word.
    expect(await search('adheseal grey')).toEqual(['grey-sealant-300ml']);
    expect((await search('ardex compound')).sort()).toEqual([
      'levelling-compound-grey-1l',
      'levelling-compound-white-1l',
    ]);
    expect(await search('sealants adh-300')).toEqual(['grey-sealant-300ml']);
    // Every word must match somewhere.
    expect(await search('grey levelling white')).toEqual([]);
    expect(await search('adheseal levelling')).toEqual([]);
  });

  it('finds a vendor or a type alone, as a substring', async () => {
    expect(await search('adheseal')).toEqual(['grey-sealant-300ml']);
    expect((await search('mortars')).sort()).toEqual(['beton-repair']);
  });

  it('matches prefixes: a word of three characters or more anywhere, a shorter one at a word start', async () => {
    expect(await search('levell gre')).toEqual(['levelling-compound-grey-1l']);
    // "1l" starts a word of both levelling compounds; "l" alone with "grey" starts "Levelling".
    expect((await search('compound 1l')).sort()).toEqual([
      'levelling-compound-grey-1l',
      'levelling-compound-white-1l',
    ]);
    expect(await search('grey l')).toEqual(['levelling-compound-grey-1l']);
    // "ey" does not start a word of "Grey".
    expect(await search('compound ey')).toEqual([]);
  });

  it('ignores accents and case, both ways', async () => {
    expect(await search('beton')).toEqual(['beton-repair']);
    expect(await search('BÉTON')).toEqual(['beton-repair']);
    expect(await search('béton repair')).toEqual(['beton-repair']);
    expect(await search('strasse')).toEqual(['strasse-marker']);
    expect(await search('STRASSE marker')).toEqual(['strasse-marker']);
    expect(await search('wurth')).toEqual(['strasse-marker']);
    expect(await search('Würth')).toEqual(['strasse-marker']);
  });

  it('finds a SKU or a handle, whole or in part', async () => {
    expect(await search('ard-lc-w1')).toEqual(['levelling-compound-white-1l']);
    expect((await search('ARD-LC')).sort()).toEqual([
      'levelling-compound-grey-1l',
      'levelling-compound-white-1l',
    ]);
    expect(await search('beton-repair')).toEqual(['beton-repair']);
  });

  it('puts an exact SKU or handle first, then the rest in the requested order', async () => {
    // "primer" is the SKU of "Primer Zeta", and a word of six other names.
    const byName = await search('primer');
    expect(byName).toHaveLength(7);
    expect(byName[0]).toBe('primer-zz-1');
    expect(byName.slice(1)).toEqual([0, 1, 2, 3, 4, 5].map((index) => `primer-coat-${index}`));
    // The order of the rest follows the sort; the exact match stays first.
    const descending = await search('primer', '&sort=-product_name');
    expect(descending[0]).toBe('primer-zz-1');
    expect(descending.slice(1)).toEqual([5, 4, 3, 2, 1, 0].map((index) => `primer-coat-${index}`));
    // A handle, exactly.
    const handle = await search('primer-coat-3');
    expect(handle).toEqual(['primer-coat-3']);
    // Without an exact match, the plain order: "Acrylic…" before "Primer Zeta".
    const words = await search('primer co');
    expect(words).toEqual([0, 1, 2, 3, 4, 5].map((index) => `primer-coat-${index}`));
  });

  it('keeps the ranked order across pages by cursor, each product once', async () => {
    const seen: string[] = [];
    let body = await list(`limit=2&search=primer&sort=-product_name`);
    seen.push(...handlesOf(body));
    while (body.pagination.next_cursor) {
      body = await list(
        `limit=2&search=primer&sort=-product_name&cursor=${body.pagination.next_cursor}`,
      );
      seen.push(...handlesOf(body));
    }
    expect(seen).toEqual(await search('primer', '&sort=-product_name'));
    // Offset paging gives the same order.
    const second = await list('limit=3&offset=3&search=primer');
    expect(handlesOf(second)).toEqual((await search('primer')).slice(3, 6));
  });

  it('counts every match, whatever the ranking', async () => {
    const body = await list('limit=1&search=primer');
    expect(body.metadata.filtered_products).toBe(7);
    expect(body.metadata.count_estimated).toBe(false);
  });

  it('finds the same page whether the walk of the sort order fills it or the index reads every match', async () => {
    const base: ProductFilters = {
      hide_allocated: false,
      incomplete: false,
      include_descendants: true,
    };
    // A search alone in name order walks the name index only (index-only, migration 0029); with
    // another filter (a vendor) it walks the table: both walks must agree with the index path.
    const searches: ProductFilters[] = [
      ...['primer', 'ardex', 'grey levelling', 'bostik coat'].map((search) => ({
        ...base,
        search,
      })),
      { ...base, search: 'primer', vendor: 'Bostik' },
      { ...base, search: 'compound', vendor: 'Ardex' },
    ];
    for (const filters of searches) {
      const search = `${filters.search} ${filters.vendor ?? ''}`;
      for (const sort of [
        'product_name',
        '-product_name',
        'last_modified',
        '-product_id',
      ] as const) {
        const read = (walkRows: number, after?: { value: string; id: number }, offset = 0) =>
          listProducts(test.db, filters, { sort, limit: 3, offset, after, walkRows });
        // A walk of 2 products never fills a page of 3: the second query answers.
        const [walked, indexed, direct] = [await read(10_000), await read(2), await read(0)];
        expect(
          indexed.map((row) => row.product_id),
          `${search} ${sort}`,
        ).toEqual(walked.map((row) => row.product_id));
        // No walk at all (a rare term): the same page.
        expect(direct.map((row) => row.product_id)).toEqual(walked.map((row) => row.product_id));
        const last = walked.at(-1);
        if (last) {
          const after = { value: last.sort_value, id: last.id };
          expect((await read(2, after)).map((row) => row.product_id)).toEqual(
            (await read(10_000, after)).map((row) => row.product_id),
          );
        }
        expect((await read(2, undefined, 2)).map((row) => row.product_id)).toEqual(
          (await read(10_000, undefined, 2)).map((row) => row.product_id),
        );
      }
    }
  });

  it('counts every match in the statement that reads them for the page, whatever the page', async () => {
    const base: ProductFilters = {
      hide_allocated: false,
      incomplete: false,
      include_descendants: true,
    };
    for (const filters of [
      { ...base, search: 'primer' },
      { ...base, search: 'levelling' },
      { ...base, search: 'compound', vendor: 'Ardex' },
      { ...base, search: 'primer', hide_allocated: true },
    ]) {
      const total = await countProducts(test.db, filters);
      expect(total, filters.search).toBeGreaterThan(0);
      for (const sort of ['product_name', '-last_modified', 'product_id'] as const) {
        for (const offset of [0, 1]) {
          const rows = await listProducts(test.db, filters, {
            sort,
            limit: 1,
            offset,
            walkRows: 0,
            countMatches: true,
          });
          expect(rows.map((row) => row.match_total)).toEqual([total]);
        }
        // Without countMatches, or from a walk, nothing is counted.
        const walked = await listProducts(test.db, filters, { sort, limit: 1, offset: 0 });
        expect(walked[0]?.match_total ?? null).toBeNull();
      }
    }
  });
});
