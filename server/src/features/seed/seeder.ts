/**
 * Writes a synthetic catalog into an empty database, every row marked `is_sample` (sample data,
 * removed by DELETE /api/sample-data or `npm run seed -- --remove`). On PostgreSQL, products and assignments
 * stream in through COPY in one transaction; on PGlite, in multi-row batches. Either way each product is written
 * once with its final category_count in product_state (the counter trigger is told to stand aside for this
 * transaction), and category counts are computed once at the end.
 */
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { sql } from 'drizzle-orm';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { queryOne, type DatabaseHandle, type Executor } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import { recordChange } from '../changes/changes.repository.js';
import { insertAssignments, type NewAssignment } from '../assignments/assignments.repository.js';
import {
  syntheticCategories,
  syntheticProduct,
  type SyntheticCategory,
  type SyntheticProduct,
} from './synthetic-catalog.js';

export interface SeedOptions {
  products: number;
  /** Delete every product, category and change first. */
  reset?: boolean;
  batchSize?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface SeedResult {
  categories: number;
  products: number;
  assignments: number;
  seconds: number;
}

const PRODUCT_COLUMNS = [
  'id',
  'product_id',
  'product_name',
  'vendor',
  'product_type',
  'status',
  'sku',
  'image_url',
  'tags',
  'is_sample',
  'description',
] as const;

export async function isCatalogEmpty(db: Executor): Promise<boolean> {
  const row = await queryOne<{ used: boolean }>(
    db,
    sql`select exists (select 1 from products) or exists (select 1 from categories) as used`,
  );
  return !row?.used;
}

export async function seedCatalog(
  database: DatabaseHandle,
  options: SeedOptions,
): Promise<SeedResult> {
  const started = performance.now();
  const { db } = database;
  if (options.reset) {
    await db.execute(
      sql`truncate queue_leases, product_categories, product_state, products, categories, change_sets restart identity`,
    );
  } else if (!(await isCatalogEmpty(db))) {
    throw new Error(
      'The database already has products or categories; seed with --reset to replace them',
    );
  }

  const categories = syntheticCategories();
  await insertCategories(db, categories);
  const assignments = database.pool
    ? await copyProducts(database.pool, categories, options)
    : await insertProductBatches(db, categories, options);

  await db.execute(sql`
    update categories c set product_count = counted.n
      from (select category_id, count(*)::int as n from product_categories group by category_id) counted
     where c.id = counted.category_id`);
  await db.execute(
    sql`select setval(pg_get_serial_sequence('products', 'id'), greatest(${options.products}, 1))`,
  );
  for (const table of ['products', 'product_state', 'product_categories', 'categories']) {
    await db.execute(sql.raw(`analyze ${table}`));
  }
  await recordChange(
    db,
    { actor: 'seed', source: 'seed' },
    {
      kind: 'seed',
      productIds: [],
      categoryIds: [],
      before: null,
      after: { products: options.products, categories: categories.length, assignments },
    },
  );
  return {
    categories: categories.length,
    products: options.products,
    assignments,
    seconds: (performance.now() - started) / 1000,
  };
}

async function insertCategories(db: Executor, categories: SyntheticCategory[]) {
  await inTransaction(db, async (transaction) => {
    await transaction.execute(sql`
      insert into categories (id, name, level, parent_id, parent_level, is_sample)
      select r.id, r.name, r.level, r.parent_id, r.parent_level, true
        from jsonb_to_recordset(${JSON.stringify(
          categories.map((category) => ({
            id: category.id,
            name: category.name,
            level: category.level,
            parent_id: category.parentId,
            parent_level: category.parentId === null ? null : category.level - 1,
          })),
        )}::jsonb) as r(id int, name text, level smallint, parent_id int, parent_level smallint)`);
    await transaction.execute(
      sql`select setval(pg_get_serial_sequence('categories', 'id'), ${categories.length})`,
    );
  });
}

function assignmentRowsOf(
  product: SyntheticProduct,
  byId: Map<number, SyntheticCategory>,
): NewAssignment[] {
  return product.categoryIds.map((categoryId) => {
    const category = byId.get(categoryId)!;
    return {
      productId: product.id,
      categoryId,
      categoryLevel: category.level,
      parentCategoryId: category.parentId,
    };
  });
}

/**
 * Counts a product's open branches (product_state.incomplete_branches): its categories that have
 * subcategories of which it has none. The bulk load writes it, as it writes category_count,
 * because the triggers that keep both stand aside for the load.
 */
function openBranchCounter(categories: readonly SyntheticCategory[]) {
  const parentOf = new Map(categories.map((category) => [category.id, category.parentId]));
  const withChildren = new Set(categories.map((category) => category.parentId));
  return (categoryIds: readonly number[]): number => {
    const covered = new Set(categoryIds.map((id) => parentOf.get(id)));
    return categoryIds.filter((id) => withChildren.has(id) && !covered.has(id)).length;
  };
}

/** A PostgreSQL array literal for COPY (`{"a","b"}`). */
const arrayLiteral = (values: string[]) =>
  `{${values.map((value) => `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`).join(',')}}`;

async function copyProducts(pool: pg.Pool, categories: SyntheticCategory[], options: SeedOptions) {
  const byId = new Map(categories.map((category) => [category.id, category]));
  const openBranches = openBranchCounter(categories);
  const client = await pool.connect();
  let assignments = 0;
  try {
    await client.query('begin');
    await client.query("set local tag_manager.bulk_load = 'on'");
    await client.query("set local maintenance_work_mem = '256MB'");
    const restore = await withoutSecondaryStructures(client);
    await pipeline(
      Readable.from(
        (function* () {
          for (let index = 0; index < options.products; index += 1) {
            const product = syntheticProduct(index, categories);
            if ((index + 1) % 10_000 === 0) options.onProgress?.(index + 1, options.products);
            yield [
              product.id,
              product.product_id,
              product.product_name,
              product.vendor,
              product.product_type,
              product.status,
              product.sku,
              product.image_url,
              arrayLiteral(product.tags),
              true,
              product.description,
            ];
          }
        })(),
      ),
      stringify(),
      client.query(
        copyFrom(`copy products (${PRODUCT_COLUMNS.join(', ')}) from stdin with (format csv)`),
      ),
    );
    // In bulk load the products trigger leaves the state rows to us: with their final counts.
    await pipeline(
      Readable.from(
        (function* () {
          for (let index = 0; index < options.products; index += 1) {
            const product = syntheticProduct(index, categories);
            yield [
              product.id,
              product.categoryIds.length,
              openBranches(product.categoryIds),
              product.product_name,
              product.product_type,
              product.vendor,
            ];
          }
        })(),
      ),
      stringify(),
      client.query(
        copyFrom(
          'copy product_state (id, category_count, incomplete_branches, product_name, product_type, vendor) from stdin with (format csv)',
        ),
      ),
    );
    await pipeline(
      Readable.from(
        (function* () {
          for (let index = 0; index < options.products; index += 1) {
            for (const row of assignmentRowsOf(syntheticProduct(index, categories), byId)) {
              assignments += 1;
              yield [row.productId, row.categoryId, row.categoryLevel, row.parentCategoryId];
            }
          }
        })(),
      ),
      stringify(),
      client.query(
        copyFrom(
          'copy product_categories (product_id, category_id, category_level, parent_category_id) from stdin with (format csv)',
        ),
      ),
    );
    await restore();
    await client.query('commit');
    options.onProgress?.(options.products, options.products);
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  return assignments;
}

/**
 * Maintaining secondary indexes and checking foreign keys row by row dominates a large load.
 * This takes them off for the loading transaction and returns a function that puts them back
 * exactly as the migrations defined them (read from the catalog, so they cannot drift): one
 * index build and one validation pass each, instead of millions of small steps.
 */
async function withoutSecondaryStructures(client: pg.PoolClient): Promise<() => Promise<void>> {
  const { rows: foreignKeys } = await client.query<{
    table: string;
    name: string;
    definition: string;
  }>(
    `select conrelid::regclass::text as table, conname as name,
            pg_get_constraintdef(oid) as definition
       from pg_constraint
      where conrelid in ('product_categories'::regclass, 'product_state'::regclass)
        and contype = 'f'`,
  );
  const { rows: indexes } = await client.query<{ name: string; definition: string }>(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
       from pg_index i
      where i.indrelid in ('products'::regclass, 'product_categories'::regclass,
                           'product_state'::regclass)
        and not exists (select 1 from pg_constraint c where c.conindid = i.indexrelid)`,
  );
  for (const foreignKey of foreignKeys) {
    await client.query(`alter table ${foreignKey.table} drop constraint ${foreignKey.name}`);
  }
  for (const index of indexes) await client.query(`drop index ${index.name}`);
  return async () => {
    for (const index of indexes) await client.query(index.definition);
    for (const foreignKey of foreignKeys) {
      await client.query(
        `alter table ${foreignKey.table} add constraint ${foreignKey.name} ${foreignKey.definition}`,
      );
    }
  };
}

async function insertProductBatches(
  db: Executor,
  categories: SyntheticCategory[],
  options: SeedOptions,
) {
  const byId = new Map(categories.map((category) => [category.id, category]));
  const openBranches = openBranchCounter(categories);
  const batchSize = options.batchSize ?? 5000;
  let assignments = 0;
  for (let start = 0; start < options.products; start += batchSize) {
    const end = Math.min(start + batchSize, options.products);
    const products: SyntheticProduct[] = [];
    const rows: NewAssignment[] = [];
    for (let index = start; index < end; index += 1) {
      const product = syntheticProduct(index, categories);
      products.push(product);
      rows.push(...assignmentRowsOf(product, byId));
    }
    await inTransaction(db, async (transaction) => {
      await transaction.execute(sql`select set_config('tag_manager.bulk_load', 'on', true)`);
      await transaction.execute(sql`
        insert into products (${sql.raw(PRODUCT_COLUMNS.join(', '))})
        select r.id, r.product_id, r.product_name, r.vendor, r.product_type, r.status, r.sku, r.image_url,
               array(select jsonb_array_elements_text(r.tags)), true, r.description
          from jsonb_to_recordset(${JSON.stringify(products)}::jsonb)
               as r(id int, product_id text, product_name text, vendor text, product_type text,
                    status text, sku text, image_url text, tags jsonb, description text)`);
      // In bulk load the products trigger leaves the state rows to us: with their final counts.
      await transaction.execute(sql`
        insert into product_state
               (id, category_count, incomplete_branches, product_name, product_type, vendor)
        select r.id, r.category_count, r.incomplete_branches, r.product_name, r.product_type,
               r.vendor
          from jsonb_to_recordset(${JSON.stringify(
            products.map((product) => ({
              id: product.id,
              product_name: product.product_name,
              product_type: product.product_type,
              vendor: product.vendor,
              category_count: product.categoryIds.length,
              incomplete_branches: openBranches(product.categoryIds),
            })),
          )}::jsonb)
               as r(id int, category_count int, incomplete_branches smallint, product_name text,
                    product_type text, vendor text)`);
      await insertAssignments(transaction, rows);
    });
    assignments += rows.length;
    options.onProgress?.(end, options.products);
  }
  return assignments;
}
