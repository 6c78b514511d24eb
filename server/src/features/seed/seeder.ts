/**
 * Writes a synthetic catalog into an empty database in batches (one statement per batch for
 * products and one for their assignments), on PostgreSQL or PGlite alike.
 */
import { sql } from 'drizzle-orm';
import { queryOne, type Executor } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import { recordChange } from '../changes/changes.repository.js';
import { insertAssignments, type NewAssignment } from '../products/products.repository.js';
import { syntheticCategories, syntheticProduct, type SyntheticProduct } from './synthetic-catalog.js';

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

export async function isCatalogEmpty(db: Executor): Promise<boolean> {
  const row = await queryOne<{ used: boolean }>(
    db,
    sql`select exists (select 1 from products) or exists (select 1 from categories) as used`,
  );
  return !row?.used;
}

export async function seedCatalog(db: Executor, options: SeedOptions): Promise<SeedResult> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 5000;
  if (options.reset) {
    await db.execute(
      sql`truncate product_categories, products, categories, change_sets restart identity`,
    );
  } else if (!(await isCatalogEmpty(db))) {
    throw new Error('The database already has products or categories; seed with --reset to replace them');
  }

  const categories = syntheticCategories();
  const levelOf = new Map(categories.map((category) => [category.id, category]));
  let assignments = 0;

  await inTransaction(db, async (transaction) => {
    await transaction.execute(sql`
      insert into categories (id, name, level, parent_id, parent_level)
      select r.id, r.name, r.level, r.parent_id, r.parent_level
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

  for (let start = 0; start < options.products; start += batchSize) {
    const end = Math.min(start + batchSize, options.products);
    const products: SyntheticProduct[] = [];
    const rows: NewAssignment[] = [];
    for (let index = start; index < end; index += 1) {
      const product = syntheticProduct(index, categories);
      products.push(product);
      for (const categoryId of product.categoryIds) {
        const category = levelOf.get(categoryId)!;
        rows.push({
          productId: product.id,
          categoryId,
          categoryLevel: category.level,
          parentCategoryId: category.parentId,
        });
      }
    }
    await inTransaction(db, async (transaction) => {
      await transaction.execute(sql`
        insert into products (id, product_id, product_name, vendor, product_type, status, sku, image_url, tags)
        select r.id, r.product_id, r.product_name, r.vendor, r.product_type, r.status, r.sku, r.image_url,
               array(select jsonb_array_elements_text(r.tags))
          from jsonb_to_recordset(${JSON.stringify(products.map(({ categoryIds: _, ...product }) => product))}::jsonb)
               as r(id int, product_id text, product_name text, vendor text, product_type text,
                    status text, sku text, image_url text, tags jsonb)`);
      await insertAssignments(transaction, rows);
    });
    assignments += rows.length;
    options.onProgress?.(end, options.products);
  }

  await db.execute(
    sql`select setval(pg_get_serial_sequence('products', 'id'), greatest(${options.products}, 1))`,
  );
  for (const table of ['products', 'product_categories', 'categories']) {
    await db.execute(sql.raw(`analyze ${table}`));
  }
  await recordChange(db, { actor: 'seed', source: 'seed' }, {
    kind: 'seed',
    after: { products: options.products, categories: categories.length, assignments },
  });
  return {
    categories: categories.length,
    products: options.products,
    assignments,
    seconds: (performance.now() - started) / 1000,
  };
}
