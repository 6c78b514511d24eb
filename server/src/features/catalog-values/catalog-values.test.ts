/**
 * GET /api/vendors and GET /api/product-types: distinct values with their product counts,
 * most used first then by value, an optional case-insensitive prefix, a limit, 422 on bad
 * input, and a cached answer that follows imports.
 */
import type { CatalogValue, ErrorEnvelope } from '@tag-manager/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importProductsCsv } from '../../../test/helpers/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';

let test: TestApp;

const csv = (rows: [handle: string, vendor: string, type: string][]) =>
  `Handle,Title,Vendor,Type,Status\n${rows
    .map(([handle, vendor, type]) => `${handle},Title ${handle},${vendor},${type},active`)
    .join('\n')}\n`;

beforeAll(async () => {
  test = await createTestApp();
  const response = await importProductsCsv(
    test,
    csv([
      ['a1', 'Sika', 'Sealant'],
      ['a2', 'Sika', 'Sealant'],
      ['a3', 'Sika', 'Membrane'],
      ['a4', 'Ardex', 'Membrane'],
      ['a5', 'Ardex', 'Sealant'],
      ['a6', 'Bostik', 'Tool'],
      ['a7', '50% Off', 'Tool'],
      ['a8', 'sikaflex co', 'Adhesive'],
      ['a9', '', ''],
    ]),
  );
  expect(response.statusCode).toBe(200);
});
afterAll(async () => {
  await test.close();
});

async function values(url: string): Promise<CatalogValue[]> {
  const response = await test.request(url);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: CatalogValue[] }>().data;
}

describe('GET /api/vendors and /api/product-types', () => {
  it('lists each vendor with its product count, most used first then by name, no empty value', async () => {
    expect(await values('/api/vendors')).toEqual([
      { value: 'Sika', product_count: 3 },
      { value: 'Ardex', product_count: 2 },
      { value: '50% Off', product_count: 1 },
      { value: 'Bostik', product_count: 1 },
      { value: 'sikaflex co', product_count: 1 },
    ]);
  });

  it('lists product types the same way', async () => {
    expect(await values('/api/product-types')).toEqual([
      { value: 'Sealant', product_count: 3 },
      { value: 'Membrane', product_count: 2 },
      { value: 'Tool', product_count: 2 },
      { value: 'Adhesive', product_count: 1 },
    ]);
  });

  it('search is a case-insensitive prefix with % and _ literal; limit cuts the list', async () => {
    expect((await values('/api/vendors?search=SIK')).map((v) => v.value)).toEqual([
      'Sika',
      'sikaflex co',
    ]);
    expect(await values('/api/vendors?search=%25')).toEqual([]);
    expect((await values('/api/vendors?search=50%25')).map((v) => v.value)).toEqual(['50% Off']);
    expect((await values('/api/vendors?search=_ika')).map((v) => v.value)).toEqual([]);
    expect((await values('/api/product-types?limit=2')).map((v) => v.value)).toEqual([
      'Sealant',
      'Membrane',
    ]);
  });

  it.each([
    '/api/vendors?limit=0',
    '/api/vendors?limit=1001',
    '/api/vendors?limit=abc',
    '/api/vendors?search=',
    `/api/vendors?search=${'x'.repeat(256)}`,
    '/api/vendors?search=a%00b',
    '/api/product-types?vendor=Sika',
  ])('422 with the error envelope: %s', async (url) => {
    const response = await test.request(url);
    expect(response.statusCode).toBe(422);
    expect(response.json<ErrorEnvelope>().success).toBe(false);
  });

  it('are documented with their query parameters', async () => {
    const document = (await test.app.inject({ url: '/openapi.json' })).json<{
      paths: Record<string, { get: { parameters: { name: string; description?: string }[] } }>;
    }>();
    for (const path of ['/api/vendors', '/api/product-types']) {
      const names = document.paths[path]!.get.parameters.map((parameter) => parameter.name);
      expect(names.sort()).toEqual(['limit', 'search']);
    }
  });

  it('an import changes the cached answer', async () => {
    const before = await values('/api/product-types');
    const etag = (await test.request('/api/product-types')).headers.etag;
    expect(etag).toBeDefined();
    // Served from the cache: the same version, so a conditional read is answered 304.
    const again = await test.request({
      url: '/api/product-types',
      headers: { 'if-none-match': String(etag) },
    });
    expect(again.statusCode).toBe(304);
    const imported = await importProductsCsv(
      test,
      csv([
        ['b1', 'Sika', 'Primer'],
        ['b2', 'Sika', 'Primer'],
        ['b3', 'Sika', 'Primer'],
        ['b4', 'Sika', 'Primer'],
      ]),
    );
    expect(imported.statusCode).toBe(200);
    const after = await values('/api/product-types');
    expect(after).not.toEqual(before);
    expect(after[0]).toEqual({ value: 'Primer', product_count: 4 });
    expect((await test.request('/api/product-types')).headers.etag).not.toBe(etag);
    expect((await values('/api/vendors'))[0]).toEqual({ value: 'Sika', product_count: 7 });
  });
});
