/** The import writes: products upserted in batches, idempotently. */
import { sql } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import type { ProductDraft } from './shopify-csv.js';

export interface UpsertOutcome {
  created: number;
  updated: number;
  changedIds: number[];
}

/**
 * Inserts new products and updates changed ones; an identical row is left alone (and so keeps
 * its last_modified: product_state's, set by the products update trigger, migration 0022). One
 * statement per batch, the batch passed as one JSON parameter.
 * A sample product (the seeder's) whose handle a real import names becomes real: it is updated
 * (and counted so) even when its fields are identical.
 */
export async function upsertProducts(
  executor: Executor,
  drafts: readonly ProductDraft[],
): Promise<UpsertOutcome> {
  if (drafts.length === 0) return { created: 0, updated: 0, changedIds: [] };
  // A file without a Body (HTML) column says nothing about descriptions: stored ones are kept.
  const description = drafts.some((draft) => draft.description !== undefined)
    ? sql`excluded.description`
    : sql`p.description`;
  const rows = await queryRows<{ id: number; inserted: boolean }>(
    executor,
    sql`insert into products as p
          (product_id, product_name, vendor, product_type, status, sku, image_url, tags, description)
        select r.product_id, r.product_name, r.vendor, r.product_type, r.status, r.sku, r.image_url,
               array(select jsonb_array_elements_text(r.tags)), r.description
          from jsonb_to_recordset(${JSON.stringify(drafts)}::jsonb) as r(
               product_id text, product_name text, vendor text, product_type text, status text,
               sku text, image_url text, tags jsonb, description text)
        on conflict (product_id) do update set
               product_name = excluded.product_name, vendor = excluded.vendor,
               product_type = excluded.product_type, status = excluded.status, sku = excluded.sku,
               image_url = excluded.image_url, tags = excluded.tags,
               description = ${description}, is_sample = false
         where (p.product_name, p.vendor, p.product_type, p.status, p.sku, p.image_url, p.tags,
                p.description)
               is distinct from
               (excluded.product_name, excluded.vendor, excluded.product_type, excluded.status,
                excluded.sku, excluded.image_url, excluded.tags, ${description})
               or p.is_sample
        returning p.id, (p.xmax = 0) as inserted`,
  );
  const created = rows.filter((row) => row.inserted).length;
  return { created, updated: rows.length - created, changedIds: rows.map((row) => row.id) };
}

/**
 * The category named `name` (compared as sibling names are) under `parentId`, through the
 * unique index on (parent_id, normalized_name). `parent_id is not distinct from $1` cannot use
 * that index, and a category import runs this once per entry: a scan each made it quadratic.
 */
export function findImportSibling(
  executor: Executor,
  parentId: number | null,
  name: string,
): Promise<{ id: number; name: string; is_sample: boolean } | undefined> {
  const normalized = sql`lower(regexp_replace(btrim(${name}::text), '\\s+', ' ', 'g'))`;
  return queryOne(
    executor,
    parentId === null
      ? sql`select id, name, is_sample from categories where parent_id is null and normalized_name = ${normalized}`
      : sql`select id, name, is_sample from categories where parent_id = ${parentId} and normalized_name = ${normalized}`,
  );
}

/**
 * A real category import that names a sample category (found as a sibling by its name) makes it
 * real: it is the operator's category now, and removing the sample data keeps it.
 */
export async function claimSampleCategory(executor: Executor, id: number): Promise<void> {
  await executor.execute(sql`update categories set is_sample = false where id = ${id}`);
}
