/**
 * The product description: Shopify's Body (HTML) stored as plain text at import, returned by
 * GET /api/products/{product_id} (and not by the list).
 */
import { readFile } from 'node:fs/promises';
import { stringify } from 'csv-stringify/sync';
import { PRODUCT_LIMITS } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import {
  hasSharedData,
  importProductsCsv,
  SHARED_DATA_SKIP_MESSAGE,
  sharedDataPath,
} from '../../../test/helpers/fixtures.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';
import { descriptionText } from './description-text.js';

const csvOf = (rows: string[][], header = ['Handle', 'Title', 'Body (HTML)']) =>
  stringify([header, ...rows]);

async function detail(test: TestApp, handle: string) {
  const response = await test.request(`/api/products/${encodeURIComponent(handle)}`);
  expect(response.statusCode).toBe(200);
  return response.json().data as { description: string | null };
}

describe('descriptionText', () => {
  it('keeps the text, decodes entities, separates blocks and drops scripts and styles', () => {
    const html =
      '<p>Flexible&nbsp;sealant &amp; adhesive&#8482;</p><ul><li>Bonds <b>glass</b></li><li>UV&#x20;stable</li></ul>' +
      '<script>alert("x")</script><style>p{color:red}</style><br>Size: 300&nbsp;ml &lt;tube&gt;';
    expect(descriptionText(html)).toBe(
      'Flexible sealant & adhesive™ Bonds glass UV stable Size: 300 ml <tube>',
    );
  });

  it('copes with broken and hostile markup without keeping any of it', () => {
    expect(descriptionText('<div><p>Open <i>tags')).toBe('Open tags');
    expect(descriptionText('<img src=x onerror="alert(1)">Text<!-- hidden -->')).toBe('Text');
    expect(descriptionText('<SCRIPT type="text/javascript">var a = "<p>";</SCRIPT>Kept')).toBe(
      'Kept',
    );
    expect(descriptionText('<p> </p>&nbsp;\n\t')).toBeNull();
    expect(descriptionText('')).toBeNull();
    expect(descriptionText(null)).toBeNull();
    expect(descriptionText('a\u0001b\r\nc')).toBe('a b c');
  });

  it('cuts at the limit, at a word boundary, with an ellipsis, counting code points', () => {
    const long = `<p>${'word '.repeat(1000)}</p>`;
    const text = descriptionText(long)!;
    expect(Array.from(text).length).toBeLessThanOrEqual(PRODUCT_LIMITS.description);
    expect(text.endsWith('word…')).toBe(true);
    const emoji = descriptionText('😀'.repeat(3000))!;
    expect(Array.from(emoji)).toHaveLength(PRODUCT_LIMITS.description);
    expect(descriptionText('x'.repeat(PRODUCT_LIMITS.description))).toHaveLength(
      PRODUCT_LIMITS.description,
    );
  });
});

describe('description at import', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test.close();
  });

  it('stores the clean text, returns it on the product and not in the list', async () => {
    const csv = csvOf([
      [
        'sealant',
        'Sealant',
        '<h2>Silicone&nbsp;Sealant</h2><p>For <em>wet</em> areas &amp; glass.</p><script>x()</script>',
      ],
      ['plain', 'Plain', ''],
      ['plain', 'nan', '<p>variant row: ignored</p>'],
      ['long', 'Long', `<p>${'x'.repeat(5000)}</p>`],
    ]);
    const report = (await importProductsCsv(test, csv)).json().data;
    expect(report).toMatchObject({ created: 3, rejected: [] });
    expect((await detail(test, 'sealant')).description).toBe(
      'Silicone Sealant For wet areas & glass.',
    );
    expect((await detail(test, 'plain')).description).toBeNull();
    const long = (await detail(test, 'long')).description!;
    expect(long).toHaveLength(PRODUCT_LIMITS.description);
    expect(long.endsWith('…')).toBe(true);

    const list = (await test.request('/api/products?limit=10')).json().data as object[];
    expect(list.length).toBe(3);
    for (const row of list) expect(row).not.toHaveProperty('description');
  });

  it('a re-import updates the description; a file without the column leaves it alone', async () => {
    let report = (
      await importProductsCsv(test, csvOf([['sealant', 'Sealant', '<p>New text</p>']]))
    ).json().data;
    expect(report).toMatchObject({ updated: 1 });
    expect((await detail(test, 'sealant')).description).toBe('New text');

    report = (
      await importProductsCsv(test, csvOf([['sealant', 'Sealant', '<p>New text</p>']]))
    ).json().data;
    expect(report).toMatchObject({ updated: 0, unchanged: 1 });

    report = (
      await importProductsCsv(test, csvOf([['sealant', 'Sealant']], ['Handle', 'Title']))
    ).json().data;
    expect(report).toMatchObject({ updated: 0 });
    expect((await detail(test, 'sealant')).description).toBe('New text');

    await importProductsCsv(test, csvOf([['sealant', 'Sealant', '']]));
    expect((await detail(test, 'sealant')).description).toBeNull();
  });

  it('the database refuses a description over the limit', async () => {
    const error = await test.db
      .execute(
        sql`update products set description = repeat('x', ${PRODUCT_LIMITS.description + 1}) where product_id = 'plain'`,
      )
      .then(
        () => undefined,
        (failure: Error & { cause?: Error }) => failure,
      );
    expect(String(error?.cause?.message ?? error?.message)).toMatch(/products_description_length/);
  });
});

if (!hasSharedData) console.warn(SHARED_DATA_SKIP_MESSAGE);

describe.skipIf(!hasSharedData)('descriptions of the real sample export (../shared/data)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test.close();
  });

  it('gives most products a non-empty plain-text description', async () => {
    const csv = await readFile(sharedDataPath('shopify-products.csv'));
    const report = (await importProductsCsv(test, csv)).json().data;
    expect(report.created).toBe(422);
    const [row] = await queryRows<{ described: number; markup: number; longest: number }>(
      test.db,
      sql`select count(*) filter (where description <> '')::int as described,
                 count(*) filter (where description ~ '<(p|div|br|span|strong|li)[ >/]|&(amp|nbsp|lt|gt);')::int as markup,
                 coalesce(max(char_length(description)), 0)::int as longest
            from products`,
    );
    expect(row!.described).toBeGreaterThan(422 * 0.8);
    expect(row!.markup).toBe(0);
    expect(row!.longest).toBeLessThanOrEqual(PRODUCT_LIMITS.description);
  });
});
