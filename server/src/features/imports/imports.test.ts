import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import {
  fixturePath,
  hasSharedData,
  importProductsCsv,
  SHARED_DATA_SKIP_MESSAGE,
  sharedDataPath,
  shopifyCsv,
} from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

async function importCategories(test: TestApp, payload: unknown) {
  return test.request({
    method: 'POST',
    url: '/api/import/categories',
    payload: payload as object,
  });
}

async function levelCounts(test: TestApp) {
  return (await test.request('/api/categories')).json().metadata.level_counts;
}

describe('import of the fixture files (same rules as the real sample data)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test.close();
  });

  it('imports categories: duplicate names, "null" parents, L3 under every same-named parent', async () => {
    const document = JSON.parse(await readFile(fixturePath('categories-sample.json'), 'utf8'));
    const response = await importCategories(test, document);
    expect(response.statusCode).toBe(200);
    const report = response.json().data;
    // Counts are per entry and add up to the records (13 + 3 rejected = 16); the two level-3
    // entries went under two same-named parents each: 15 categories placed.
    expect(report).toMatchObject({
      kind: 'categories',
      records: 16,
      created: 13,
      updated: 0,
      unchanged: 0,
      placements: { created: 15, updated: 0, unchanged: 0 },
    });
    expect(report.created + report.updated + report.unchanged + report.rejected_total).toBe(
      report.records,
    );
    expect(report.rejected.map((rejection: { line: number }) => rejection.line)).toEqual([
      14, 15, 16,
    ]);
    expect(await levelCounts(test)).toEqual({ level_1: 4, level_2: 7, level_3: 4 });

    const categories: { name: string; level: number; path: string }[] = (
      await test.request('/api/categories')
    ).json().data;
    expect(
      categories
        .filter((category) => category.name === 'Trade Tools')
        .map((category) => category.path)
        .sort(),
    ).toEqual([
      'Tiling Products > Trade Tools',
      'Trade Tools',
      'Waterproofing Products > Trade Tools',
    ]);
    expect(categories.filter((category) => category.name === 'Aluminium Angles')).toHaveLength(2);
    expect(categories.find((category) => category.name === 'Vendors')?.level).toBe(1);
    expect(categories.some((category) => category.name.toLowerCase() === 'null')).toBe(false);

    const again = (await importCategories(test, document)).json().data;
    expect(again).toMatchObject({
      created: 0,
      updated: 0,
      unchanged: 13,
      placements: { created: 0, updated: 0, unchanged: 15 },
    });
  });

  it('imports a Shopify export: grouping, BOM, multi-line bodies, nan rows, rejects with line numbers', async () => {
    const csv = await readFile(fixturePath('shopify-sample.csv'));
    const response = await importProductsCsv(test, csv);
    expect(response.statusCode).toBe(200);
    const report = response.json().data;
    expect(report).toMatchObject({
      kind: 'products',
      records: 7,
      created: 7,
      updated: 0,
      unchanged: 0,
    });
    expect(report.rejected).toEqual([
      { line: 11, reason: 'Handle is empty' },
      { line: 12, reason: expect.stringContaining('Status "published"') },
    ]);

    const ultraset = (
      await test.request(`/api/products/${encodeURIComponent('bostik-ultraset®-sf')}`)
    ).json().data;
    expect(ultraset).toMatchObject({
      product_id: 'bostik-ultraset®-sf',
      product_name: 'Bostik Ultraset® SF',
      vendor: 'Bostik',
      sku: 'ULTRASF-4',
      image_url: 'https://cdn.example.com/ultraset.png',
      status: 'active',
    });
    const flange = (
      await test.request(`/api/products/${encodeURIComponent('megaflex™-puddle-flange')}`)
    ).json().data;
    expect(flange).toMatchObject({
      product_name: 'Megaflex™ Puddle Flange',
      status: 'draft',
      sku: 'MPF-100',
    });
    const ardex = (await test.request('/api/products/ardex-wpm-300')).json().data;
    expect(ardex).toMatchObject({ status: 'archived', tags: ['membrane', 'epoxy'] });
    const names = await queryRows<{ product_name: string }>(
      test.db,
      sql`select product_name from products`,
    );
    expect(names.some((row) => row.product_name.toLowerCase() === 'nan')).toBe(false);

    const again = (await importProductsCsv(test, csv)).json().data;
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 7 });
  });

  it('refuses the handles "." and "..", which no URL can address (and so does the database)', async () => {
    const response = await importProductsCsv(
      test,
      'Handle,Title\n.,One dot\n..,Two dots\nfine-handle,Fine\n',
    );
    expect(response.statusCode).toBe(200);
    const report = response.json().data;
    expect(report.rejected).toEqual([
      { line: 2, reason: expect.stringContaining('Handle "." cannot be used') },
      { line: 3, reason: expect.stringContaining('Handle ".." cannot be used') },
    ]);
    await expect(
      test.db.execute(sql`insert into products (product_id, product_name) values ('..', 'x')`),
    ).rejects.toThrow();
  });

  it('updates a product whose title changed, and only that one', async () => {
    const csv = (await readFile(fixturePath('shopify-sample.csv'), 'utf8')).replace(
      'Dunlop Flexible Grout',
      'Dunlop Flexible Grout 5kg',
    );
    const report = (await importProductsCsv(test, csv)).json().data;
    expect(report).toMatchObject({ created: 0, updated: 1, unchanged: 6 });
    const dunlop = (await test.request('/api/products/dunlop-flexible-grout')).json().data;
    expect(dunlop.product_name).toBe('Dunlop Flexible Grout 5kg');
  });

  it('accepts a multipart upload of either file', async () => {
    const boundary = '----tagmanager';
    const body = (name: string, content: string) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n${content}\r\n--${boundary}--\r\n`;
    const products = await test.request({
      method: 'POST',
      url: '/api/import/products',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body(
        'p.csv',
        shopifyCsv([{ handle: 'multipart-product', title: 'Multipart Product' }]),
      ),
    });
    expect(products.statusCode).toBe(200);
    expect(products.json().data.created).toBe(1);
    const categories = await test.request({
      method: 'POST',
      url: '/api/import/categories',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: body(
        'c.json',
        JSON.stringify([
          { category_name: 'Uploaded', category_level: 'Level 1 Category', connected_to: null },
        ]),
      ),
    });
    expect(categories.statusCode).toBe(200);
    expect(categories.json().data.created).toBe(1);
  });

  it('rejects a file that is not a Shopify export, or not a category list, as a whole', async () => {
    const before = await snapshot(test.db);
    const notShopify = await importProductsCsv(test, 'name,price\nwidget,3\n');
    expect(notShopify.statusCode).toBe(422);
    expect(notShopify.json().error).toMatch(/not a Shopify product export.*Handle and Title/);

    const brokenLate = `${shopifyCsv([{ handle: 'late-a', title: 'A' }])}"unterminated,quote\n`;
    const broken = await importProductsCsv(test, brokenLate);
    expect(broken.statusCode).toBe(422);

    const notList = await importCategories(test, { hello: 'world' });
    expect(notList.statusCode).toBe(422);
    expect(notList.json().error).toMatch(/not a category list/);
    const wrongObjects = await importCategories(test, [{ name: 'x' }]);
    expect(wrongObjects.statusCode).toBe(422);
    expect(await snapshot(test.db)).toEqual(before);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

if (!hasSharedData) console.warn(SHARED_DATA_SKIP_MESSAGE);

describe.skipIf(!hasSharedData)('import of the real sample data (../shared/data)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test.close();
  });

  it('imports 196 categories: 16 / 122 / 58, Trade Tools three times, Vendors with 45 children', async () => {
    const document = JSON.parse(await readFile(sharedDataPath('categories.json'), 'utf8'));
    const report = (await importCategories(test, document)).json().data;
    // 189 entries, each created once; placed 196 times (entries under same-named parents).
    expect(report).toMatchObject({
      records: 189,
      created: 189,
      updated: 0,
      rejected: [],
      placements: { created: 196, updated: 0, unchanged: 0 },
    });
    expect(await levelCounts(test)).toEqual({ level_1: 16, level_2: 122, level_3: 58 });

    const categories: { id: number; name: string; level: number; parent_id: number | null }[] = (
      await test.request('/api/categories')
    ).json().data;
    const tradeTools = categories.filter((category) => category.name === 'Trade Tools');
    expect(tradeTools.filter((category) => category.level === 1)).toHaveLength(1);
    const level2 = tradeTools.filter((category) => category.level === 2);
    expect(level2).toHaveLength(2);
    expect(new Set(level2.map((category) => category.parent_id)).size).toBe(2);
    const vendors = categories.find(
      (category) => category.name === 'Vendors' && category.level === 1,
    )!;
    expect(categories.filter((category) => category.parent_id === vendors.id)).toHaveLength(45);
    expect(categories.some((category) => category.name.toLowerCase() === 'null')).toBe(false);

    const again = (await importCategories(test, document)).json().data;
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 189 });
  });

  it('imports exactly 422 products with first-row titles, ® handles reachable, idempotent', async () => {
    const csv = await readFile(sharedDataPath('shopify-products.csv'));
    const report = (await importProductsCsv(test, csv)).json().data;
    expect(report).toMatchObject({ records: 422, created: 422, updated: 0, rejected: [] });

    const list = (await test.request('/api/products?limit=1')).json();
    expect(list.metadata.total_products).toBe(422);
    const nan = await queryRows<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from products where lower(product_name) in ('nan', '')`,
    );
    expect(nan[0]!.n).toBe(0);

    for (const handle of [
      'bostik-ultraset®-sf',
      'silcor®-top-coat-75',
      'megaflex™-puddle-flange',
    ]) {
      const response = await test.request(`/api/products/${encodeURIComponent(handle)}`);
      expect(response.statusCode).toBe(200);
      expect(response.json().data.product_id).toBe(handle);
      const categories = await test.request(
        `/api/products/${encodeURIComponent(handle)}/categories`,
      );
      expect(categories.statusCode).toBe(200);
    }
    const first = (
      await test.request('/api/products/rla-penapatch-structural-repair-mortar-hb80')
    ).json().data;
    expect(first.product_name).toBe('RLA Penapatch Structural Repair Mortar HB80');

    const again = (await importProductsCsv(test, csv)).json().data;
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 422 });
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
