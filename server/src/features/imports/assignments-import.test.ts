/**
 * POST /api/import/assignments: export → wipe → import restores the assignment table exactly
 * (checksums), from the app's export and from the Shopify file (metafield column, or tags only);
 * per-line errors with nothing half-applied; a BOM, multipart uploads, separators in names;
 * products the file does not name are left alone.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../db/client.js';
import { seedCatalog } from '../seed/seeder.js';
import { createCategory, createProducts } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

async function assignmentsChecksum(test: TestApp): Promise<string> {
  return (await queryOne<{ hash: string }>(
    test.db,
    sql`select md5(coalesce(string_agg(p.product_id || ':' || pc.category_id, '|'
          order by p.product_id, pc.category_id), '')) as hash
          from product_categories pc join products p on p.id = pc.product_id`,
  ))!.hash;
}

async function assignmentCount(test: TestApp): Promise<number> {
  return (await queryOne<{ n: number }>(
    test.db,
    sql`select count(*)::int as n from product_categories`,
  ))!.n;
}

async function wipeAssignments(test: TestApp) {
  await test.db.execute(sql`delete from product_categories`);
  expect(await assignmentCount(test)).toBe(0);
}

function importAssignments(test: TestApp, csv: string | Buffer) {
  return test.request({
    method: 'POST',
    url: '/api/import/assignments',
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  });
}

function importAssignmentsMultipart(test: TestApp, csv: string) {
  const boundary = 'tmboundary42';
  const body =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n` +
    `Content-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`;
  return test.request({
    method: 'POST',
    url: '/api/import/assignments',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload: body,
  });
}

describe('round trip on a seeded catalog', () => {
  let test: TestApp;
  let original: string;
  beforeAll(async () => {
    test = await createTestApp();
    await seedCatalog(test.database, { products: 600 });
    original = await assignmentsChecksum(test);
    expect(await assignmentCount(test)).toBeGreaterThan(300);
  });
  afterAll(async () => {
    await test.close();
  });

  it('app export → wipe → import reproduces the assignment table (with the default BOM)', async () => {
    const exported = await test.request('/api/export/csv');
    expect(exported.statusCode).toBe(200);
    expect(exported.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    await wipeAssignments(test);
    const response = await importAssignments(test, exported.rawPayload);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    const report = response.json().data;
    expect(report).toMatchObject({ kind: 'assignments', format: 'app', records: 600 });
    expect(report.created + report.updated + report.unchanged + report.rejected_total).toBe(600);
    expect(await assignmentsChecksum(test)).toBe(original);
    expect(await invariantViolations(test.db)).toEqual([]);

    // The same file again changes nothing and records no change set.
    const before = await snapshot(test.db);
    const again = await importAssignments(test, exported.rawPayload);
    expect(again.json().data).toMatchObject({ updated: 0, unchanged: 600 });
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('Shopify export → wipe → import reproduces the assignment table (metafield column)', async () => {
    const exported = await test.request('/api/export/shopify.csv');
    expect(exported.statusCode).toBe(200);
    await wipeAssignments(test);
    const response = await importAssignments(test, exported.body);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    expect(response.json().data).toMatchObject({ format: 'shopify', records: 600 });
    expect(await assignmentsChecksum(test)).toBe(original);
  });

  it('Shopify export without the metafield column → wipe → import from the Tags alone', async () => {
    const exported = await test.request('/api/export/shopify.csv');
    // Read through the tag prefix only: the metafield column dropped from every row.
    const rows = (parse(exported.body) as string[][]).map((row) => row.slice(0, 3));
    expect(rows[0]).toEqual(['Handle', 'Title', 'Tags']);
    await wipeAssignments(test);
    const response = await importAssignments(test, stringify(rows));
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    expect(await assignmentsChecksum(test)).toBe(original);
  });

  it('records one change set of kind import.assignments for a restoring import', async () => {
    const change = await test.request('/api/changes?limit=1');
    expect(change.json().data[0]).toMatchObject({ kind: 'import.assignments' });
  });
});

describe('restoring exactly, and refusing bad files', () => {
  let test: TestApp;
  let tree: Record<string, number>;
  beforeAll(async () => {
    test = await createTestApp();
    const power = await createCategory(test, { name: 'Power > Cordless; Drills' });
    const saws = await createCategory(test, { name: 'Saws, 18% off', parent_id: power.id });
    const tools = await createCategory(test, { name: 'Tools' });
    const cleaners2 = await createCategory(test, { name: 'Cleaners', parent_id: tools.id });
    const care = await createCategory(test, { name: 'Care', parent_id: tools.id });
    const cleaners3 = await createCategory(test, { name: 'Cleaners', parent_id: care.id });
    const unique = await createCategory(test, { name: 'Unique Leaf', parent_id: care.id });
    tree = {
      power: power.id,
      saws: saws.id,
      tools: tools.id,
      cleaners2: cleaners2.id,
      care: care.id,
      cleaners3: cleaners3.id,
      unique: unique.id,
    };
    await createProducts(test, 4);
  });
  afterAll(async () => {
    await test.close();
  });

  async function categoriesOf(handle: string): Promise<number[]> {
    const response = await test.request(`/api/products/${handle}`);
    return (response.json().data.categories as { id: number }[]).map((c) => c.id).sort();
  }

  it('sets each named product to exactly the file, ancestors added; names with separators round-trip', async () => {
    const assign = await test.request({
      method: 'POST',
      url: '/api/products/p-002/categories',
      payload: { category_ids: [tree.cleaners2] },
    });
    expect(assign.statusCode).toBe(201);
    const untouched = await test.request({
      method: 'POST',
      url: '/api/products/p-004/categories',
      payload: { category_ids: [tree.cleaners3] },
    });
    expect(untouched.statusCode).toBe(201);

    const file =
      '\uFEFFproduct_id,product_name,categories\n' +
      'p-001,whatever,Power %3E Cordless%3B Drills > Saws%2C 18%25 off\n' +
      'p-002,x,Tools > Care > Cleaners; Unique Leaf\n' +
      'p-003,x,\n';
    const response = await importAssignmentsMultipart(test, file);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().data).toMatchObject({
      kind: 'assignments',
      records: 3,
      updated: 2,
      unchanged: 1,
      rejected_total: 0,
    });
    expect(await categoriesOf('p-001')).toEqual([tree.power, tree.saws].sort());
    expect(await categoriesOf('p-002')).toEqual(
      [tree.tools, tree.care, tree.cleaners3, tree.unique].sort(),
    );
    expect(await categoriesOf('p-003')).toEqual([]);
    // Not in the file: left alone.
    expect(await categoriesOf('p-004')).toEqual([tree.tools, tree.care, tree.cleaners3].sort());

    // What the app exports for that name reads back the same.
    const exported = await test.request('/api/export/csv?search=p-001');
    expect(exported.body).toContain('Power %3E Cordless%3B Drills > Saws, 18%25 off');
    await test.db.execute(sql`delete from product_categories`);
    const again = await importAssignments(test, exported.rawPayload);
    expect(again.statusCode).toBe(200);
    expect(await categoriesOf('p-001')).toEqual([tree.power, tree.saws].sort());
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('lists every bad line (unknown product, unknown path, ambiguous path, duplicate) and changes nothing', async () => {
    const before = await snapshot(test.db);
    const file =
      'product_id,product_name,categories\n' +
      'p-001,x,Tools\n' +
      'nope,x,Tools\n' +
      'p-002,x,Tools > Nothing Here\n' +
      'p-003,x,Cleaners\n' +
      'p-001,x,Tools\n' +
      'p-004,x,Tools > > Care\n';
    const response = await importAssignments(test, file);
    expect(response.statusCode).toBe(422);
    const body = response.json();
    expect(body).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    const lines = (body.details.rejected as { line: number; reason: string }[]).map((r) => [
      r.line,
      r.reason,
    ]);
    expect(lines).toEqual([
      [3, 'unknown product "nope"'],
      [4, 'unknown category path "Tools > Nothing Here"'],
      [5, expect.stringMatching(/^path "Cleaners" is ambiguous: 2 categories/)],
      [6, 'product "p-001" is already on line 2'],
      [7, 'path "Tools > > Care" has an empty name'],
    ]);
    expect(body.details.rejected_total).toBe(5);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('lists the first 1,000 refused lines by line number, and counts them all', async () => {
    const before = await snapshot(test.db);
    const lines = Array.from({ length: 1200 }, (_, at) => `ghost-${at},x,Tools`);
    // A duplicate at the end is found while reading, the unknown products after reading:
    // both passes' lines come out merged in line order.
    const file = `product_id,product_name,categories\n${lines.join('\n')}\nghost-0,x,Tools\n`;
    const response = await importAssignments(test, file);
    expect(response.statusCode).toBe(422);
    const details = response.json().details;
    expect(details.rejected_total).toBe(1201);
    expect(details.rejected).toHaveLength(1000);
    expect(details.rejected[0]).toEqual({ line: 2, reason: 'unknown product "ghost-0"' });
    expect(details.rejected.at(-1).line).toBe(1001);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('refuses a file that is neither format, and a Shopify file without a categories column', async () => {
    for (const file of ['Name,Price\nx,1\n', 'Handle,Title\nx,X\n']) {
      const response = await importAssignments(test, file);
      expect(response.statusCode, file).toBe(422);
      expect(response.json().details.field_errors[0].field).toBe('file');
    }
  });

  it('refuses a plain Shopify export without any category tag (it would clear every product)', async () => {
    const before = await snapshot(test.db);
    const response = await importAssignments(
      test,
      'Handle,Title,Current Tags\np-001,P1,"eco, sale"\np-004,P4,\n',
    );
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toContain('no tag in its Current Tags column starts with');
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('reads Shopify exports with variant rows: only the first row of a handle counts', async () => {
    const file =
      'Handle,Title,Tags,Option1 Value\n' +
      'p-003,P3,"eco, Category: Tools > Care",S\n' +
      'p-003,,,M\n' +
      'p-003,,,L\n';
    const response = await importAssignments(test, file);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().data).toMatchObject({ format: 'shopify', records: 1, updated: 1 });
    expect(await categoriesOf('p-003')).toEqual([tree.tools, tree.care].sort());
  });
});
