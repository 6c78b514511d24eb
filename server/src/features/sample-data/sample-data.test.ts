/**
 * Sample data: the seeder marks what it writes; real imports claim what they name; removal takes
 * every sample product, sample category and assignment away as one change set and leaves real
 * data exactly as it was (table checksums), keeping the sample categories real data uses.
 */
import { readFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducts, importProductsCsv, shopifyCsv } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';
import { migrationsFolder, queryOne, queryRows, type Executor } from '../../db/client.js';
import { seedCatalog } from '../seed/seeder.js';
import { syntheticCategories, syntheticProduct } from '../seed/synthetic-catalog.js';
import { SAMPLE_IMAGE_COUNT } from './sample-images.js';

const SAMPLE_PRODUCTS = 300;
const SYSTEM = { actor: 'test', source: 'system' as const };

let test: TestApp;
const sampleHandle = syntheticProduct(0, syntheticCategories()).product_id;

/**
 * Real data only: its rows, whole, before and after the removal. A category's product_count is
 * left out: a real category that sample products were assigned to (one a real import claimed)
 * counts fewer products afterwards; invariantViolations checks every counter is exact.
 */
async function realChecksums(db: Executor, categoryIds?: number[]) {
  const only = categoryIds
    ? sql`id = any(${`{${categoryIds.join(',')}}`}::int[])`
    : sql`not is_sample`;
  const row = await queryOne<Record<string, string>>(
    db,
    sql`select
      (select md5(coalesce(string_agg(t::text, '|' order by t.id), '')) from products t where not is_sample) as products,
      (select md5(coalesce(string_agg((t.id, t.name, t.level, t.parent_id, t.created_at, t.updated_at)::text, '|' order by t.id), '')) from categories t where ${only}) as categories,
      (select md5(coalesce(string_agg(t::text, '|' order by t.product_id, t.category_id), ''))
         from product_categories t join products p on p.id = t.product_id and not p.is_sample) as assignments`,
  );
  return row!;
}

const idOf = async (db: Executor, name: string, level: number) =>
  (await queryOne<{ id: number }>(
    db,
    sql`select id from categories where name = ${name} and level = ${level}`,
  ))!.id;

beforeAll(async () => {
  test = await createTestApp();
  await seedCatalog(test.database, { products: SAMPLE_PRODUCTS });
});
afterAll(async () => {
  await test?.close();
});

describe('seeded sample data', () => {
  it('is marked, and its pictures come from the app itself', async () => {
    const row = await queryOne<{ products: number; categories: number; images: string[] }>(
      test.db,
      sql`select (select count(*) filter (where is_sample) from products)::int as products,
                 (select count(*) filter (where is_sample) from categories)::int as categories,
                 (select array_agg(distinct image_url) from products where image_url is not null) as images`,
    );
    expect(row!.products).toBe(SAMPLE_PRODUCTS);
    expect(row!.categories).toBe(syntheticCategories().length);
    expect(row!.images.length).toBe(SAMPLE_IMAGE_COUNT);
    for (const image of row!.images) expect(image).toMatch(/^\/sample-images\/\d{1,2}\.svg$/);

    const counts = await test.request('/api/sample-data');
    expect(counts.statusCode).toBe(200);
    expect(counts.json().data).toEqual({
      sample_products: SAMPLE_PRODUCTS,
      sample_categories: syntheticCategories().length,
      real_products: 0,
      real_categories: 0,
    });
  });

  it('serves every sample picture as a self-contained SVG, and nothing else', async () => {
    for (let number = 1; number <= SAMPLE_IMAGE_COUNT; number += 1) {
      const response = await test.app.inject(`/sample-images/${number}.svg`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('image/svg+xml');
      expect(response.headers['cache-control']).toBe('public, max-age=86400');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.body).toMatch(
        /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*<\/svg>$/,
      );
      // No script, no link, no reference to anything outside the picture.
      expect(response.body.replace('http://www.w3.org/2000/svg', '')).not.toMatch(
        /script|href|http|url\(|on[a-z]+=/i,
      );
    }
    for (const name of ['0.svg', `${SAMPLE_IMAGE_COUNT + 1}.svg`, '1.png', 'x.svg', '1.svg.svg']) {
      expect((await test.app.inject(`/sample-images/${name}`)).statusCode, name).toBe(404);
    }
  });

  it('refuses an app-relative image on a real product', async () => {
    await expect(
      test.db.execute(
        sql`insert into products (product_id, product_name, image_url) values ('relative-image', 'x', '/sample-images/1.svg')`,
      ),
    ).rejects.toThrow();
  });
});

describe('DELETE /api/sample-data', () => {
  let keptIds: number[];
  let realCategoryIds: number[];

  beforeAll(async () => {
    // Real data beside the samples, and the ways real data meets them.
    await createProducts(test, 12);
    const root = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: 'Real Root' },
    });
    const realRoot = root.json().data.id as number;
    const child = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: 'Real Child', parent_id: realRoot },
    });
    expect(child.statusCode).toBe(201);
    const assigned = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { product_ids: ['p-001', 'p-002', 'p-003'], category_ids: [child.json().data.id] },
    });
    expect(assigned.statusCode).toBe(200);

    // 1. A real product assigned to a sample category (level 3, so its ancestors too).
    const silicone = await idOf(test.db, 'Silicone Sealants', 3);
    expect(
      (
        await test.request({
          method: 'POST',
          url: '/api/products/p-004/categories',
          payload: { category_ids: [silicone] },
        })
      ).statusCode,
    ).toBe(201);
    // 2. A real category created under a sample one.
    const thinners = await idOf(test.db, 'Thinners', 2);
    const under = await test.request({
      method: 'POST',
      url: '/api/categories',
      payload: { name: 'Real Thinners', parent_id: thinners },
    });
    expect(under.statusCode).toBe(201);
    // 3. A real import of a sample product's handle (identical fields or not): it is real now.
    const imported = await importProductsCsv(
      test,
      shopifyCsv([{ handle: sampleHandle, title: 'Now a real product' }]),
    );
    expect(imported.json().data).toMatchObject({ created: 0, updated: 1 });
    // 4. A real category import naming a sample category: it is real now (4 real categories).
    const categories = await test.request({
      method: 'POST',
      url: '/api/import/categories',
      payload: [{ category_name: 'Tapes', category_level: 'Level 1 Category', connected_to: null }],
    });
    expect(categories.json().data).toMatchObject({ created: 0, unchanged: 1 });
    const claimed = await queryOne<{ after: { claimed_from_sample: number[] } }>(
      test.db,
      sql`select after from change_sets where kind = 'import.categories' order by id desc limit 1`,
    );
    expect(claimed!.after.claimed_from_sample).toEqual([await idOf(test.db, 'Tapes', 1)]);

    keptIds = [
      await idOf(test.db, 'Adhesives & Sealants', 1),
      await idOf(test.db, 'Sealants', 2),
      silicone,
      await idOf(test.db, 'Solvents & Thinners', 1),
      thinners,
      // The sample product the import made real keeps its categories.
      ...syntheticProduct(0, syntheticCategories()).categoryIds,
    ]
      .filter((id, at, all) => all.indexOf(id) === at)
      .sort((a, b) => a - b);
    realCategoryIds = (
      await queryRows<{ id: number }>(test.db, sql`select id from categories where not is_sample`)
    ).map((row) => row.id);
  });

  it('removes every sample row as one change set and leaves real data untouched', async () => {
    const sampleAssignments = (await queryOne<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from product_categories pc join products p on p.id = pc.product_id where p.is_sample`,
    ))!.n;
    // The banner's read, cached now: the removal must show through it.
    const before = await test.request('/api/sample-data');
    expect(before.json().data).toEqual({
      sample_products: SAMPLE_PRODUCTS - 1,
      sample_categories: syntheticCategories().length - 1,
      real_products: 13,
      real_categories: 4,
    });
    await test.request('/api/stats');
    const checksums = await realChecksums(test.db);
    const changesBefore = (await queryOne<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from change_sets`,
    ))!.n;

    const response = await test.request({ method: 'DELETE', url: '/api/sample-data' });
    expect(response.statusCode).toBe(200);
    const result = response.json().data;
    expect(result.removed_products).toBe(SAMPLE_PRODUCTS - 1);
    expect(result.removed_assignments).toBe(sampleAssignments);
    expect(
      result.kept_categories
        .map((category: { id: number }) => category.id)
        .sort((a: number, b: number) => a - b),
    ).toEqual(keptIds);
    expect(result.removed_categories).toBe(syntheticCategories().length - 1 - keptIds.length);
    expect(result.remaining).toEqual({
      sample_products: 0,
      sample_categories: 0,
      real_products: 13,
      real_categories: 4 + keptIds.length,
    });

    // Real data: exactly as it was (the kept categories changed only their flag).
    expect(await realChecksums(test.db, realCategoryIds)).toEqual(checksums);
    expect(await invariantViolations(test.db)).toEqual([]);
    const changes = await queryRows<{ kind: string; before: unknown; after: unknown }>(
      test.db,
      sql`select kind, before, after from change_sets order by id offset ${changesBefore}`,
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({
      kind: 'sample.remove',
      before: { products: SAMPLE_PRODUCTS - 1, categories: syntheticCategories().length - 1 },
      after: { removed: { products: SAMPLE_PRODUCTS - 1, assignments: sampleAssignments } },
    });

    // Counts and statistics follow at once (cached reads invalidated, counters exact).
    expect((await test.request('/api/sample-data')).json().data).toEqual(result.remaining);
    const stats = (await test.request('/api/stats')).json().data;
    expect(stats.total_products).toBe(13);
    expect(stats.total_categories).toBe(4 + keptIds.length);
    expect(stats.categorized_products).toBe(
      4 + Number(syntheticProduct(0, syntheticCategories()).categoryIds.length > 0),
    );
    const products = (await test.request('/api/products?limit=100')).json();
    expect(products.data.map((product: { product_id: string }) => product.product_id)).toContain(
      sampleHandle,
    );
    expect(products.data).toHaveLength(13);
  });

  it('is idempotent: a second call removes nothing and records nothing', async () => {
    const checksums = await realChecksums(test.db);
    const changesBefore = (await queryOne<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from change_sets`,
    ))!.n;
    const response = await test.request({ method: 'DELETE', url: '/api/sample-data' });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({
      removed_products: 0,
      removed_categories: 0,
      removed_assignments: 0,
      kept_categories: [],
    });
    expect(await realChecksums(test.db)).toEqual(checksums);
    expect(
      (await queryOne<{ n: number }>(test.db, sql`select count(*)::int as n from change_sets`))!.n,
    ).toBe(changesBefore);
  });
});

describe('access (AUTH_MODE=token)', () => {
  it('lets viewers read the counts and only admins remove', async () => {
    const secured = await createTestApp({ AUTH_MODE: 'token', AUTH_CACHE_SECONDS: '0' });
    try {
      await seedCatalog(secured.database, { products: 20 });
      const secret = async (role: 'viewer' | 'editor' | 'admin') =>
        (await secured.app.tokens.create({ name: `${role} token`, role }, SYSTEM)).secret;
      const as = async (role: 'viewer' | 'editor' | 'admin', method: 'GET' | 'DELETE') =>
        secured.request({
          method,
          url: '/api/sample-data',
          headers: { authorization: `Bearer ${await secret(role)}` },
        });
      expect((await as('viewer', 'GET')).statusCode).toBe(200);
      for (const role of ['viewer', 'editor'] as const) {
        const refused = await as(role, 'DELETE');
        expect(refused.statusCode, role).toBe(403);
        expect(refused.json().details).toMatchObject({ required_role: 'admin' });
      }
      expect((await as('viewer', 'GET')).json().data.sample_products).toBe(20);
      const removed = await as('admin', 'DELETE');
      expect(removed.statusCode).toBe(200);
      expect(removed.json().data.removed_products).toBe(20);
    } finally {
      await secured.close();
    }
  });
});

describe('migration 0012 on a database seeded before it', () => {
  it("marks the seeder's rows as sample, and only them, and moves their images into the app", async () => {
    const old = await createTestApp();
    try {
      await seedCatalog(old.database, { products: 30 });
      // As the seeder left them before the migration: unmarked, images on a host that does not exist.
      await old.db.execute(sql`update products set is_sample = false,
          image_url = case when image_url is null then null else 'https://cdn.example.com/products/' || product_id || '.png' end`);
      await old.db.execute(sql`update categories set is_sample = false`);
      // Real data imported after the seed.
      await createProducts(old, 3);
      const root = await old.request({
        method: 'POST',
        url: '/api/categories',
        payload: { name: 'Real After Seed' },
      });
      expect(root.statusCode).toBe(201);
      await old.db.execute(
        sql`update products set created_at = now() + interval '1 minute' where product_id like 'p-%'`,
      );
      await old.db.execute(
        sql`update categories set created_at = now() + interval '1 minute' where name = 'Real After Seed'`,
      );

      const migration = await readFile(`${migrationsFolder}/0012_sample_data.sql`, 'utf8');
      const updates = migration
        .split('--> statement-breakpoint')
        .map((statement) => statement.trim())
        .filter((statement) => statement.startsWith('UPDATE'));
      expect(updates).toHaveLength(2);
      for (const statement of updates) await old.db.execute(sql.raw(statement));

      const row = await queryOne<{
        sample_products: number;
        real_products: string[];
        sample_categories: number;
        real_categories: string[];
        outside: number;
      }>(
        old.db,
        sql`select (select count(*) from products where is_sample)::int as sample_products,
                   (select array_agg(product_id order by product_id) from products where not is_sample) as real_products,
                   (select count(*) from categories where is_sample)::int as sample_categories,
                   (select array_agg(name) from categories where not is_sample) as real_categories,
                   (select count(*) from products where image_url like 'https://cdn.example.com/%')::int as outside`,
      );
      expect(row).toEqual({
        sample_products: 30,
        real_products: ['p-001', 'p-002', 'p-003'],
        sample_categories: syntheticCategories().length,
        real_categories: ['Real After Seed'],
        outside: 0,
      });
    } finally {
      await old.close();
    }
  });
});
