/**
 * Issue 9, M4 / L1 / L3 / L6: imports are bounded (rejections capped and never echoing large
 * input, the JSON category list limited in bytes and entries), every stored product field has a
 * limit enforced per row and by the database, and no input makes either import answer 500.
 */
import { randomBytes } from 'node:crypto';
import {
  CATEGORY_IMPORT_MAX_ENTRIES,
  IMPORT_ECHO_MAX_LENGTH,
  IMPORT_REJECTIONS_LISTED,
  PRODUCT_LIMITS,
} from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { importProductsCsv } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
beforeAll(async () => {
  test = await createTestApp();
});
afterAll(async () => {
  await test.close();
});

const csvCell = (value: string) => `"${value.replace(/"/g, '""')}"`;
const csv = (header: string[], rows: string[][]) =>
  `${[header, ...rows].map((row) => row.map(csvCell).join(',')).join('\n')}\n`;

/** Text that PostgreSQL cannot compress: 3-byte characters picked at random. */
const incompressible = (characters: number) =>
  Array.from(
    randomBytes(characters * 2)
      .toString('hex')
      .match(/..../g)!
      .slice(0, characters),
  )
    .map((hex) => String.fromCodePoint(0x4e00 + (parseInt(hex, 16) % 20_000)))
    .join('');

async function storedHandles(prefix: string) {
  const rows = await queryRows<{ product_id: string }>(
    test.db,
    sql`select product_id from products where product_id like ${`${prefix}%`} order by product_id`,
  );
  return rows.map((row) => row.product_id);
}

function importCategoriesRaw(body: string) {
  return test.request({
    method: 'POST',
    url: '/api/import/categories',
    headers: { 'content-type': 'application/json' },
    payload: body,
  });
}

describe('product import: bounded report', () => {
  it('lists the first 1,000 rejections and counts them all', async () => {
    const rows = Array.from({ length: IMPORT_REJECTIONS_LISTED + 500 }, (_, i) => [
      `capped-${i}`,
      `Capped ${i}`,
      'published',
    ]);
    const response = await importProductsCsv(test, csv(['Handle', 'Title', 'Status'], rows));
    expect(response.statusCode).toBe(200);
    const report = response.json().data;
    expect(report.rejected).toHaveLength(IMPORT_REJECTIONS_LISTED);
    expect(report.rejected_total).toBe(IMPORT_REJECTIONS_LISTED + 500);
    expect(report.rejected[0].line).toBe(2);
    expect(report.rejected.at(-1).line).toBe(IMPORT_REJECTIONS_LISTED + 1);
    expect(report.records).toBe(0);
  });

  it('never echoes a large value: a 100,000-character status is quoted to 100 characters', async () => {
    const huge = `${'S'.repeat(50_000)}${'\u0001'.repeat(50_000)}`;
    const response = await importProductsCsv(
      test,
      csv(['Handle', 'Title', 'Status'], [['echo-1', 'Echo', huge]]),
    );
    expect(response.statusCode).toBe(200);
    const [rejection] = response.json().data.rejected;
    expect(rejection.reason).toBe(
      `Status "${'S'.repeat(IMPORT_ECHO_MAX_LENGTH)}…" is not one of active, draft, archived`,
    );
    expect(response.body.length).toBeLessThan(1000);
  });
});

describe('product import: field limits, per row', () => {
  const header = ['Handle', 'Title', 'Vendor', 'Type', 'Variant SKU', 'Image Src', 'Current Tags'];
  const row = (handle: string, fields: Partial<Record<string, string>> = {}) => [
    handle,
    fields.title ?? `Title of ${handle}`,
    fields.vendor ?? 'Acme',
    fields.type ?? 'Sealant',
    fields.sku ?? `SKU-${handle}`,
    fields.image ?? 'https://cdn.example.com/a.png',
    fields.tags ?? 'a, b',
  ];

  it('rejects each over-limit field with its name and limit, stores the other rows', async () => {
    const before = await storedHandles('limit-');
    expect(before).toEqual([]);
    const longUrl = `https://cdn.example.com/${'x'.repeat(PRODUCT_LIMITS.imageUrl)}`;
    const response = await importProductsCsv(
      test,
      csv(header, [
        row('limit-ok-1'),
        // The vendor that made the old import fail with 500 (btree index row size).
        row('limit-vendor-btree', { vendor: incompressible(3000) }),
        row('limit-vendor', { vendor: 'v'.repeat(PRODUCT_LIMITS.vendor + 1) }),
        row('limit-type', { type: 't'.repeat(PRODUCT_LIMITS.type + 1) }),
        row('limit-sku', { sku: 's'.repeat(PRODUCT_LIMITS.sku + 1) }),
        row('limit-title', { title: 'T'.repeat(PRODUCT_LIMITS.title + 1) }),
        row('limit-image-long', { image: longUrl }),
        row('limit-image-http', { image: 'http://cdn.example.com/a.png' }),
        row('limit-image-js', { image: 'javascript:alert(1)' }),
        row('limit-tag-count', {
          tags: Array.from({ length: PRODUCT_LIMITS.tagCount + 1 }, (_, i) => `t${i}`).join(','),
        }),
        row('limit-tag-length', { tags: `ok, ${'g'.repeat(PRODUCT_LIMITS.tagLength + 1)}` }),
        row('limit-ok-2'),
      ]),
    );
    expect(response.statusCode, response.body).toBe(200);
    const report = response.json().data;
    expect(report).toMatchObject({ records: 2, created: 2, rejected_total: 10 });
    expect(report.rejected).toEqual([
      { line: 3, reason: 'Vendor is longer than 255 characters' },
      { line: 4, reason: 'Vendor is longer than 255 characters' },
      { line: 5, reason: 'Type is longer than 255 characters' },
      { line: 6, reason: 'Variant SKU is longer than 255 characters' },
      { line: 7, reason: 'Title is longer than 255 characters' },
      { line: 8, reason: 'Image Src is longer than 2048 characters' },
      { line: 9, reason: 'Image Src "http://cdn.example.com/a.png" is not an https: URL' },
      { line: 10, reason: 'Image Src "javascript:alert(1)" is not an https: URL' },
      { line: 11, reason: 'Tags has 251 tags, more than 250' },
      { line: 12, reason: 'Tags has a tag longer than 255 characters' },
    ]);
    expect(await storedHandles('limit-')).toEqual(['limit-ok-1', 'limit-ok-2']);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('checks what a variant row fills in too (a later row may supply the image)', async () => {
    const response = await importProductsCsv(
      test,
      csv(header, [
        row('variant-image', { image: '' }),
        ['variant-image', '', '', '', '', 'http://cdn.example.com/b.png', ''],
      ]),
    );
    expect(response.json().data.rejected).toEqual([
      { line: 2, reason: 'Image Src "http://cdn.example.com/b.png" is not an https: URL' },
    ]);
    expect(await storedHandles('variant-image')).toEqual([]);
  });

  it('stores values at the limits, in 4-byte characters, within the indexes', async () => {
    const emoji = (n: number) => '😀'.repeat(n);
    const response = await importProductsCsv(
      test,
      csv(header, [
        row('at-limit', {
          title: emoji(PRODUCT_LIMITS.title),
          vendor: emoji(PRODUCT_LIMITS.vendor),
          type: emoji(PRODUCT_LIMITS.type),
          sku: emoji(PRODUCT_LIMITS.sku),
          image: `https://cdn.example.com/${'i'.repeat(PRODUCT_LIMITS.imageUrl - 24)}`,
          tags: Array.from(
            { length: PRODUCT_LIMITS.tagCount },
            (_, i) => `${i}${'g'.repeat(PRODUCT_LIMITS.tagLength - String(i).length)}`,
          ).join(','),
        }),
      ]),
    );
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().data).toMatchObject({ created: 1, rejected_total: 0 });
    const stored = (await test.request('/api/products/at-limit')).json().data;
    expect([...stored.vendor]).toHaveLength(PRODUCT_LIMITS.vendor);
    expect(stored.image_url).toHaveLength(PRODUCT_LIMITS.imageUrl);
    expect(stored.tags).toHaveLength(PRODUCT_LIMITS.tagCount);
  });

  it('ends a file whose row exceeds 1 MiB with 422 (the parser holds a row), not 500', async () => {
    const before = await snapshot(test.db);
    const response = await importProductsCsv(
      test,
      csv(header, [row('huge-row-ok'), row('huge-row', { vendor: 'v'.repeat(1_100_000) })]),
    );
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/longer than 1048576 characters/);
    expect(await snapshot(test.db)).toEqual(before);
  });
});

describe('the database holds the field limits (CHECK constraints)', () => {
  const insert = (columns: Record<string, unknown>) =>
    test.db.execute(
      sql`insert into products (product_id, product_name, vendor, product_type, sku, image_url, tags)
          values (${`direct-${Math.random()}`}, 'Direct', ${columns.vendor ?? null},
                  ${columns.type ?? null}, ${columns.sku ?? null}, ${columns.image ?? null},
                  ${columns.tags ?? '{}'}::text[])`,
    );

  /** Fails unless `write` is refused by the named constraint (drizzle wraps the driver's error). */
  const refusedBy = async (write: Promise<unknown>, constraint: string) => {
    const error = await write.then(
      () => undefined,
      (failure: Error & { cause?: Error }) => failure,
    );
    expect(error, `expected ${constraint} to refuse the write`).toBeDefined();
    expect(`${error!.cause?.message ?? ''} ${error!.message}`).toContain(constraint);
  };

  it('refuses over-long or non-https values written directly in SQL', async () => {
    await refusedBy(insert({ vendor: 'v'.repeat(256) }), 'products_vendor_length');
    await refusedBy(insert({ type: 't'.repeat(256) }), 'products_product_type_length');
    await refusedBy(insert({ sku: 's'.repeat(256) }), 'products_sku_length');
    await refusedBy(insert({ image: 'http://cdn.example.com/a.png' }), 'products_image_url_valid');
    await refusedBy(insert({ image: `https://${'x'.repeat(2041)}` }), 'products_image_url_valid');
    const tags = (values: string[]) => `{${values.map((tag) => `"${tag}"`).join(',')}}`;
    await refusedBy(
      insert({ tags: tags(Array.from({ length: 251 }, (_, i) => `t${i}`)) }),
      'products_tags_count',
    );
    await refusedBy(insert({ tags: tags(['ok', 'g'.repeat(256)]) }), 'products_tags_length');
    await refusedBy(
      test.db.execute(
        sql`insert into products (product_id, product_name) values ('direct-title', ${'T'.repeat(256)})`,
      ),
      'products_product_name_length',
    );
    // At the limits, the same statement stores the row.
    await insert({
      vendor: 'v'.repeat(255),
      image: 'HTTPS://cdn.example.com/a.png',
      tags: tags(['g'.repeat(255)]),
    });
  });
});

describe('category import: bounded, no 500 from any entry', () => {
  it('rejects a category_level nested 10,000 deep, and other non-scalars, per entry', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    let deepObject = '1';
    for (let i = 0; i < 10_000; i += 1) deepObject = `{"a":${deepObject}}`;
    const body = `[
      {"category_name": "Nested Ok", "category_level": "Level 1 Category", "connected_to": null},
      {"category_name": "Nested Deep", "category_level": ${deep}, "connected_to": null},
      {"category_name": "Nested Object", "category_level": ${deepObject}, "connected_to": null},
      {"category_name": ${deep}, "category_level": 1, "connected_to": null},
      {"category_name": "Nested Parent", "category_level": 2, "connected_to": ${deepObject}}
    ]`;
    const response = await importCategoriesRaw(body);
    expect(response.statusCode, response.body.slice(0, 500)).toBe(200);
    const report = response.json().data;
    expect(report).toMatchObject({ records: 5, created: 1, rejected_total: 4 });
    expect(report.rejected).toEqual([
      { line: 2, reason: 'category_level an array is not Level 1, 2 or 3' },
      { line: 3, reason: 'category_level an object is not Level 1, 2 or 3' },
      { line: 4, reason: 'category_name is an array, not a string' },
      { line: 5, reason: 'connected_to must be a category name or null' },
    ]);
  });

  it('quotes a long unknown parent to 100 characters', async () => {
    const response = await importCategoriesRaw(
      JSON.stringify([
        { category_name: 'Orphan', category_level: 2, connected_to: 'P'.repeat(100_000) },
      ]),
    );
    expect(response.statusCode).toBe(200);
    expect(response.json().data.rejected).toEqual([
      { line: 1, reason: `connected_to "${'P'.repeat(100)}…" is not a Level 1 category` },
    ]);
  });

  it('refuses a JSON body over CATEGORY_IMPORT_MAX_BYTES (5 MiB) with a 413 envelope', async () => {
    const entry = JSON.stringify({
      category_name: 'x'.repeat(90),
      category_level: 'Level 1 Category',
    });
    const body = `[${Array.from({ length: Math.ceil((5 * 1_048_576) / entry.length) + 10 }, () => entry).join(',')}]`;
    expect(body.length).toBeGreaterThan(5 * 1_048_576);
    const response = await importCategoriesRaw(body);
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });

    const boundary = '----limit';
    const multipart = await test.request({
      method: 'POST',
      url: '/api/import/categories',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.json"\r\nContent-Type: application/json\r\n\r\n${body}\r\n--${boundary}--\r\n`,
    });
    expect(multipart.statusCode).toBe(413);
    expect(multipart.json()).toMatchObject({ success: false, code: 'PAYLOAD_TOO_LARGE' });
  });

  it(`refuses a list of more than ${CATEGORY_IMPORT_MAX_ENTRIES} entries as a whole (422)`, async () => {
    const before = await snapshot(test.db);
    const entries = Array.from({ length: CATEGORY_IMPORT_MAX_ENTRIES + 1 }, (_, i) => ({
      category_name: `E${i}`,
      category_level: 1,
    }));
    const response = await importCategoriesRaw(JSON.stringify(entries));
    expect(response.statusCode).toBe(422);
    expect(response.json().error).toMatch(/more than the 50000 one import takes/);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('places thousands of entries under their parents by name (indexed, not scanned)', async () => {
    const children = 1000;
    const entries = [
      { category_name: 'Many Parent', category_level: 'Level 1 Category', connected_to: null },
      { category_name: 'Many Other', category_level: 'Level 1 Category', connected_to: null },
      ...Array.from({ length: children }, (_, i) => ({
        category_name: `Many Child ${i}`,
        category_level: 'Level 2 Category',
        connected_to: i % 2 === 0 ? '  many   PARENT ' : 'Many Other',
      })),
      { category_name: 'Many Leaf', category_level: 3, connected_to: 'many child 0' },
    ];
    const response = await importCategoriesRaw(JSON.stringify(entries));
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ created: children + 3, rejected_total: 0 });
    const categories: { name: string; parent_id: number | null; id: number }[] = (
      await test.request('/api/categories?level=2&search=many child')
    ).json().data;
    const parents = (await test.request('/api/categories?level=1&search=many')).json().data as {
      id: number;
      name: string;
    }[];
    const parentId = parents.find((parent) => parent.name === 'Many Parent')!.id;
    expect(categories.filter((category) => category.parent_id === parentId)).toHaveLength(
      children / 2,
    );
    // A second run renames by case only: the index keeps finding the renamed rows.
    const renamed = entries.map((entry) =>
      entry.category_name === 'Many Child 0' ? { ...entry, category_name: 'MANY CHILD 0' } : entry,
    );
    const again = (await importCategoriesRaw(JSON.stringify(renamed))).json().data;
    expect(again).toMatchObject({ created: 0, updated: 1, unchanged: children + 2 });
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});
