/**
 * Bad input on every write endpoint: each request is refused with a 4xx and the error envelope,
 * and the stored data (products, categories, assignments, change sets) is exactly as before.
 * Unknown ids in bulk requests are per-item errors (200) that change nothing either.
 */
import type { ErrorCode } from '@tag-manager/contract';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCategory,
  createProducts,
  createSampleTree,
  importProductsCsv,
  shopifyCsv,
} from '../helpers/fixtures.js';
import { expectErrorEnvelope } from '../helpers/envelope.js';
import { createTestApp, invariantViolations, snapshot, type TestApp } from '../helpers/test-app.js';

const SQL = "'; drop table products; --";
const TEN_KB = 'x'.repeat(10 * 1024);
const MAX_INT = 2_147_483_647;
const JSON_TYPE = { 'content-type': 'application/json' };

interface BadCase {
  name: string;
  /** A function when the request needs ids that exist only after beforeAll. */
  request: InjectOptions | (() => InjectOptions);
  status: number;
  code: ErrorCode;
  /** A field that `details.field_errors` must name (422 only). */
  field?: string;
}

/** Sends a request that must be refused, and proves that nothing stored changed. */
async function expectRejected(test: TestApp, badCase: Omit<BadCase, 'name'>) {
  const before = await snapshot(test.db);
  const request = typeof badCase.request === 'function' ? badCase.request() : badCase.request;
  const response = await test.request(request);
  const body = expectErrorEnvelope(response, badCase.status, badCase.code, badCase.field);
  expect(await snapshot(test.db)).toEqual(before);
  return body;
}

const json = (method: InjectOptions['method'], url: string, payload: unknown): InjectOptions => ({
  method,
  url,
  headers: JSON_TYPE,
  payload: JSON.stringify(payload),
});
const raw = (
  method: InjectOptions['method'],
  url: string,
  contentType: string,
  payload: string | Buffer,
): InjectOptions => ({
  method,
  url,
  headers: { 'content-type': contentType },
  payload,
});

function multipartBody(
  parts: { name: string; filename?: string; contentType?: string; content: string | Buffer }[],
): { headers: Record<string, string>; payload: Buffer } {
  const boundary = '----tag-manager-test-boundary';
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
    const head = `--${boundary}\r\nContent-Disposition: ${disposition}\r\n${
      part.contentType ? `Content-Type: ${part.contentType}\r\n` : ''
    }\r\n`;
    chunks.push(Buffer.from(head), Buffer.from(part.content), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: Buffer.concat(chunks),
  };
}

const multipart = (url: string, parts: Parameters<typeof multipartBody>[0]): InjectOptions => ({
  method: 'POST',
  url,
  ...multipartBody(parts),
});

/** Number values no id or level accepts. */
const BAD_NUMBERS: [string, unknown][] = [
  ['zero', 0],
  ['negative', -1],
  ['2^31', 2 ** 31],
  ['1e20', 1e20],
  ['a non-integer', 1.5],
  ['a numeric string', '1'],
  ['a boolean', true],
  ['null', null],
  ['an object', { id: 1 }],
  ['an SQL-looking string', SQL],
];

/** Path segments no integer id accepts (each is URL-safe as written). */
const BAD_PATH_IDS: [string, string][] = [
  ['zero', '0'],
  ['negative', '-1'],
  ['2^31', String(2 ** 31)],
  ['1e20', '1e20'],
  ['a non-integer', '1.5'],
  ['a word', 'abc'],
  ['an SQL-looking string', encodeURIComponent(SQL)],
  ['a thousand digits', '9'.repeat(1000)],
];

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;
let handles: string[];

beforeAll(async () => {
  test = await createTestApp({ BULK_MAX_PRODUCTS: '5' });
  tree = await createSampleTree(test);
  handles = await createProducts(test, 8);
  // A realistic state: single assignments (with ancestors) and a bulk assignment.
  for (const [handle, categoryId] of [
    ['p-001', tree.neutralCure.id],
    ['p-002', tree.manualGuns.id],
    ['p-003', tree.sealants.id],
  ] as const) {
    const response = await test.request(
      json('POST', `/api/products/${handle}/categories`, { category_ids: [categoryId] }),
    );
    expect(response.statusCode, response.body).toBe(201);
  }
  const bulk = await test.request(
    json('POST', '/api/bulk/assign', {
      product_ids: ['p-004', 'p-005', 'p-006'],
      category_ids: [tree.trowels.id],
    }),
  );
  expect(bulk.statusCode, bulk.body).toBe(200);
  expect(await invariantViolations(test.db)).toEqual([]);
});

afterAll(async () => {
  if (test) {
    expect(await invariantViolations(test.db)).toEqual([]);
    await test.close();
  }
});

describe('the starting state', () => {
  it('has the tree, the products and their assignments', async () => {
    expect(handles).toHaveLength(8);
    const product = await test.request('/api/products/p-001');
    expect(product.json().data.category_count).toBe(3);
    const trowels = await test.request(`/api/categories/${tree.trowels.id}`);
    expect(trowels.json().data.product_count).toBe(3);
  });
});

describe('POST /api/categories', () => {
  const url = '/api/categories';
  const cases: BadCase[] = [
    {
      name: 'a missing name',
      request: json('POST', url, {}),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a numeric name',
      request: json('POST', url, { name: 42 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a null name',
      request: json('POST', url, { name: null }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'an array name',
      request: json('POST', url, { name: ['A'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'an empty name',
      request: json('POST', url, { name: '' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a blank name',
      request: json('POST', url, { name: '    ' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a 101-character name',
      request: json('POST', url, { name: 'n'.repeat(101) }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a 10 kB name',
      request: json('POST', url, { name: TEN_KB }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a NUL character',
      request: json('POST', url, { name: 'Bad\u0000Name' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a tab',
      request: json('POST', url, { name: 'Bad\tName' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a newline',
      request: json('POST', url, { name: 'Bad\nName' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'an escape character',
      request: json('POST', url, { name: 'Bad\u001b[31mName' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a DEL character',
      request: json('POST', url, { name: 'Bad\u007fName' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a C1 control character',
      request: json('POST', url, { name: 'Bad\u0085Name' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'an unknown extra field',
      request: json('POST', url, { name: 'Extra', colour: 'red' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'colour',
    },
    {
      name: 'a client-chosen id',
      request: json('POST', url, { name: 'Extra', id: 1 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'id',
    },
    ...BAD_NUMBERS.map(([label, value]): BadCase => ({
      name: `level ${label}`,
      request: json('POST', url, { name: 'Level test', level: value }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'level',
    })),
    {
      name: 'level 4',
      request: json('POST', url, { name: 'Level test', level: 4 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'level',
    },
    ...BAD_NUMBERS.filter(([label]) => label !== 'null').map(([label, value]): BadCase => ({
      name: `parent_id ${label}`,
      request: json('POST', url, { name: 'Parent test', parent_id: value }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'parent_id',
    })),
    {
      name: 'level 2 without a parent',
      request: json('POST', url, { name: 'Orphan', level: 2 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'parent_id',
    },
    {
      name: 'an unknown parent_id',
      request: json('POST', url, { name: 'Orphan', parent_id: 999_999 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'parent_id',
    },
    {
      name: 'the largest id as an unknown parent',
      request: json('POST', url, { name: 'Orphan', parent_id: MAX_INT }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'parent_id',
    },
    {
      name: 'an array body',
      request: json('POST', url, [{ name: 'A' }]),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'a JSON string body',
      request: json('POST', url, 'A'),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'a JSON null body',
      request: raw('POST', url, 'application/json', 'null'),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'a JSON number too large for a double',
      request: raw('POST', url, 'application/json', '{"name":"Big","parent_id":1e400}'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'parent_id',
    },
    {
      name: 'no body at all',
      request: { method: 'POST', url },
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'malformed JSON',
      request: raw('POST', url, 'application/json', '{"name": "Broken"'),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'JSON with a trailing comma',
      request: raw('POST', url, 'application/json', '{"name": "Broken",}'),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'an empty JSON body',
      request: raw('POST', url, 'application/json', ''),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a plain-text body',
      request: raw('POST', url, 'text/plain', 'name=Plain'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a form-encoded body',
      request: raw('POST', url, 'application/x-www-form-urlencoded', 'name=Form'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'an XML body',
      request: raw('POST', url, 'application/xml', '<name>Xml</name>'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a CSV body',
      request: raw('POST', url, 'text/csv', 'name\nCsv\n'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
  ];

  it.each(cases)('refuses $name', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });

  it('refuses a level that does not match the parent', async () => {
    await expectRejected(test, {
      request: json('POST', url, { name: 'Mismatch', parent_id: tree.tools.id, level: 3 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'level',
    });
  });

  it('refuses a child of a level 3 category', async () => {
    await expectRejected(test, {
      request: json('POST', url, { name: 'Too deep', parent_id: tree.neutralCure.id }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'parent_id',
    });
  });

  it.each([
    ['the same name', 'Trowels'],
    ['another case and spacing', '  tROWELS '],
  ])('refuses a duplicate sibling name (%s) with 409', async (_label, name) => {
    const body = await expectRejected(test, {
      request: json('POST', url, { name, parent_id: tree.tools.id }),
      status: 409,
      code: 'CONFLICT',
    });
    expect(body.details).toEqual(expect.objectContaining({ existing_id: tree.trowels.id }));
  });

  it('stores an SQL-looking name verbatim and touches nothing else', async () => {
    const before = await snapshot(test.db);
    const response = await test.request(
      json('POST', url, { name: SQL, parent_id: tree.sealants.id }),
    );
    expect(response.statusCode).toBe(201);
    const created = response.json().data;
    expect(created.name).toBe(SQL);
    expect(created.level).toBe(2);
    const after = await snapshot(test.db);
    expect(after.products).toBe(before.products);
    expect(after.product_categories).toBe(before.product_categories);
    const products = await test.request('/api/products?limit=50');
    expect(products.json().metadata.total_products).toBe(8);
    // Clean up, so the later cases see the starting tree.
    const deleted = await test.request({ method: 'DELETE', url: `/api/categories/${created.id}` });
    expect(deleted.statusCode).toBe(204);
  });
});

describe('PATCH /api/categories/:id', () => {
  const url = () => `/api/categories/${tree.trowels.id}`;
  const cases: BadCase[] = [
    {
      name: 'a missing name',
      request: () => json('PATCH', url(), {}),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a numeric name',
      request: () => json('PATCH', url(), { name: 7 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'an empty name',
      request: () => json('PATCH', url(), { name: '' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a blank name',
      request: () => json('PATCH', url(), { name: ' \u00a0 ' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a 10 kB name',
      request: () => json('PATCH', url(), { name: TEN_KB }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a 101-character name',
      request: () => json('PATCH', url(), { name: 'é'.repeat(101) }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a control character',
      request: () => json('PATCH', url(), { name: 'Bad\rName' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'a line separator',
      request: () => json('PATCH', url(), { name: 'Bad\u2028Name' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'name',
    },
    {
      name: 'an extra field (moving is not renaming)',
      request: () => json('PATCH', url(), { name: 'Moved', parent_id: tree.sealants.id }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'parent_id',
    },
    {
      name: 'an extra level field',
      request: () => json('PATCH', url(), { name: 'Moved', level: 1 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'level',
    },
    {
      name: 'an array body',
      request: () => json('PATCH', url(), ['Renamed']),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'no body at all',
      request: () => ({ method: 'PATCH', url: url() }),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'malformed JSON',
      request: () => raw('PATCH', url(), 'application/json', "{'name': 'single quotes'}"),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a plain-text body',
      request: () => raw('PATCH', url(), 'text/plain', 'Renamed'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a duplicate sibling name',
      request: () => json('PATCH', url(), { name: 'caulking guns' }),
      status: 409,
      code: 'CONFLICT',
    },
    ...BAD_PATH_IDS.map(([label, id]): BadCase => ({
      name: `an id that is ${label}`,
      request: () => json('PATCH', `/api/categories/${id}`, { name: 'Renamed' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'id',
    })),
    {
      name: 'an unknown id',
      request: () => json('PATCH', '/api/categories/999999', { name: 'Renamed' }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'the largest id, unknown',
      request: () => json('PATCH', `/api/categories/${MAX_INT}`, { name: 'Renamed' }),
      status: 404,
      code: 'NOT_FOUND',
    },
  ];

  it.each(cases)('refuses $name', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });

  it('keeps the name when the rename is refused', async () => {
    const response = await test.request(`/api/categories/${tree.trowels.id}`);
    expect(response.json().data.name).toBe('Trowels');
  });
});

describe('DELETE /api/categories/:id', () => {
  it.each(BAD_PATH_IDS)('refuses an id that is %s', async (_label, id) => {
    await expectRejected(test, {
      request: () => ({ method: 'DELETE', url: `/api/categories/${id}` }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'id',
    });
  });

  it('answers 404 for an unknown id', async () => {
    const body = await expectRejected(test, {
      request: () => ({ method: 'DELETE', url: '/api/categories/999999' }),
      status: 404,
      code: 'NOT_FOUND',
    });
    expect(body.details).toEqual({ resource: 'category', identifier: 999_999 });
  });

  it('refuses a category with children, naming the counts', async () => {
    const body = await expectRejected(test, {
      request: () => ({ method: 'DELETE', url: `/api/categories/${tree.guns.id}` }),
      status: 409,
      code: 'CONFLICT',
    });
    expect(body.details).toEqual(expect.objectContaining({ child_count: 2, product_count: 1 }));
  });

  it('refuses a leaf category that products use', async () => {
    const body = await expectRejected(test, {
      request: () => ({ method: 'DELETE', url: `/api/categories/${tree.trowels.id}` }),
      status: 409,
      code: 'CONFLICT',
    });
    expect(body.details).toEqual(expect.objectContaining({ child_count: 0, product_count: 3 }));
  });
});

describe('POST /api/products/:product_id/categories', () => {
  const url = '/api/products/p-007/categories';
  const cases: BadCase[] = [
    {
      name: 'missing category_ids',
      request: () => json('POST', url, {}),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'an empty list',
      request: () => json('POST', url, { category_ids: [] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'a single id, not a list',
      request: () => json('POST', url, { category_ids: tree.tools.id }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'a comma-separated string',
      request: () => json('POST', url, { category_ids: `${tree.tools.id},${tree.sealants.id}` }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'null',
      request: () => json('POST', url, { category_ids: null }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: '51 ids',
      request: () =>
        json('POST', url, { category_ids: Array.from({ length: 51 }, (_, i) => i + 1) }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'duplicate ids',
      request: () => json('POST', url, { category_ids: [tree.trowels.id, tree.trowels.id] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    ...BAD_NUMBERS.map(([label, value]): BadCase => ({
      name: `an id that is ${label}`,
      request: () => json('POST', url, { category_ids: [tree.trowels.id, value] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids.1',
    })),
    {
      name: 'an unknown extra field',
      request: () => json('POST', url, { category_ids: [tree.trowels.id], force: true }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'force',
    },
    {
      name: 'the singular field name',
      request: () => json('POST', url, { category_id: tree.trowels.id }),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'an unknown category id',
      request: () => json('POST', url, { category_ids: [999_999] }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a known and an unknown category id',
      request: () => json('POST', url, { category_ids: [tree.trowels.id, MAX_INT] }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'an unknown product',
      request: () =>
        json('POST', '/api/products/no-such-product/categories', {
          category_ids: [tree.trowels.id],
        }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a handle in the wrong case',
      request: () =>
        json('POST', '/api/products/P-007/categories', { category_ids: [tree.trowels.id] }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'an SQL-looking handle',
      request: () =>
        json('POST', `/api/products/${encodeURIComponent(SQL)}/categories`, {
          category_ids: [tree.trowels.id],
        }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a 256-character handle',
      request: () =>
        json('POST', `/api/products/${'h'.repeat(256)}/categories`, {
          category_ids: [tree.trowels.id],
        }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_id',
    },
    {
      name: 'a 10 kB handle',
      request: () =>
        json('POST', `/api/products/${TEN_KB}/categories`, { category_ids: [tree.trowels.id] }),
      status: 414,
      code: 'URI_TOO_LONG',
    },
    {
      name: 'a handle with broken percent-encoding',
      request: () =>
        json('POST', '/api/products/p-00%E0%A4%A/categories', { category_ids: [tree.trowels.id] }),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a handle with a NUL character',
      request: () =>
        json('POST', '/api/products/p-007%00/categories', { category_ids: [tree.trowels.id] }),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'malformed JSON',
      request: () => raw('POST', url, 'application/json', '{"category_ids": [1, 2'),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a plain-text body',
      request: () => raw('POST', url, 'text/plain', '1,2'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'no body at all',
      request: () => ({ method: 'POST', url }),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
  ];

  it.each(cases)('refuses $name', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });

  it('leaves the product unassigned', async () => {
    const response = await test.request('/api/products/p-007');
    expect(response.json().data.categories).toEqual([]);
  });
});

describe('DELETE /api/products/:product_id/categories/:category_id', () => {
  const cases: BadCase[] = [
    ...BAD_PATH_IDS.map(([label, id]): BadCase => ({
      name: `a category id that is ${label}`,
      request: () => ({ method: 'DELETE', url: `/api/products/p-001/categories/${id}` }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_id',
    })),
    {
      name: 'an unknown category',
      request: () => ({ method: 'DELETE', url: '/api/products/p-001/categories/999999' }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a category the product does not have',
      request: () => ({
        method: 'DELETE',
        url: `/api/products/p-001/categories/${tree.trowels.id}`,
      }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a product without categories',
      request: () => ({ method: 'DELETE', url: `/api/products/p-008/categories/${tree.tools.id}` }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'an unknown product',
      request: () => ({
        method: 'DELETE',
        url: `/api/products/no-such-product/categories/${tree.sealants.id}`,
      }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'an SQL-looking handle',
      request: () => ({
        method: 'DELETE',
        url: `/api/products/${encodeURIComponent(SQL)}/categories/${tree.sealants.id}`,
      }),
      status: 404,
      code: 'NOT_FOUND',
    },
    {
      name: 'a 256-character handle',
      request: () => ({
        method: 'DELETE',
        url: `/api/products/${'h'.repeat(256)}/categories/${tree.sealants.id}`,
      }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_id',
    },
    {
      name: 'a 10 kB handle',
      request: () => ({
        method: 'DELETE',
        url: `/api/products/${TEN_KB}/categories/${tree.sealants.id}`,
      }),
      status: 414,
      code: 'URI_TOO_LONG',
    },
  ];

  it.each(cases)('refuses $name', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });
});

describe.each(['assign', 'remove'] as const)('POST /api/bulk/%s', (operation) => {
  const url = `/api/bulk/${operation}`;
  const categories = () => [tree.trowels.id];
  const products = ['p-001', 'p-002'];
  const cases: BadCase[] = [
    {
      // Since bulk by filter (issue 13) the products are named by product_ids or a filter.
      name: 'neither product_ids nor a filter',
      request: () => json('POST', url, { category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'filter',
    },
    {
      name: 'both product_ids and a filter',
      request: () =>
        json('POST', url, { product_ids: products, filter: {}, category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'filter',
    },
    {
      name: 'missing category_ids',
      request: () => json('POST', url, { product_ids: products }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'an empty body object',
      request: () => json('POST', url, {}),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'empty product_ids',
      request: () => json('POST', url, { product_ids: [], category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids',
    },
    {
      name: 'empty category_ids',
      request: () => json('POST', url, { product_ids: products, category_ids: [] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'more products than BULK_MAX_PRODUCTS',
      request: () =>
        json('POST', url, { product_ids: handles.slice(0, 6), category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids',
    },
    {
      name: '51 category ids',
      request: () =>
        json('POST', url, {
          product_ids: products,
          category_ids: Array.from({ length: 51 }, (_, i) => i + 1),
        }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'duplicate product ids',
      request: () =>
        json('POST', url, { product_ids: ['p-001', 'p-001'], category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids',
    },
    {
      name: 'duplicate category ids',
      request: () =>
        json('POST', url, {
          product_ids: products,
          category_ids: [tree.trowels.id, tree.trowels.id],
        }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids',
    },
    {
      name: 'a string instead of a product list',
      request: () => json('POST', url, { product_ids: 'p-001', category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids',
    },
    {
      name: 'a number as a product id',
      request: () => json('POST', url, { product_ids: [1], category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids.0',
    },
    {
      name: 'an empty product id',
      request: () => json('POST', url, { product_ids: [''], category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids.0',
    },
    {
      name: 'a 10 kB product id',
      request: () => json('POST', url, { product_ids: [TEN_KB], category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids.0',
    },
    {
      name: 'a product id with a NUL character',
      request: () =>
        json('POST', url, { product_ids: ['p-001\u0000'], category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'a null product id',
      request: () => json('POST', url, { product_ids: [null], category_ids: categories() }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'product_ids.0',
    },
    ...BAD_NUMBERS.map(([label, value]): BadCase => ({
      name: `a category id that is ${label}`,
      request: () => json('POST', url, { product_ids: products, category_ids: [value] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'category_ids.0',
    })),
    {
      name: 'an unknown extra field',
      request: () =>
        json('POST', url, { product_ids: products, category_ids: categories(), dryrun: true }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'dryrun',
    },
    {
      name: 'an array body',
      request: () => json('POST', url, [{ product_ids: products, category_ids: categories() }]),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'no body at all',
      request: () => ({ method: 'POST', url }),
      status: 422,
      code: 'VALIDATION_ERROR',
    },
    {
      name: 'malformed JSON',
      request: () =>
        raw('POST', url, 'application/json', '{"product_ids": ["p-001"], "category_ids": [1]]'),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'an empty JSON body',
      request: () => raw('POST', url, 'application/json', ''),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a CSV body',
      request: () => raw('POST', url, 'text/csv', 'product_id,category_id\np-001,1\n'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a form-encoded body',
      request: () =>
        raw('POST', url, 'application/x-www-form-urlencoded', 'product_ids=p-001&category_ids=1'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
  ];

  it.each(cases)('refuses $name', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });

  it('reports unknown products and categories per item and changes nothing', async () => {
    const before = await snapshot(test.db);
    const unknownProducts = ['no-such-product', SQL, 'P-001'];
    const response = await test.request(
      json('POST', url, { product_ids: unknownProducts, category_ids: [999_998, MAX_INT] }),
    );
    expect(response.statusCode, response.body).toBe(200);
    const { results, summary } = response.json().data;
    expect(results.map((item: { product_id: string }) => item.product_id)).toEqual(unknownProducts);
    for (const item of results) {
      expect(item.errors).toEqual([{ category_id: null, reason: expect.any(String) }]);
    }
    expect(summary.products_processed).toBe(3);
    expect(summary.total_errors).toBe(3);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('reports unknown categories for a known product and changes nothing', async () => {
    const before = await snapshot(test.db);
    const response = await test.request(
      json('POST', url, { product_ids: ['p-008'], category_ids: [999_997, 999_996] }),
    );
    expect(response.statusCode, response.body).toBe(200);
    const [item] = response.json().data.results;
    expect(item.errors.map((error: { category_id: number }) => error.category_id).sort()).toEqual([
      999_996, 999_997,
    ]);
    expect(response.json().data.summary.total_errors).toBe(2);
    expect(await snapshot(test.db)).toEqual(before);
  });
});

describe('POST /api/import/products', () => {
  const url = '/api/import/products';
  const csv = (text: string) => raw('POST', url, 'text/csv', text);
  const goodCsv = shopifyCsv([{ handle: 'p-001', title: 'A changed title' }]);
  const cases: BadCase[] = [
    {
      name: 'a CSV without Handle and Title columns',
      request: csv('Name,Price\nWidget,9.99\n'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a CSV without a Title column',
      request: csv('Handle,Vendor\np-001,Acme\nnew-product,Acme\n'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a CSV without a Handle column',
      request: csv('Title,Vendor\nNew product,Acme\n'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'columns that differ only in case',
      request: csv('handle,title\nnew-product,New product\n'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'an SQL script sent as CSV',
      request: csv(`${SQL}\nselect 1;\n`),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'binary data',
      request: raw(
        'POST',
        url,
        'application/octet-stream',
        Buffer.from([
          0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x22, 0x49, 0x48,
          0x44, 0x52,
        ]),
      ),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'an unterminated quote after good rows',
      request: csv(`${goodCsv}"new-product,"Unterminated\n`),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'an XML body',
      request: raw('POST', url, 'application/xml', '<products/>'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a form-encoded body',
      request: raw('POST', url, 'application/x-www-form-urlencoded', 'Handle=p-001&Title=x'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'malformed JSON',
      request: raw('POST', url, 'application/json', '{"Handle":'),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a JSON body instead of a file',
      request: json('POST', url, [{ Handle: 'p-001', Title: 'x' }]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'no body at all',
      request: { method: 'POST', url },
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'an empty body',
      request: csv(''),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a JSON document sent as CSV',
      request: csv('{"Handle": "p-001", "Title": "x"}'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a multipart JSON file',
      request: multipart(url, [
        {
          name: 'file',
          filename: 'categories.json',
          contentType: 'application/json',
          content: '[{"category_name":"A","category_level":"Level 1 Category"}]',
        },
      ]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a multipart body without a boundary',
      request: raw('POST', url, 'multipart/form-data', 'not multipart'),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a multipart body cut off inside the file',
      request: raw(
        'POST',
        url,
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nHandle,Title\nnew-product,New',
      ),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a multipart upload without a file',
      request: multipart(url, [{ name: 'note', content: 'no file here' }]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a multipart CSV without Handle and Title',
      request: multipart(url, [
        {
          name: 'file',
          filename: 'export.csv',
          contentType: 'text/csv',
          content: 'Name,Price\nWidget,9.99\n',
        },
      ]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
  ];

  it.each(cases)('refuses $name as a whole', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });

  it('leaves the titles as they were', async () => {
    const response = await test.request('/api/products/p-001');
    expect(response.json().data.product_name).toBe('Product 001');
  });
});

describe('POST /api/import/categories', () => {
  const url = '/api/import/categories';
  const cases: BadCase[] = [
    {
      name: 'a JSON object that is not a list',
      request: json('POST', url, { name: 'Trade Tools', level: 1 }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'an object whose categories is not a list',
      request: json('POST', url, { categories: 'Trade Tools' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a JSON string',
      request: json('POST', url, 'Trade Tools'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a JSON number',
      request: raw('POST', url, 'application/json', '42'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'JSON null',
      request: raw('POST', url, 'application/json', 'null'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a list of numbers',
      request: json('POST', url, [1, 2, 3]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a list of strings',
      request: json('POST', url, ['Trade Tools', SQL]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a list of product rows',
      request: json('POST', url, [{ Handle: 'p-001', Title: 'x' }]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'malformed JSON',
      request: raw('POST', url, 'application/json', '[{"category_name": "A", '),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'an empty JSON body',
      request: raw('POST', url, 'application/json', ''),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'an XML body',
      request: raw('POST', url, 'application/xml', '<categories/>'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a form-encoded body',
      request: raw('POST', url, 'application/x-www-form-urlencoded', 'category_name=A'),
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'a CSV body',
      request: raw('POST', url, 'text/csv', 'category_name,category_level\nA,Level 1 Category\n'),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a multipart body without a boundary',
      request: raw('POST', url, 'multipart/form-data', 'not multipart'),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a multipart body cut off inside the file',
      request: raw(
        'POST',
        url,
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="file"; filename="a.json"\r\n\r\n[1',
      ),
      status: 400,
      code: 'BAD_REQUEST',
    },
    {
      name: 'a multipart upload without a file',
      request: multipart(url, [{ name: 'note', content: 'nothing' }]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a multipart file that is not JSON',
      request: multipart(url, [
        {
          name: 'file',
          filename: 'categories.json',
          contentType: 'application/json',
          content: 'category_name,category_level\nA,1\n',
        },
      ]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
    {
      name: 'a multipart JSON file that is not a list',
      request: multipart(url, [
        {
          name: 'file',
          filename: 'categories.json',
          contentType: 'application/json',
          content: '{"hello": "world"}',
        },
      ]),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'file',
    },
  ];

  it.each(cases)('refuses $name as a whole', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });
});

describe('POST /api/webhooks, DELETE /api/webhooks/:id', () => {
  const url = '/api/webhooks';
  const cases: BadCase[] = [
    {
      name: 'an unknown change kind',
      request: json('POST', url, { url: 'https://hooks.example.com/x', kinds: ['no.such'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'kinds',
    },
    {
      name: 'kinds not a list',
      request: json('POST', url, { url: 'https://hooks.example.com/x', kinds: '*' }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'kinds',
    },
    {
      name: 'an SQL-looking URL',
      request: json('POST', url, { url: SQL, kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'a URL of 10 KB',
      request: json('POST', url, { url: `https://hooks.example.com/${TEN_KB}`, kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'a loopback URL (WEBHOOK_ALLOW_PRIVATE is off)',
      request: json('POST', url, { url: 'https://127.0.0.1/hook', kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'the cloud metadata address',
      request: json('POST', url, { url: 'https://169.254.169.254/latest', kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    {
      name: 'a file: URL',
      request: json('POST', url, { url: 'file:///etc/passwd', kinds: ['*'] }),
      status: 422,
      code: 'VALIDATION_ERROR',
      field: 'url',
    },
    ...BAD_PATH_IDS.map(([label, id]): BadCase => ({
      name: `DELETE with ${label} as id`,
      request: { method: 'DELETE', url: `/api/webhooks/${id}` },
      status: 422,
      code: 'VALIDATION_ERROR',
    })),
    {
      name: 'DELETE of an unknown webhook',
      request: { method: 'DELETE', url: '/api/webhooks/424242' },
      status: 404,
      code: 'NOT_FOUND',
    },
  ];

  it.each(cases)('refuses $name', async ({ name: _name, ...badCase }) => {
    await expectRejected(test, badCase);
  });
});

describe('body limits', () => {
  let limited: TestApp;
  let category: { id: number };

  beforeAll(async () => {
    limited = await createTestApp({
      BODY_LIMIT_BYTES: '2048',
      IMPORT_MAX_BYTES: '1024',
      BULK_MAX_PRODUCTS: '5',
    });
    category = await createCategory(limited, { name: 'Trade Tools' });
    const imported = await importProductsCsv(
      limited,
      shopifyCsv([
        { handle: 'p-001', title: 'Product 001' },
        { handle: 'p-002', title: 'Product 002' },
      ]),
    );
    expect(imported.statusCode, imported.body).toBe(200);
    const assigned = await limited.request(
      json('POST', '/api/products/p-001/categories', { category_ids: [category.id] }),
    );
    expect(assigned.statusCode).toBe(201);
  });

  afterAll(async () => {
    if (limited) {
      expect(await invariantViolations(limited.db)).toEqual([]);
      await limited.close();
    }
  });

  const padding = 'x'.repeat(3000);
  const bigCsv = shopifyCsv(
    Array.from({ length: 40 }, (_, index) => ({
      handle: `big-${index}`,
      title: `Big product ${index}`,
    })),
  );

  const unquotedCsv = `Handle,Title\n${Array.from({ length: 300 }, (_, i) => `h-${i},T${i}`).join('\n')}\n`;
  const bigCategoryList = Array.from({ length: 40 }, (_, index) => ({
    category_name: `Big ${index}`,
    category_level: 'Level 1 Category',
    connected_to: null,
  }));

  const cases: BadCase[] = [
    {
      name: 'POST /api/categories over BODY_LIMIT_BYTES',
      request: () => json('POST', '/api/categories', { name: 'Padded', padding }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'PATCH /api/categories/:id over BODY_LIMIT_BYTES',
      request: () => json('PATCH', `/api/categories/${category.id}`, { name: padding }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'POST /api/products/:id/categories over BODY_LIMIT_BYTES',
      request: () =>
        json('POST', '/api/products/p-002/categories', { category_ids: [category.id], padding }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'POST /api/bulk/assign over its limit',
      request: () =>
        json('POST', '/api/bulk/assign', {
          product_ids: ['p-002'],
          category_ids: [category.id],
          padding: padding.repeat(4),
        }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'POST /api/bulk/remove over its limit',
      request: () =>
        json('POST', '/api/bulk/remove', {
          product_ids: ['p-001'],
          category_ids: [category.id],
          padding: padding.repeat(4),
        }),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a CSV import over IMPORT_MAX_BYTES',
      request: () => raw('POST', '/api/import/products', 'text/csv', bigCsv),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      // Cut at the limit, the rows that arrived would parse as a smaller, valid export.
      name: 'a multipart CSV import over IMPORT_MAX_BYTES (unquoted rows)',
      request: () =>
        multipart('/api/import/products', [
          { name: 'file', filename: 'big.csv', contentType: 'text/csv', content: unquotedCsv },
        ]),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a multipart CSV import over IMPORT_MAX_BYTES (quoted rows)',
      request: () =>
        multipart('/api/import/products', [
          { name: 'file', filename: 'big.csv', contentType: 'text/csv', content: bigCsv },
        ]),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a multipart category import over IMPORT_MAX_BYTES',
      request: () =>
        multipart('/api/import/categories', [
          {
            name: 'file',
            filename: 'categories.json',
            contentType: 'application/json',
            content: JSON.stringify(bigCategoryList),
          },
        ]),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
    {
      name: 'a JSON category import over IMPORT_MAX_BYTES',
      request: () => json('POST', '/api/import/categories', bigCategoryList),
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    },
  ];

  it.each(cases)('refuses $name', async ({ name: _name, ...badCase }) => {
    await expectRejected(limited, badCase);
  });

  it('still accepts a body just under the limit', async () => {
    const response = await limited.request(
      json('POST', '/api/categories', { name: 'y'.repeat(100) }),
    );
    expect(response.statusCode, response.body).toBe(201);
  });
});
