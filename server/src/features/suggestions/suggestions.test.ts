/**
 * Category suggestions on a small hand-made catalog where one signal decides each case: similar
 * names, the same Shopify Type, the same vendor. Also: reasons, own categories left out, fresh
 * after an assignment, bad input, POST /api/suggestions, and accepting (preview, apply as one
 * change set, a product categorised meanwhile left alone).
 */
import type {
  AcceptSuggestions,
  BulkSuggestions,
  ErrorEnvelope,
  ProductSuggestions,
} from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { createCategory, importProductsCsv } from '../../../test/helpers/fixtures.js';
import { createTestApp, snapshot, type TestApp } from '../../../test/helpers/test-app.js';

let test: TestApp;
const ids: Record<string, number> = {};

// [handle, title, vendor, type]
const PRODUCTS: [string, string, string, string][] = [
  // Similar names, in Silicone Sealants (nothing else in common).
  ['s1', 'Clear Silicone Caulk 300ml', 'V1', ''],
  ['s2', 'Clear Silicone Caulk 310ml', 'V2', ''],
  ['s3', 'Clear Silicone Caulk 280ml', 'V3', ''],
  ['name-target', 'Clear Silicone Caulk 600ml', 'V4', ''],
  // The same Type "Applicator", dissimilar names, in Caulking Guns.
  ['t1', 'Alpha Pro', 'V5', 'Applicator'],
  ['t2', 'Bravo Max', 'V6', 'Applicator'],
  ['t3', 'Zulu Kit', 'V7', 'Applicator'],
  ['type-target', 'Quebec Unit', 'V8', 'Applicator'],
  // The same vendor, dissimilar names, no Type, in Acrylic Sealants.
  ['v1', 'Foxtrot Tube', 'Adheseal', ''],
  ['v2', 'Golf Pail', 'Adheseal', ''],
  ['v3', 'Hotel Jar', 'Adheseal', ''],
  ['vendor-target', 'Kilo Box', 'Adheseal', ''],
  // Nothing known about these yet.
  ['lonely', 'Mike Widget', 'Nobody', ''],
  ['lonely-peer', 'November Gizmo', 'Nobody', ''],
];

async function suggestions(handle: string, query = ''): Promise<ProductSuggestions> {
  const response = await test.request(`/api/products/${handle}/suggestions${query}`);
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ data: ProductSuggestions }>().data;
}

async function assign(handle: string, categoryId: number) {
  const response = await test.request({
    method: 'POST',
    url: `/api/products/${handle}/categories`,
    payload: { category_ids: [categoryId] },
  });
  expect(response.statusCode, response.body).toBe(201);
}

beforeAll(async () => {
  test = await createTestApp();
  const building = await createCategory(test, { name: 'Building' });
  const sealants = await createCategory(test, { name: 'Sealants', parent_id: building.id });
  const tools = await createCategory(test, { name: 'Tools', parent_id: building.id });
  for (const [key, name, parent] of [
    ['silicone', 'Silicone Sealants', sealants.id],
    ['acrylic', 'Acrylic Sealants', sealants.id],
    ['guns', 'Caulking Guns', tools.id],
    ['trowels', 'Trowels', tools.id],
  ] as const) {
    ids[key] = (await createCategory(test, { name, parent_id: parent })).id;
  }
  ids.building = building.id;
  ids.sealants = sealants.id;
  const csv = `Handle,Title,Vendor,Type,Status\n${PRODUCTS.map((row) => `${row.join(',')},active`).join('\n')}\n`;
  const imported = await importProductsCsv(test, csv);
  expect(imported.statusCode, imported.body).toBe(200);
  for (const handle of ['s1', 's2', 's3']) await assign(handle, ids.silicone!);
  for (const handle of ['t1', 't2', 't3']) await assign(handle, ids.guns!);
  for (const handle of ['v1', 'v2', 'v3']) await assign(handle, ids.acrylic!);
});
afterAll(async () => {
  await test?.close();
});

describe('GET /api/products/{product_id}/suggestions', () => {
  it('similar names decide: the category of the products named like it, with its path', async () => {
    const { product_id, suggestions: list } = await suggestions('name-target');
    expect(product_id).toBe('name-target');
    const top = list[0]!;
    expect(top.category).toMatchObject({
      id: ids.silicone,
      level: 3,
      path: 'Building > Sealants > Silicone Sealants',
    });
    expect(top.reasons[0]).toMatchObject({
      signal: 'name',
      text: '3 of 3 products named like this are in it',
    });
    expect(top.score).toBeGreaterThan(0.5);
    expect(top.score).toBeLessThanOrEqual(1);
  });

  it('the Type decides when names say nothing', async () => {
    const top = (await suggestions('type-target')).suggestions[0]!;
    expect(top.category.id).toBe(ids.guns);
    expect(top.reasons.map((reason) => reason.text)).toContain(
      "Type is 'Applicator': 3 of 3 such products are in it",
    );
    expect(top.reasons.map((reason) => reason.signal)).not.toContain('name');
  });

  it('the vendor decides when names and Type say nothing; reason weights add up to 1', async () => {
    const top = (await suggestions('vendor-target')).suggestions[0]!;
    expect(top.category.id).toBe(ids.acrylic);
    expect(top.reasons).toEqual([
      { signal: 'vendor', text: 'most Adheseal products are in it (3 of 3)', weight: 1 },
    ]);
    // A vendor alone is weak evidence: the score stays well below certainty.
    expect(top.score).toBeLessThan(0.5);
  });

  it('the words of the name match a category name', async () => {
    // "Clear Silicone Caulk" mentions no full category name; "Trowels" does for this one.
    const response = await importProductsCsv(
      test,
      'Handle,Title,Vendor,Type,Status\nwords-target,Steel Trowel Narrow,Solo,,active\n',
    );
    expect(response.statusCode).toBe(200);
    const top = (await suggestions('words-target')).suggestions[0]!;
    expect(top.category.id).toBe(ids.trowels);
    expect(top.reasons[0]).toMatchObject({ signal: 'words', text: "its name mentions 'Trowels'" });
  });

  it('leaves out the categories the product already has, and its own assignments are no evidence', async () => {
    const list = (await suggestions('s1')).suggestions;
    const suggested = list.map((item) => item.category.id);
    for (const own of [ids.silicone, ids.sealants, ids.building])
      expect(suggested).not.toContain(own);
    // s1's siblings are still named like it, but the category is its own: nothing else is known.
    expect(list.every((item) => item.reasons.every((reason) => reason.signal !== 'name'))).toBe(
      true,
    );
  });

  it('follows a new assignment at once', async () => {
    expect((await suggestions('lonely')).suggestions).toEqual([]);
    await assign('lonely-peer', ids.trowels!);
    const top = (await suggestions('lonely')).suggestions[0]!;
    expect(top.category.id).toBe(ids.trowels);
    expect(top.reasons[0]!.text).toBe('most Nobody products are in it (1 of 1)');
  });

  it('limit cuts the list', async () => {
    expect((await suggestions('name-target', '?limit=1')).suggestions).toHaveLength(1);
  });

  it('an unknown product is a 404 envelope; limit 0 or 1000 is a 422; nothing changes', async () => {
    const before = await snapshot(test.db);
    const missing = await test.request('/api/products/no-such-product/suggestions');
    expect(missing.statusCode).toBe(404);
    expect(missing.json<ErrorEnvelope>().code).toBe('NOT_FOUND');
    for (const limit of ['0', '1000', 'x']) {
      const response = await test.request(`/api/products/name-target/suggestions?limit=${limit}`);
      expect(response.statusCode, limit).toBe(422);
      expect(response.json<ErrorEnvelope>().code).toBe('VALIDATION_ERROR');
    }
    expect(await snapshot(test.db)).toEqual(before);
  });
});

describe('POST /api/suggestions', () => {
  it('answers for each listed product, in order, and names the unknown ones', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/suggestions',
      payload: { product_ids: ['type-target', 'nope', 'name-target'], limit: 2 },
    });
    expect(response.statusCode, response.body).toBe(200);
    const data = response.json<{ data: BulkSuggestions }>().data;
    expect(data.items.map((item) => item.product_id)).toEqual(['type-target', 'name-target']);
    expect(data.items[0]!.suggestions[0]!.category.id).toBe(ids.guns);
    expect(data.items.every((item) => item.suggestions.length <= 2)).toBe(true);
    expect(data.missing).toEqual(['nope']);
    expect(data.next_after).toBeNull();
  });

  it('takes a filter (handle order)', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/suggestions',
      payload: { filter: { vendor: 'Adheseal' } },
    });
    expect(response.statusCode, response.body).toBe(200);
    const data = response.json<{ data: BulkSuggestions }>().data;
    expect(data.items.map((item) => item.product_id)).toEqual(['v1', 'v2', 'v3', 'vendor-target']);
    expect(data.next_after).toBeNull();
  });

  it('continues a filter after a handle', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/suggestions',
      payload: { filter: { vendor: 'Adheseal' }, after: 'v2' },
    });
    expect(response.statusCode, response.body).toBe(200);
    const data = response.json<{ data: BulkSuggestions }>().data;
    expect(data.items.map((item) => item.product_id)).toEqual(['v3', 'vendor-target']);
  });

  it('without product_ids or filter, walks every product', async () => {
    const response = await test.request({ method: 'POST', url: '/api/suggestions', payload: {} });
    expect(response.statusCode, response.body).toBe(200);
    const data = response.json<{ data: BulkSuggestions }>().data;
    expect(data.items.length).toBe(PRODUCTS.length + 1);
  });

  it.each([
    [{ product_ids: ['a'], filter: {} }],
    [{ product_ids: [] }],
    [{ product_ids: Array.from({ length: 201 }, (_, i) => `p${i}`) }],
    [{ product_ids: ['a'], limit: 10 }],
    [{ filter: { vendor: '' } }],
    [{ filter: { nope: 1 } }],
    [{ product_ids: ['a'], after: 'x' }],
    [{ filter: {}, after: 'a\u0000b' }],
    [{ filter: { search: '%%' } }],
  ])('refuses %j with a 422', async (payload) => {
    const response = await test.request({ method: 'POST', url: '/api/suggestions', payload });
    expect(response.statusCode, response.body).toBe(422);
  });
});

describe('POST /api/suggestions/accept', () => {
  const accept = async (payload: object) => {
    const response = await test.request({
      method: 'POST',
      url: '/api/suggestions/accept',
      payload,
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ data: AcceptSuggestions }>().data;
  };
  const changeKinds = async () =>
    (await queryRows<{ kind: string }>(test.db, sql`select kind from change_sets order by id`)).map(
      (row) => row.kind,
    );
  const categoriesOf = async (handle: string) =>
    (
      await queryRows<{ category_id: number }>(
        test.db,
        sql`select pc.category_id from product_categories pc join products p on p.id = pc.product_id
             where p.product_id = ${handle} order by 1`,
      )
    ).map((row) => row.category_id);

  it('previews, then assigns as one change set, leaving alone a product categorised meanwhile', async () => {
    const targets = ['name-target', 'type-target', 'vendor-target', 's1', 'nope'];
    const before = await snapshot(test.db);
    const preview = await accept({ product_ids: targets, min_score: 0.2, dry_run: true });
    expect(await snapshot(test.db)).toEqual(before);
    expect(preview).toMatchObject({
      dry_run: true,
      products_considered: 4,
      skipped_categorised: ['s1'],
      missing: ['nope'],
      has_more: false,
    });
    expect(
      Object.fromEntries(preview.accepted.map((item) => [item.product_id, item.category.id])),
    ).toEqual({
      'name-target': ids.silicone,
      'type-target': ids.guns,
      'vendor-target': ids.acrylic,
    });

    // Between the preview and the apply, someone files vendor-target elsewhere by hand.
    await assign('vendor-target', ids.trowels!);
    const handFiled = await categoriesOf('vendor-target');
    const kindsBefore = await changeKinds();

    const applied = await accept({ product_ids: targets, min_score: 0.2, dry_run: false });
    expect(applied.dry_run).toBe(false);
    expect(applied.accepted.map((item) => item.product_id).sort()).toEqual([
      'name-target',
      'type-target',
    ]);
    expect(applied.skipped_categorised.sort()).toEqual(['s1', 'vendor-target']);
    expect(await categoriesOf('vendor-target')).toEqual(handFiled);
    expect(await categoriesOf('name-target')).toContain(ids.silicone);
    expect(await categoriesOf('type-target')).toContain(ids.guns);
    expect((await changeKinds()).slice(kindsBefore.length)).toEqual(['bulk.assign']);
  });

  it('with a filter, previews only the uncategorised products it matches', async () => {
    const preview = await accept({ filter: { vendor: 'Nobody' }, min_score: 0, dry_run: true });
    expect(preview.products_considered).toBe(1);
    expect(preview.accepted.map((item) => [item.product_id, item.category.id])).toEqual([
      ['lonely', ids.trowels],
    ]);
  });

  it('a min_score above every top suggestion assigns nothing and records no change', async () => {
    const kindsBefore = await changeKinds();
    const result = await accept({ product_ids: ['lonely'], min_score: 1, dry_run: false });
    expect(result.accepted).toEqual([]);
    expect(result.below_score).toBe(1);
    expect(await changeKinds()).toEqual(kindsBefore);
  });

  it.each([
    [{ product_ids: ['a'] }],
    [{ product_ids: ['a'], min_score: 2 }],
    [{ product_ids: ['a'], min_score: -0.1 }],
    [{ product_ids: ['a'], filter: {}, min_score: 0.5 }],
    [{ product_ids: ['a'], min_score: 0.5, dry_run: 'yes' }],
  ])('refuses %j with a 422 and changes nothing', async (payload) => {
    const before = await snapshot(test.db);
    const response = await test.request({
      method: 'POST',
      url: '/api/suggestions/accept',
      payload,
    });
    expect(response.statusCode, response.body).toBe(422);
    expect(await snapshot(test.db)).toEqual(before);
  });
});

describe('accepting fills a missing subcategory (docs/work-queue.md)', () => {
  const accept = async (payload: object) => {
    const response = await test.request({
      method: 'POST',
      url: '/api/suggestions/accept',
      payload,
    });
    expect(response.statusCode, response.body).toBe(200);
    return response.json<{ data: AcceptSuggestions }>().data;
  };
  const categoriesOf = async (handle: string) =>
    (
      await queryRows<{ category_id: number }>(
        test.db,
        sql`select pc.category_id from product_categories pc join products p on p.id = pc.product_id
             where p.product_id = ${handle} order by 1`,
      )
    ).map((row) => row.category_id);
  const changeSetCount = async () =>
    (await queryRows<{ n: number }>(test.db, sql`select count(*)::int as n from change_sets`))[0]!
      .n;

  beforeAll(async () => {
    // Named like the silicone sealants: their top suggestion is Silicone Sealants.
    const csv =
      'Handle,Title,Vendor,Type,Status\n' +
      'r-open,Clear Silicone Caulk 500ml,Refine,,active\n' +
      'r-elsewhere,Clear Silicone Caulk 450ml,Refine,,active\n' +
      'r-done,Clear Silicone Caulk 420ml,Refine,,active\n' +
      'r-sibling,Clear Silicone Caulk 410ml,Refine,,active\n';
    const imported = await importProductsCsv(test, csv);
    expect(imported.statusCode, imported.body).toBe(200);
    await assign('r-open', ids.sealants!); // Building > Sealants: its subcategory is missing
    // Complete in Sealants (Acrylic): Silicone, its top suggestion, is beside what it has.
    await assign('r-elsewhere', ids.acrylic!);
    await assign('r-done', ids.silicone!); // complete
    await assign('r-sibling', ids.sealants!);
  });

  it('previews the best suggestion below the open branch, never one beside what a product has', async () => {
    const before = await snapshot(test.db);
    const preview = await accept({
      product_ids: ['r-open', 'r-elsewhere', 'r-done'],
      min_score: 0,
      dry_run: true,
    });
    expect(await snapshot(test.db)).toEqual(before);
    expect(preview.accepted.map((item) => [item.product_id, item.category.id])).toEqual([
      ['r-open', ids.silicone],
    ]);
    expect(preview.skipped_categorised.sort()).toEqual(['r-done', 'r-elsewhere']);
  });

  it('a filter takes the products with a gap (uncategorised or incomplete), and applies as one change set', async () => {
    const preview = await accept({
      filter: { vendor: 'Refine', hide_allocated: false },
      min_score: 0,
      dry_run: true,
    });
    expect(preview.products_considered).toBe(2);
    expect(preview.accepted.map((item) => item.product_id)).toEqual(['r-open', 'r-sibling']);

    // Before the write, r-sibling gets a subcategory by hand: it has no gap any more.
    await assign('r-sibling', ids.acrylic!);
    const siblingBefore = await categoriesOf('r-sibling');
    const sets = await changeSetCount();
    const applied = await accept({
      filter: { vendor: 'Refine', incomplete: true, hide_allocated: false },
      min_score: 0,
      dry_run: false,
    });
    expect(applied.accepted.map((item) => item.product_id)).toEqual(['r-open']);
    expect(await categoriesOf('r-open')).toEqual(
      [ids.building!, ids.sealants!, ids.silicone!].sort((a, b) => a - b),
    );
    expect(await categoriesOf('r-sibling')).toEqual(siblingBefore);
    expect(await changeSetCount()).toBe(sets + 1);
    const incomplete = await queryRows<{ n: number }>(
      test.db,
      sql`select incomplete_branches as n from products join product_state using (id)
           where product_id = 'r-open'`,
    );
    expect(incomplete[0]!.n).toBe(0);
  });
});

describe('bad input to bulk suggestions and accept changes nothing', () => {
  it.each([0, 1000])(
    'POST /api/suggestions refuses limit %d with a 422 envelope',
    async (limit) => {
      const response = await test.request({
        method: 'POST',
        url: '/api/suggestions',
        payload: { product_ids: ['name-target'], limit },
      });
      expect(response.statusCode, response.body).toBe(422);
      expect(response.json<ErrorEnvelope>()).toMatchObject({
        success: false,
        code: 'VALIDATION_ERROR',
      });
    },
  );

  it('unknown products only, or a filter that matches nothing: 200, nothing accepted, no change set', async () => {
    const before = await snapshot(test.db);
    for (const payload of [
      { product_ids: ['no-such-1', 'no-such-2'], min_score: 0, dry_run: false },
      { filter: { vendor: 'Nobody Makes This' }, min_score: 0, dry_run: false },
    ]) {
      const response = await test.request({
        method: 'POST',
        url: '/api/suggestions/accept',
        payload,
      });
      expect(response.statusCode, response.body).toBe(200);
      const data = response.json<{ data: AcceptSuggestions }>().data;
      expect(data).toMatchObject({ products_considered: 0, accepted_count: 0, accepted: [] });
      expect(data.missing).toEqual('product_ids' in payload ? payload.product_ids : []);
    }
    const bulk = await test.request({
      method: 'POST',
      url: '/api/suggestions',
      payload: { filter: { vendor: 'Nobody Makes This' } },
    });
    expect(bulk.statusCode).toBe(200);
    expect(bulk.json<{ data: BulkSuggestions }>().data).toMatchObject({
      items: [],
      next_after: null,
    });
    expect(await snapshot(test.db)).toEqual(before);
  });
});
