/**
 * Bulk assign and remove as sets (issue 13): the preview of any request, and the batches of a
 * job, written set-based (INSERT ... SELECT from the batch's products joined to the categories'
 * closure; DELETE ... USING), never row by row.
 *
 * One rule for both: the preview and the write read the same sets of rows, built by the same
 * SQL from `categorySets` below, so what a dry run counts is what the run then changes. The rules
 * themselves are those of assignment-rules.ts (closure under "parent of"); the per-product
 * write of a small request (assignments.service.ts) plans with those functions, the sets here
 * do the same over many products at once.
 */
import type { BulkPreview } from '@tag-manager/contract';
import { sql, type SQL } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { arrayParam } from '../../db/sql.js';
import { lockCategoryCounters } from '../categories/categories.repository.js';
import type { CategoryIndex } from '../categories/category-index.js';
import type { BulkAssignedItem, BulkRemovedItem } from '../changes/change-kinds.js';
import type { JobKindDefinition } from '../jobs/job-kinds.js';
import { filterCondition, type ProductFilters } from '../products/filters.js';
import { assignmentsOf } from './assignments.repository.js';
import { bulkChangeSet } from './assignments.service.js';
import { planAssignment, planRemoval } from './assignment-rules.js';

export type BulkOperation = 'assign' | 'remove';

/** What a bulk request asks, normalised (the job's params). */
export interface BulkSpec {
  operation: BulkOperation;
  /** Known categories only (a filter request with an unknown one is refused). */
  categoryIds: number[];
  removeUnneededParents: boolean;
}

/**
 * The products a request names, as a condition on `products p` (so that each query joins the
 * products in the way its plan needs: driven by a category's rows, or scanning the products).
 */
export const productSet = {
  filter: (filters: ProductFilters) => filterCondition(filters),
  handles: (handles: readonly string[]) => sql`p.product_id = any(${arrayParam(handles)}::text[])`,
  ids: (ids: readonly number[]) => sql`p.id = any(${arrayParam(ids)}::integer[])`,
};

/** The ids of the products a condition names. */
const idsOf = (where: SQL) => sql`select p.id from products p where ${where}`;

/** The category rows an operation touches, from the taxonomy. */
function categorySets(index: CategoryIndex, spec: BulkSpec) {
  const requested = new Set(spec.categoryIds);
  // assign: every category on the requested paths (the requested ones and their ancestors).
  const closure = [...new Set(spec.categoryIds.flatMap((id) => index.pathIds(id)))].map((id) => {
    const row = index.get(id)!;
    return { id, level: row.level, parentId: row.parent_id, requested: requested.has(id) };
  });
  // remove: the requested categories and everything below them.
  const removable = [...new Set(spec.categoryIds.flatMap((id) => [id, ...index.descendants(id)]))];
  const removableSet = new Set(removable);
  // remove: (requested category, one of its ancestors not removed itself, its level).
  const ancestorPairs = spec.categoryIds.flatMap((id) =>
    index
      .ancestors(id)
      .filter((ancestor) => !removableSet.has(ancestor.id))
      .map((ancestor) => ({ categoryId: id, ancestorId: ancestor.id, level: ancestor.level })),
  );
  return { requested, closure, removable, ancestorPairs };
}

/**
 * Every assignment row an assign wants for the products of `set`: each product × the requested
 * categories and their ancestors. Those it already has are skipped by the insert's
 * `on conflict do nothing` (one probe of the primary key per row). A `not exists` here was
 * planned as a hash anti-join over all of product_categories: a sequential scan of 1,878,200
 * rows and ~0.5 s in every 10,000-product batch of a job at 1,000,000 products.
 */
function wantedRows(where: SQL, sets: ReturnType<typeof categorySets>) {
  return sql`select s.id as product_id, r.category_id, r.category_level, r.parent_category_id, r.requested
      from (${idsOf(where)}) s
      cross join unnest(${arrayParam(sets.closure.map((c) => c.id))}::integer[],
                        ${arrayParam(sets.closure.map((c) => c.level))}::smallint[],
                        ${arrayParam(sets.closure.map((c) => c.parentId))}::integer[],
                        ${arrayParam(sets.closure.map((c) => c.requested))}::boolean[])
                 as r(category_id, category_level, parent_category_id, requested)`;
}

/** The assignment rows a remove deletes first: the requested categories and their descendants. */
function removedRows(where: SQL, sets: ReturnType<typeof categorySets>) {
  return sql`select pc.product_id, pc.category_id
      from product_categories pc join products p on p.id = pc.product_id
     where pc.category_id = any(${arrayParam(sets.removable)}::integer[]) and ${where}`;
}

/** (product, ancestor) pairs: assigned ancestors of a category removed from that product. */
function ancestorCandidates(removed: SQL, sets: ReturnType<typeof categorySets>) {
  return sql`select distinct r.product_id, m.ancestor_id as category_id, m.level
      from (${removed}) r
      join unnest(${arrayParam(sets.ancestorPairs.map((pair) => pair.categoryId))}::integer[],
                  ${arrayParam(sets.ancestorPairs.map((pair) => pair.ancestorId))}::integer[],
                  ${arrayParam(sets.ancestorPairs.map((pair) => pair.level))}::smallint[])
           as m(category_id, ancestor_id, level) on m.category_id = r.category_id
      join product_categories pc on pc.product_id = r.product_id and pc.category_id = m.ancestor_id`;
}

interface Counted {
  category_id: number;
  products: number;
}

const perCategory = (index: CategoryIndex, rows: Counted[]) =>
  index.sortForDisplay(rows.map((row) => row.category_id)).map((id) => ({
    category_id: id,
    path: index.path(id),
    products: rows.find((row) => row.category_id === id)!.products,
  }));

/** The preview without `runs_as_job` (the caller knows the limit). */
export async function previewBulk(
  executor: Executor,
  index: CategoryIndex,
  set: SQL,
  spec: BulkSpec,
): Promise<Omit<BulkPreview, 'runs_as_job'>> {
  const sets = categorySets(index, spec);
  if (spec.operation === 'assign') {
    // Counted from the rows the products already have (read through the category index),
    // not by probing every (product, category) pair: a product lacking a category on a
    // requested path lacks the requested category below it, so it gains the whole path.
    const closureIds = sets.closure.map((c) => c.id);
    const row = await queryOne<{
      matched: number;
      complete: number;
      existing: Counted[];
      uncategorised: number;
      sample: number[];
    }>(
      executor,
      sql`with have as materialized (
                 select pc.product_id, pc.category_id
                   from product_categories pc join products p on p.id = pc.product_id
                  where pc.category_id = any(${arrayParam(closureIds)}::integer[]) and ${set}),
               complete as materialized (
                 select product_id from have group by product_id
                 having count(*) = ${closureIds.length})
          select (select count(*)::int from products p where ${set}) as matched,
                 (select count(*)::int from complete) as complete,
                 (select coalesce(json_agg(json_build_object('category_id', category_id, 'products', n)), '[]'::json)
                    from (select category_id, count(*)::int as n from have group by 1) g) as existing,
                 (select count(*)::int from products p join product_state s on s.id = p.id
                   where s.category_count = 0 and ${set}) as uncategorised,
                 array(select p.id from products p
                        where ${set} and not exists (select 1 from complete c where c.product_id = p.id)
                        order by p.id limit 10) as sample`,
    );
    const counts = row!;
    const changing = closureIds.length === 0 ? 0 : counts.matched - counts.complete;
    const gained = sets.closure
      .map((category) => ({
        category_id: category.id,
        requested: category.requested,
        products:
          counts.matched -
          (counts.existing.find((entry) => entry.category_id === category.id)?.products ?? 0),
      }))
      .filter((entry) => entry.products > 0);
    return {
      dry_run: true,
      matched: counts.matched,
      will_change: changing,
      unchanged: counts.matched - changing,
      categories: perCategory(
        index,
        gained.filter((c) => c.requested),
      ),
      ancestors_added: perCategory(
        index,
        gained.filter((c) => !c.requested),
      ),
      descendants_removed: [],
      parents_removed: [],
      parents_kept: [],
      become_categorized: changing === 0 ? 0 : counts.uncategorised,
      become_uncategorized: 0,
      sample: changing === 0 ? [] : await sampleOf(executor, index, counts.sample, spec),
    };
  }
  const unneeded = spec.removeUnneededParents;
  const row = await queryOne<{
    matched: number;
    will_change: number;
    removed: Counted[];
    parents_removed: Counted[];
    parents_kept: Counted[];
    become_uncategorized: number;
    sample: number[];
  }>(
    executor,
    sql`with removed as materialized (${removedRows(set, sets)}),
             candidates as materialized (${ancestorCandidates(sql`select * from removed`, sets)}),
             unneeded2 as materialized (
               select c.product_id, c.category_id from candidates c
                where ${unneeded}::boolean and c.level = 2 and not exists (
                  select 1 from product_categories ch
                   where ch.product_id = c.product_id and ch.parent_category_id = c.category_id
                     and not (ch.category_id = any(${arrayParam(sets.removable)}::integer[])))),
             unneeded1 as materialized (
               select c.product_id, c.category_id from candidates c
                where ${unneeded}::boolean and c.level = 1 and not exists (
                  select 1 from product_categories ch
                   where ch.product_id = c.product_id and ch.parent_category_id = c.category_id
                     and not (ch.category_id = any(${arrayParam(sets.removable)}::integer[]))
                     and not exists (select 1 from unneeded2 u
                                      where u.product_id = ch.product_id and u.category_id = ch.category_id))),
             gone as materialized (
               select product_id, category_id from removed
               union all select product_id, category_id from unneeded2
               union all select product_id, category_id from unneeded1)
        select (select count(*)::int from products p where ${set}) as matched,
               (select count(distinct product_id)::int from removed) as will_change,
               (select coalesce(json_agg(json_build_object('category_id', category_id, 'products', n)), '[]'::json)
                  from (select category_id, count(*)::int as n from removed group by 1) g) as removed,
               (select coalesce(json_agg(json_build_object('category_id', category_id, 'products', n)), '[]'::json)
                  from (select category_id, count(*)::int as n
                          from (select * from unneeded2 union all select * from unneeded1) u group by 1) g)
                 as parents_removed,
               (select coalesce(json_agg(json_build_object('category_id', category_id, 'products', n)), '[]'::json)
                  from (select c.category_id, count(*)::int as n from candidates c
                         where not exists (select 1 from gone g
                                            where g.product_id = c.product_id and g.category_id = c.category_id)
                         group by 1) g) as parents_kept,
               (select count(*)::int from (select product_id, count(*) as n from gone group by 1) per
                  join product_state s on s.id = per.product_id where s.category_count = per.n)
                 as become_uncategorized,
               array(select distinct product_id from removed order by product_id limit 10) as sample`,
  );
  const counts = row!;
  return {
    dry_run: true,
    matched: counts.matched,
    will_change: counts.will_change,
    unchanged: counts.matched - counts.will_change,
    categories: perCategory(
      index,
      counts.removed.filter((c) => sets.requested.has(c.category_id)),
    ),
    ancestors_added: [],
    descendants_removed: perCategory(
      index,
      counts.removed.filter((c) => !sets.requested.has(c.category_id)),
    ),
    parents_removed: perCategory(index, counts.parents_removed),
    parents_kept: perCategory(index, counts.parents_kept),
    become_categorized: 0,
    become_uncategorized: counts.become_uncategorized,
    sample: await sampleOf(executor, index, counts.sample, spec),
  };
}

/** Up to 10 products that would change, before → after, planned by assignment-rules.ts. */
async function sampleOf(
  executor: Executor,
  index: CategoryIndex,
  ids: number[],
  spec: BulkSpec,
): Promise<BulkPreview['sample']> {
  if (ids.length === 0) return [];
  const products = await queryRows<{ id: number; product_id: string; product_name: string }>(
    executor,
    sql`select id, product_id, product_name from products
         where id = any(${arrayParam(ids)}::integer[]) order by id`,
  );
  const current = new Map<number, Set<number>>(products.map((p) => [p.id, new Set()]));
  for (const row of await assignmentsOf(executor, ids))
    current.get(row.product_id)?.add(row.category_id);
  const paths = (ids: Iterable<number>) => index.sortForDisplay(ids).map((id) => index.path(id));
  return products.map((product) => {
    const before = current.get(product.id)!;
    let after: Set<number>;
    if (spec.operation === 'assign') {
      const plan = planAssignment(index, before, spec.categoryIds);
      after = new Set([...before, ...plan.added, ...plan.ancestorsAdded]);
    } else {
      const plan = planRemoval(index, before, spec.categoryIds, spec.removeUnneededParents);
      const gone = new Set([...plan.removed, ...plan.descendantsRemoved, ...plan.parentsRemoved]);
      after = new Set([...before].filter((id) => !gone.has(id)));
    }
    return {
      product_id: product.product_id,
      product_name: product.product_name,
      before: paths(before),
      after: paths(after),
    };
  });
}

/** What one batch wrote: its rows grouped per product, with the handles. */
interface BatchRows {
  /** Products of the batch that still exist. */
  found: number;
  rows: { id: number; handle: string; category_ids: number[] }[];
}

/**
 * The handle is looked up per product (one probe of products_pkey each): a join was planned as a
 * merge join walking products_pkey from the first id up to the batch's, which grew with every
 * batch of a job (~100 ms at the 200,000th product, ~0.5 s at the 1,000,000th).
 */
const groupedByProduct = (written: SQL) =>
  sql`select g.id, (select p.product_id from products p where p.id = g.id) as handle, g.category_ids
        from (select w.product_id as id, array_agg(w.category_id order by w.category_id) as category_ids
                from (${written}) w group by w.product_id) g
       order by g.id`;

/** Locks the products of a batch in id order (as every other writer does), and counts them. */
async function lockBatch(executor: Executor, set: SQL): Promise<number> {
  const row = await queryOne<{ found: number }>(
    executor,
    sql`select count(*)::int as found from (
          select p.id from products p where ${set} order by p.id for update) locked`,
  );
  return row!.found;
}

/** Assigns the categories (and their missing ancestors) to the products of `set`, set-based. */
export async function assignSet(
  executor: Executor,
  index: CategoryIndex,
  set: SQL,
  spec: BulkSpec,
): Promise<BatchRows> {
  const sets = categorySets(index, spec);
  const found = await lockBatch(executor, set);
  await lockCategoryCounters(
    executor,
    sets.closure.map((c) => c.id),
  );
  // A parent and its child inserted by one statement: the closure check runs at its end.
  const rows = await queryRows<BatchRows['rows'][number]>(
    executor,
    sql`with inserted as (
          insert into product_categories (product_id, category_id, category_level, parent_category_id)
          select product_id, category_id, category_level, parent_category_id
            from (${wantedRows(set, sets)}) m
          on conflict (product_id, category_id) do nothing
          returning product_id, category_id)
        ${groupedByProduct(sql`select * from inserted`)}`,
  );
  return { found, rows };
}

/** Removes the categories (descendants, and unneeded parents when asked) from `set`'s products. */
export async function removeSet(
  executor: Executor,
  index: CategoryIndex,
  set: SQL,
  spec: BulkSpec,
): Promise<BatchRows> {
  const sets = categorySets(index, spec);
  const found = await lockBatch(executor, set);
  const ids = [
    ...sets.removable,
    ...(spec.removeUnneededParents ? sets.ancestorPairs.map((pair) => pair.ancestorId) : []),
  ];
  await lockCategoryCounters(executor, ids);
  const removed = await queryRows<{ product_id: number; category_id: number }>(
    executor,
    sql`delete from product_categories pc
         where pc.product_id in (${idsOf(set)})
           and pc.category_id = any(${arrayParam(sets.removable)}::integer[])
        returning pc.product_id, pc.category_id`,
  );
  const gone = [...removed];
  if (spec.removeUnneededParents && removed.length > 0 && sets.ancestorPairs.length > 0) {
    const removedSql = sql`select * from unnest(
        ${arrayParam(removed.map((r) => r.product_id))}::integer[],
        ${arrayParam(removed.map((r) => r.category_id))}::integer[]) as r(product_id, category_id)`;
    // Deepest first: a level-2 parent left without a child goes, then a level-1 one.
    for (const level of [2, 1]) {
      gone.push(
        ...(await queryRows<{ product_id: number; category_id: number }>(
          executor,
          sql`delete from product_categories pc
               using (${ancestorCandidates(removedSql, sets)}) c
               where c.level = ${level} and pc.product_id = c.product_id and pc.category_id = c.category_id
                 and not exists (select 1 from product_categories ch
                                  where ch.product_id = pc.product_id and ch.parent_category_id = pc.category_id)
              returning pc.product_id, pc.category_id`,
        )),
      );
    }
  }
  if (gone.length === 0) return { found, rows: [] };
  const rows = await queryRows<BatchRows['rows'][number]>(
    executor,
    groupedByProduct(sql`select * from unnest(
        ${arrayParam(gone.map((r) => r.product_id))}::integer[],
        ${arrayParam(gone.map((r) => r.category_id))}::integer[]) as g(product_id, category_id)`),
  );
  return { found, rows };
}

/** A batch's rows as the change set's items and summary (the shape a small bulk write records). */
export function batchChange(index: CategoryIndex, spec: BulkSpec, batch: BatchRows) {
  const requested = new Set(spec.categoryIds);
  const flat = batch.rows.flatMap((row) =>
    row.category_ids.map((categoryId) => ({ productId: row.id, categoryId })),
  );
  const requestedRows = flat.filter((row) => requested.has(row.categoryId)).length;
  if (spec.operation === 'assign') {
    const summary = {
      products_processed: batch.found,
      total_assigned: requestedRows,
      total_ancestors_added: flat.length - requestedRows,
      total_skipped: batch.found * spec.categoryIds.length - requestedRows,
      total_errors: 0,
    };
    const changed: BulkAssignedItem[] = batch.rows.map((row) => ({
      product_id: row.handle,
      added: index.sortForDisplay(row.category_ids),
    }));
    return { summary, change: bulkChangeSet(flat, summary, changed) };
  }
  const parentIds = new Set(
    spec.removeUnneededParents
      ? categorySets(index, spec).ancestorPairs.map((p) => p.ancestorId)
      : [],
  );
  const parents = flat.filter((row) => parentIds.has(row.categoryId)).length;
  const summary = {
    products_processed: batch.found,
    total_removed: requestedRows,
    total_descendants_removed: flat.length - requestedRows - parents,
    ...(spec.removeUnneededParents ? { total_parents_removed: parents } : {}),
    total_skipped: batch.found * spec.categoryIds.length - requestedRows,
    total_errors: 0,
  };
  const changed: BulkRemovedItem[] = batch.rows.map((row) => ({
    product_id: row.handle,
    removed: index.sortForDisplay(row.category_ids),
  }));
  return {
    summary,
    change: bulkChangeSet(
      flat,
      summary,
      changed,
      spec.removeUnneededParents ? { remove_unneeded_parents: true } : {},
    ),
  };
}

/** A bulk job's params (stored on the job). */
export interface BulkJobParams {
  filter: ProductFilters;
  category_ids: number[];
  remove_unneeded_parents?: boolean;
}

const specOf = (operation: BulkOperation, params: BulkJobParams): BulkSpec => ({
  operation,
  categoryIds: params.category_ids,
  removeUnneededParents: params.remove_unneeded_parents === true,
});

/**
 * The job kinds `bulk.assign` and `bulk.remove`. Start fixes the match (job_items, the filter's
 * products at that moment); each batch takes the next JOB_BATCH_SIZE of them by product id
 * (keyset: the cursor is the last id done) and writes them set-based. Resumable: a batch is
 * idempotent from its cursor, and the match is fixed, so a restarted job continues exactly.
 */
export function bulkJobKind<Change extends 'bulk.assign' | 'bulk.remove'>(
  operation: BulkOperation,
  changeKind: Change,
): JobKindDefinition<Change> {
  return {
    description:
      operation === 'assign' ? 'categories assigned by filter' : 'categories removed by filter',
    unit: 'products',
    changeKind,
    resumable: true,
    async start(transaction, job) {
      const params = job.params as unknown as BulkJobParams;
      const inserted = await queryOne<{ total: number }>(
        transaction,
        sql`with snapshot as (
              insert into job_items (job_id, product_id)
              select ${job.id}, p.id from products p where ${filterCondition(params.filter)}
              on conflict do nothing
              returning 1)
            select count(*)::int as total from snapshot`,
      );
      // Statistics of the snapshot, so that each batch's read of the next products is an index
      // walk: planned on stale figures (none, with autovacuum off or not yet run), it was a bitmap
      // scan of every remaining item and a sort, ~150-200 ms per batch at 1,000,000 products.
      await transaction.execute(sql`analyze job_items`);
      return { total: inserted!.total, cursor: { after: 0 } };
    },
    async runBatch(transaction, job, deps) {
      const params = job.params as unknown as BulkJobParams;
      const spec = specOf(operation, params);
      const after = (job.cursor as { after: number } | null)?.after ?? 0;
      const items = await queryRows<{ product_id: number }>(
        transaction,
        sql`select product_id from job_items
             where job_id = ${job.id} and product_id > ${after}
             order by product_id limit ${deps.batchSize}`,
      );
      if (items.length === 0) {
        return { done: 0, counters: {}, cursor: { after }, finished: true, change: null };
      }
      const ids = items.map((item) => item.product_id);
      const index = await deps.services.categories.index(transaction);
      // The categories may have been deleted since the request: only those still there.
      const known = { ...spec, categoryIds: spec.categoryIds.filter((id) => index.has(id)) };
      const set = productSet.ids(ids);
      const written =
        operation === 'assign'
          ? await assignSet(transaction, index, set, known)
          : await removeSet(transaction, index, set, known);
      const { summary, change } = batchChange(index, known, written);
      const counters: Record<string, number> = { ...summary };
      delete counters.products_processed;
      return {
        done: ids.length,
        counters: { ...counters, products_changed: written.rows.length },
        cursor: { after: ids[ids.length - 1]! },
        finished: ids.length < deps.batchSize,
        change: change as never,
      };
    },
    result(job) {
      return { products_processed: job.done, ...job.counters };
    },
  };
}
