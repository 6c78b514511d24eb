/** Small catalogs built through the API, and the paths of the fixture files. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { arrayParam } from '../../src/db/sql.js';
import type { TestApp } from './test-app.js';

export const fixturePath = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** The real sample data lives outside the repository; tests that use it skip when it is absent. */
export const sharedDataPath = (name: string) =>
  fileURLToPath(new URL(`../../../../shared/data/${name}`, import.meta.url));
export const hasSharedData = existsSync(sharedDataPath('shopify-products.csv'));
export const SHARED_DATA_SKIP_MESSAGE =
  'Skipping the tests on ../shared/data (the real sample files are not next to this clone); the fixtures in server/test/fixtures cover the same rules.';

export async function createCategory(
  test: TestApp,
  body: { name: string; level?: number; parent_id?: number | null },
): Promise<{ id: number; name: string; level: number }> {
  const response = await test.request({ method: 'POST', url: '/api/categories', payload: body });
  if (response.statusCode !== 201) throw new Error(`create category failed: ${response.body}`);
  return response.json().data;
}

/** A small tree: two level-1 roots, each with children and grandchildren. */
export async function createSampleTree(test: TestApp) {
  const tools = await createCategory(test, { name: 'Trade Tools' });
  const sealants = await createCategory(test, { name: 'Sealants' });
  const guns = await createCategory(test, { name: 'Caulking Guns', parent_id: tools.id });
  const trowels = await createCategory(test, { name: 'Trowels', parent_id: tools.id });
  const manualGuns = await createCategory(test, { name: 'Manual Guns', parent_id: guns.id });
  const batteryGuns = await createCategory(test, { name: 'Battery Guns', parent_id: guns.id });
  const silicone = await createCategory(test, { name: 'Silicone', parent_id: sealants.id });
  const neutralCure = await createCategory(test, { name: 'Neutral Cure', parent_id: silicone.id });
  return { tools, sealants, guns, trowels, manualGuns, batteryGuns, silicone, neutralCure };
}

/** Imports products from CSV text through the API. */
export async function importProductsCsv(test: TestApp, csv: string | Buffer) {
  const response = await test.request({
    method: 'POST',
    url: '/api/import/products',
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  });
  return response;
}

export function shopifyCsv(
  rows: {
    handle: string;
    title: string;
    vendor?: string;
    status?: string;
    sku?: string;
    image?: string;
    type?: string;
  }[],
): string {
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  const lines = ['Handle,Title,Vendor,Type,Current Tags,Variant SKU,Image Src,Status'];
  for (const row of rows) {
    lines.push(
      [
        row.handle,
        row.title,
        row.vendor ?? 'Acme',
        row.type ?? 'Sealant',
        'a,b',
        row.sku ?? '',
        row.image ?? '',
        row.status ?? 'active',
      ]
        .map(quote)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** The database ids of products, in the order of their handles (for tests that write SQL). */
export async function productIdsOf(test: TestApp, handles: readonly string[]): Promise<number[]> {
  const rows = await queryRows<{ id: number; handle: string }>(
    test.db,
    sql`select id, product_id as handle from products
         where product_id = any(${arrayParam(handles)}::text[])`,
  );
  const idByHandle = new Map(rows.map((row) => [row.handle, row.id]));
  return handles.map((handle) => idByHandle.get(handle)!);
}

/** A catalog of `count` simple products (handles p-001…), imported through the API. */
export async function createProducts(test: TestApp, count: number) {
  const rows = Array.from({ length: count }, (_, index) => {
    const number = String(index + 1).padStart(3, '0');
    return { handle: `p-${number}`, title: `Product ${number}`, sku: `SKU-${number}` };
  });
  const response = await importProductsCsv(test, shopifyCsv(rows));
  if (response.statusCode !== 200) throw new Error(`import failed: ${response.body}`);
  return rows.map((row) => row.handle);
}
