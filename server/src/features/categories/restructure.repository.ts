/**
 * The set-based statements of a move or merge (restructure.ts), in an order that keeps every
 * reference of product_categories satisfied at the end of each statement (its integrity
 * triggers, migration 0026, check at the end of each statement, as its foreign keys did):
 *
 * 1. the affected products (those assigned the moved or merged category) are noted once, in a
 *    temporary table dropped at commit;
 * 2. new ancestors are inserted top-down for those that lack them (the closure check needs the
 *    parent row first);
 * 3. the category's parent changes together with its assignment rows' `parent_category_id`, in
 *    one statement (two writable CTEs): the reference (category_id, parent_category_id) →
 *    categories (id, parent_id) is checked at the end of that statement, when both sides agree again;
 * 4. old ancestors no other assigned category needs are deleted bottom-up (no row points at them
 *    any more, so the closure cascade has nothing to take).
 *
 * Each statement also logs the rows it inserted or deleted (`restructure_writes`, a temporary
 * table), so the change set records what each product gained and lost (productChanges) and the
 * undo can reverse exactly that (docs/move-and-merge.md, "Undo").
 *
 * Each is one statement over all affected products. The counter triggers stand aside meanwhile
 * (`tag_manager.restructure = on`, migration 0020): each statement would otherwise rewrite every
 * affected product's counters, four or five times per restructure. recountAfterRestructure then
 * sets the counters of the products and categories touched, once.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { arrayParam } from '../../db/sql.js';

/** Notes the products assigned `categoryId` (the moved or merged one); answers how many. */
export async function noteAffectedProducts(
  transaction: Executor,
  categoryId: number,
): Promise<number> {
  await transaction.execute(sql`
    create temporary table if not exists restructure_products (product_id integer primary key)
      on commit drop`);
  await transaction.execute(sql`delete from restructure_products`);
  await noteWrites(transaction);
  await transaction.execute(sql`
    insert into restructure_products (product_id)
    select product_id from product_categories where category_id = ${categoryId}`);
  await transaction.execute(sql`analyze restructure_products`);
  const row = await queryOne<{ n: number }>(
    transaction,
    sql`select count(*)::int as n from restructure_products`,
  );
  return row?.n ?? 0;
}

/**
 * Starts the log of the assignment rows this restructure inserts and deletes (a temporary
 * table dropped at commit): each statement below adds the rows it wrote, so that the change set
 * can record exactly what each product gained and lost (productChanges), which its undo reverses.
 */
async function noteWrites(transaction: Executor): Promise<void> {
  await transaction.execute(sql`
    create temporary table if not exists restructure_writes
      (product_id integer not null, category_id integer not null, added boolean not null)
      on commit drop`);
  await transaction.execute(sql`delete from restructure_writes`);
}

/** Notes `productIds` as the affected products (an undo of a restructure: those it undoes). */
export async function noteProducts(
  transaction: Executor,
  productIds: readonly number[],
): Promise<void> {
  await transaction.execute(sql`
    create temporary table if not exists restructure_products (product_id integer primary key)
      on commit drop`);
  await transaction.execute(sql`delete from restructure_products`);
  await transaction.execute(sql`
    insert into restructure_products (product_id)
    select distinct unnest(${arrayParam(productIds)}::integer[])`);
  await transaction.execute(sql`analyze restructure_products`);
}

/**
 * What the restructure wrote per product, products with the same rows grouped: the categories
 * inserted (`added`) and deleted (`removed`) for each, from the log noteWrites started.
 */
export function productChanges(
  transaction: Executor,
): Promise<{ added: number[]; removed: number[]; product_ids: number[] }[]> {
  return queryRows(
    transaction,
    sql`select added, removed, array_agg(product_id order by product_id) as product_ids
          from (select product_id,
                       coalesce(array_agg(category_id order by category_id) filter (where added), '{}') as added,
                       coalesce(array_agg(category_id order by category_id) filter (where not added), '{}') as removed
                  from restructure_writes group by product_id) per_product
         group by added, removed
         order by min(product_id)`,
  );
}

export function affectedProductIds(transaction: Executor): Promise<{ ids: number[] | null }[]> {
  return queryRows(
    transaction,
    sql`select array_agg(product_id order by product_id) as ids from restructure_products`,
  );
}

export function sampleAffectedProducts(
  transaction: Executor,
  limit: number,
): Promise<{ product_id: string; product_name: string }[]> {
  return queryRows(
    transaction,
    sql`select p.product_id, p.product_name
          from restructure_products r join products p on p.id = r.product_id
         order by r.product_id limit ${limit}`,
  );
}

interface Placed {
  id: number;
  level: number;
  parent_id: number | null;
}

async function insertFor(transaction: Executor, holders: SQL, category: Placed): Promise<number> {
  const row = await queryOne<{ n: number }>(
    transaction,
    sql`with added as (
          insert into product_categories (product_id, category_id, category_level, parent_category_id)
          select h.product_id, ${category.id}::integer, ${category.level}::smallint, ${category.parent_id}::integer
            from (${holders}) h
           where not exists (select 1 from product_categories x
                              where x.product_id = h.product_id and x.category_id = ${category.id})
          returning product_id),
        logged as (
          insert into restructure_writes (product_id, category_id, added)
          select product_id, ${category.id}::integer, true from added)
        select count(*)::int as n from added`,
  );
  return row?.n ?? 0;
}

/** Assigns `category` to every affected product that lacks it; answers how many got it. */
export function addToAffectedProducts(transaction: Executor, category: Placed): Promise<number> {
  return insertFor(transaction, sql`select product_id from restructure_products`, category);
}

/** Assigns `category` to every product assigned `holderId` that lacks it. */
export function addToProductsOf(
  transaction: Executor,
  holderId: number,
  category: Placed,
): Promise<number> {
  return insertFor(
    transaction,
    sql`select product_id from product_categories where category_id = ${holderId}`,
    category,
  );
}

/**
 * Puts category `id` under `parentId`, and its assignment rows with it, in one statement (see
 * the top of this file). Answers how many assignment rows followed.
 */
export async function reparentCategory(
  transaction: Executor,
  id: number,
  parentId: number,
  parentLevel: number,
): Promise<number> {
  const row = await queryOne<{ n: number }>(
    transaction,
    sql`with moved as (
          update categories set parent_id = ${parentId}, parent_level = ${parentLevel}, updated_at = now()
           where id = ${id} returning id),
        followed as (
          update product_categories set parent_category_id = ${parentId}
           where category_id = ${id} returning 1)
        select (select count(*) from followed)::int as n, (select count(*) from moved)::int as moved`,
  );
  return row?.n ?? 0;
}

/**
 * Removes `ancestorId` from the affected products that have no child of it assigned any more;
 * answers how many lost it.
 */
export async function removeUnneededFromAffected(
  transaction: Executor,
  ancestorId: number,
): Promise<number> {
  const row = await queryOne<{ n: number }>(
    transaction,
    sql`with removed as (
          delete from product_categories pc using restructure_products r
           where pc.product_id = r.product_id and pc.category_id = ${ancestorId}
             and not exists (select 1 from product_categories below
                              where below.product_id = pc.product_id
                                and below.parent_category_id = ${ancestorId})
          returning pc.product_id),
        logged as (
          insert into restructure_writes (product_id, category_id, added)
          select product_id, ${ancestorId}::integer, false from removed)
        select count(*)::int as n from removed`,
  );
  return row?.n ?? 0;
}

/** Deletes every assignment of `categoryId` (a merged category, once nothing points at it). */
export async function deleteAllAssignments(
  transaction: Executor,
  categoryId: number,
): Promise<number> {
  const row = await queryOne<{ n: number }>(
    transaction,
    sql`with removed as (delete from product_categories where category_id = ${categoryId} returning product_id),
        logged as (
          insert into restructure_writes (product_id, category_id, added)
          select product_id, ${categoryId}::integer, false from removed)
        select count(*)::int as n from removed`,
  );
  return row?.n ?? 0;
}

/**
 * Inserts `categoryId` (as placed in the tree now) for `productIds` (an undo of a restructure
 * giving rows back; none of them has it: the undo checked).
 */
export async function insertForProducts(
  transaction: Executor,
  categoryId: number,
  productIds: readonly number[],
): Promise<void> {
  await transaction.execute(sql`
    insert into product_categories (product_id, category_id, category_level, parent_category_id)
    select p.id, c.id, c.level, c.parent_id
      from unnest(${arrayParam(productIds)}::integer[]) as p(id)
      cross join categories c where c.id = ${categoryId}`);
}

/** Deletes the rows of `categoryId` for `productIds` (an undo of a restructure). */
export async function deleteForProducts(
  transaction: Executor,
  categoryId: number,
  productIds: readonly number[],
): Promise<void> {
  await transaction.execute(sql`
    delete from product_categories pc
     using unnest(${arrayParam(productIds)}::integer[]) as p(id)
     where pc.category_id = ${categoryId} and pc.product_id = p.id`);
}

/**
 * Turns the counter triggers off for the rest of this transaction (or savepoint): the
 * restructure recounts what it touched with recountAfterRestructure, which turns them on again.
 */
export async function suspendCounterTriggers(transaction: Executor): Promise<void> {
  await transaction.execute(sql`select set_config('tag_manager.restructure', 'on', true)`);
}

/**
 * What the counter triggers would have done, once: `product_count` of the categories whose
 * assignments changed; `category_count` and the open branches of the affected products and of
 * the other products assigned a category whose children changed (`parents`: an old or new
 * parent). A product's state row (product_state, migration 0022) is written only where a
 * counter differs: a product whose branch just moved keeps its counts and is not rewritten.
 * Like a rename, a restructure changes paths, not the products: `last_modified` stays.
 * The catalog counters follow through the product_state trigger. Then the triggers are on again.
 */
export async function recountAfterRestructure(
  transaction: Executor,
  categoryIds: readonly number[],
  parents: readonly number[],
): Promise<void> {
  await transaction.execute(sql`
    update categories c set product_count = n.count
      from (select id, (select count(*)::int from product_categories pc where pc.category_id = k.id) as count
              from categories k where k.id = any(${arrayParam([...new Set(categoryIds)])}::integer[])) n
     where c.id = n.id and c.product_count <> n.count`);
  await transaction.execute(sql`
    with with_children as (
           select array(select distinct parent_id from categories where parent_id is not null) as ids),
         targets as (
           select product_id from restructure_products
           union
           select pc.product_id from product_categories pc
            where pc.category_id = any(${arrayParam([...new Set(parents)])}::integer[]))
    update product_state s
       set category_count = o.count, incomplete_branches = o.open
      from targets t
      cross join with_children w
      cross join lateral (
            select count(*)::int as count,
                   (count(*) filter (where pc.category_id = any(w.ids))
                    - count(distinct pc.parent_category_id))::smallint as open
              from product_categories pc where pc.product_id = t.product_id) o
     where s.id = t.product_id
       and (s.incomplete_branches <> o.open or s.category_count <> o.count)`);
  await transaction.execute(sql`select set_config('tag_manager.restructure', 'off', true)`);
}

/** Takes the taxonomy for the restructure: other category and assignment writes wait for it. */
export async function lockTaxonomy(transaction: Executor): Promise<void> {
  await transaction.execute(sql`lock table categories in share row exclusive mode`);
}
