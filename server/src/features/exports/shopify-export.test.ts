/**
 * GET /api/export/shopify.csv against the rules of Shopify's product CSV import, as cited in
 * docs/shopify-csv.md: Handle and Title present (the two columns an update requires), only the
 * columns we mean to overwrite (an omitted column is left as the store has it), the metafield
 * column in Shopify's header form with list values joined by "; ", tags merged with the
 * product's own (none lost, category tags replaced, idempotent after a re-import), Shopify's
 * tag limits, separators inside names, formula escaping, filters and the 422 envelope.
 */
import { PRODUCT_LIMITS } from '@tag-manager/contract';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCategory, importProductsCsv } from '../../../test/helpers/fixtures.js';
import { createTestApp, snapshot, type TestApp } from '../../../test/helpers/test-app.js';
import { mergedTags } from './shopify-file.js';

const METAFIELD_HEADER = 'Categories (product.metafields.custom.categories)';
const HEADER = ['Handle', 'Title', 'Tags', METAFIELD_HEADER];

let test: TestApp;
let ids: Record<string, number>;

/** A Shopify export with `Tags`: the product's own tags are whatever the store had. */
function productsFile(rows: { handle: string; title: string; tags: string }[]): string {
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  return `Handle,Title,Tags,Status\n${rows
    .map((row) => [row.handle, row.title, row.tags, 'active'].map(quote).join(','))
    .join('\n')}\n`;
}

async function shopifyExport(app: TestApp, query = '') {
  const response = await app.request(`/api/export/shopify.csv${query ? `?${query}` : ''}`);
  expect(response.statusCode, response.body.slice(0, 300)).toBe(200);
  return response;
}

function rowsOf(text: string): Map<string, Record<string, string>> {
  const records = parse(text, { columns: true }) as Record<string, string>[];
  return new Map(records.map((record) => [record.Handle!, record]));
}

async function assign(app: TestApp, handle: string, categoryIds: number[]) {
  const response = await app.request({
    method: 'POST',
    url: `/api/products/${encodeURIComponent(handle)}/categories`,
    payload: { category_ids: categoryIds },
  });
  expect(response.statusCode, response.body).toBe(201);
}

beforeAll(async () => {
  test = await createTestApp();
  const adhesives = await createCategory(test, { name: 'Adhesives & Sealants' });
  const sealants = await createCategory(test, { name: 'Sealants', parent_id: adhesives.id });
  const power = await createCategory(test, { name: 'Power > Cordless; Drills' });
  const odd = await createCategory(test, { name: 'Saws, 18% off', parent_id: power.id });
  const tools = await createCategory(test, { name: 'Tools' });
  ids = {
    adhesives: adhesives.id,
    sealants: sealants.id,
    power: power.id,
    odd: odd.id,
    tools: tools.id,
  };
  const imported = await importProductsCsv(
    test,
    productsFile([
      { handle: 'tagged', title: 'Tagged', tags: 'eco, Category: Gone > Away, Sale' },
      { handle: 'plain', title: 'Plain', tags: '' },
      { handle: 'formula', title: '=HYPERLINK("http://x")', tags: '@admin' },
      { handle: 'odd', title: 'Odd', tags: '' },
    ]),
  );
  expect(imported.statusCode, imported.body).toBe(200);
  await assign(test, 'tagged', [ids.sealants!, ids.tools!]);
  await assign(test, 'odd', [ids.odd!]);
});

afterAll(async () => {
  await test.close();
});

describe('the Shopify file', () => {
  it('has exactly Handle, Title, Tags and the metafield column, one row per product, UTF-8 without BOM, dated name', async () => {
    const response = await shopifyExport(test);
    expect(response.headers['content-type']).toBe('text/csv; charset=utf-8');
    const today = new Date().toISOString().slice(0, 10);
    expect(response.headers['content-disposition']).toBe(
      `attachment; filename="tag-manager-shopify-${today}.csv"`,
    );
    expect(response.rawPayload.subarray(0, 6).toString('utf8')).toBe('Handle');
    const records = parse(response.body) as string[][];
    expect(records[0]).toEqual(HEADER);
    // Shopify's required columns for an update are both filled on every row.
    for (const record of records.slice(1)) {
      expect(record).toHaveLength(HEADER.length);
      expect(record[0]).not.toBe('');
      expect(record[1]).not.toBe('');
    }
    expect(
      records
        .slice(1)
        .map((record) => record[0])
        .sort(),
    ).toEqual(['formula', 'odd', 'plain', 'tagged'].sort());
    // The metafield header is Shopify's own form, as in a real export's header.
    expect(METAFIELD_HEADER).toMatch(/^.+ \(product\.metafields\.[a-z_-]+\.[a-z_-]+\)$/);

    const withBom = await shopifyExport(test, 'bom=true');
    expect(withBom.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('merges the category tags into the product tags: none of its own lost, old category tags replaced', async () => {
    const rows = rowsOf((await shopifyExport(test)).body);
    const tags = rows.get('tagged')!.Tags!.split(', ');
    // Own tags first, then the category tags by level and path.
    expect(tags).toEqual([
      'eco',
      'Sale',
      'Category: Tools',
      'Category: Adhesives & Sealants > Sealants',
    ]);
    expect(rows.get('plain')!.Tags).toBe('');
    expect(rows.get('plain')![METAFIELD_HEADER]).toBe('');
    // List metafield: the paths joined by "; ", as Shopify's export writes list values.
    expect(rows.get('tagged')![METAFIELD_HEADER]).toBe('Tools; Adhesives & Sealants > Sealants');
  });

  it('is idempotent: importing the file back as products and exporting again gives the same tags', async () => {
    const first = (await shopifyExport(test)).body;
    const reimported = await importProductsCsv(test, first);
    expect(reimported.statusCode, reimported.body).toBe(200);
    const second = (await shopifyExport(test)).body;
    expect(second).toBe(first);
    // A category no longer assigned loses its tag.
    const removed = await test.request({
      method: 'DELETE',
      url: `/api/products/tagged/categories/${ids.tools}`,
    });
    expect(removed.statusCode).toBe(200);
    const tags = rowsOf((await shopifyExport(test)).body)
      .get('tagged')!
      .Tags!.split(', ');
    expect(tags).toEqual(['eco', 'Sale', 'Category: Adhesives & Sealants > Sealants']);
    await assign(test, 'tagged', [ids.tools!]);
  });

  it('escapes separators inside names: no tag holds a comma, the metafield holds one path per value', async () => {
    const row = rowsOf((await shopifyExport(test)).body).get('odd')!;
    expect(row.Tags).toBe('Category: Power %3E Cordless%3B Drills > Saws%2C 18%25 off');
    expect(row[METAFIELD_HEADER]).toBe('Power %3E Cordless%3B Drills > Saws, 18%25 off');
    expect(row[METAFIELD_HEADER]!.split('; ')).toHaveLength(1);
  });

  it('keeps spreadsheet formulas inert', async () => {
    const text = (await shopifyExport(test)).body;
    const row = rowsOf(text).get('formula')!;
    expect(row.Title).toBe(`'=HYPERLINK("http://x")`);
    expect(row.Tags).toBe(`'@admin`);
    for (const record of parse(text) as string[][]) {
      for (const cell of record) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    }
  });

  it('uses the product-list filters; unknown or invalid filters get the 422 envelope and nothing changes', async () => {
    const filtered = parse((await shopifyExport(test, 'hide_allocated=true')).body) as string[][];
    expect(
      filtered
        .slice(1)
        .map((record) => record[0])
        .sort(),
    ).toEqual(['formula', 'plain']);
    const searched = parse((await shopifyExport(test, 'search=tagged')).body) as string[][];
    expect(searched.slice(1).map((record) => record[0])).toEqual(['tagged']);
    const before = await snapshot(test.db);
    for (const query of ['colour=red', 'status=gone', 'category_id=abc', 'bom=maybe']) {
      const response = await test.request(`/api/export/shopify.csv?${query}`);
      expect(response.statusCode, query).toBe(422);
      expect(response.json()).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    }
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('follows the configuration: tag prefix, and no metafield column when it is off', async () => {
    const other = await createTestApp({
      SHOPIFY_CATEGORY_TAG_PREFIX: 'tm:',
      SHOPIFY_CATEGORY_METAFIELD: 'off',
    });
    try {
      const category = await createCategory(other, { name: 'Glue' });
      const imported = await importProductsCsv(
        other,
        productsFile([{ handle: 'g', title: 'G', tags: 'keep, tm:Old' }]),
      );
      expect(imported.statusCode).toBe(200);
      await assign(other, 'g', [category.id]);
      const records = parse((await shopifyExport(other)).body) as string[][];
      expect(records).toEqual([
        ['Handle', 'Title', 'Tags'],
        ['g', 'G', 'keep, tm:Glue'],
      ]);
    } finally {
      await other.close();
    }
  });
});

describe("Shopify's tag limits", () => {
  it('keeps every own tag, leaves out category tags over 255 characters or beyond 250 tags', () => {
    const long = ['A'.repeat(120), 'B'.repeat(120), 'C'.repeat(20)];
    expect(mergedTags(['x'], [long, ['Short']], 'Category: ')).toEqual(['x', 'Category: Short']);
    const own = Array.from({ length: PRODUCT_LIMITS.tagCount }, (_, at) => `t${at}`);
    const merged = mergedTags(own, [['Short']], 'Category: ');
    expect(merged).toEqual(own);
    // Duplicates (Shopify compares tags without case) are written once.
    expect(mergedTags(['Eco', 'eco'], [], 'Category: ')).toEqual(['Eco']);
  });
});
