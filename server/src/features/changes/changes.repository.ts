/** The change-set log: every write records who, when, what kind, which ids, before → after. */
import { sql, type SQL } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { arrayParam, isoTime } from '../../db/sql.js';
import { outboxInsertOf } from '../webhooks/webhooks.repository.js';
import { webhookPayload } from '../webhooks/webhook-event.js';
import type { ChangeKind, ChangePayloads } from './change-kinds.js';

export type ChangeSource = 'api' | 'import' | 'cli' | 'seed' | 'system';

/** Who is writing and through what: passed from the edge (route, CLI) into every write. */
export interface WriteContext {
  actor: string;
  source: ChangeSource;
  requestId?: string | undefined;
  /** The job whose batch writes (issue 13): recorded as the change set's job_id. */
  jobId?: number | undefined;
  /** The change set this write undoes (POST /api/changes/{id}/undo); recorded as `reverts`. */
  reverts?: number | undefined;
}

/**
 * The PostgreSQL NOTIFY channel of committed change sets (live updates, docs/live-updates.md):
 * the payload is the change set's id alone; listeners read the rest from the log.
 */
export const CHANGE_SETS_CHANNEL = 'tag_manager_change_sets';

/**
 * Stores one change set and answers its id. Writes call it through applyChange
 * (apply-change.ts); only the seeder, which loads outside one transaction and outside the app's
 * cache, calls it directly. The same statement
 *
 * - writes its webhook outbox rows (one per webhook subscribed to its kind; none when there is
 *   no webhook): a change set and its deliveries commit together (docs/webhooks.md);
 * - notifies CHANGE_SETS_CHANNEL: PostgreSQL delivers a notification sent inside a transaction
 *   when, and only if, that transaction commits, so every instance hears each committed change
 *   set exactly once and never one that rolled back.
 */
export async function recordChange<Kind extends ChangeKind>(
  executor: Executor,
  context: WriteContext,
  change: ChangePayloads[Kind] & { kind: Kind },
): Promise<number> {
  const row = await queryOne<{ id: number }>(
    executor,
    sql`
    with change as (
      insert into change_sets (actor, source, kind, request_id, job_id, product_ids, category_ids, before, after, reverts)
      values (${context.actor}, ${context.source}, ${change.kind}, ${context.requestId ?? null},
              ${context.jobId ?? null},
              ${arrayParam(change.productIds)}::integer[], ${arrayParam(change.categoryIds)}::integer[],
              ${JSON.stringify(change.before)}::jsonb, ${JSON.stringify(change.after)}::jsonb,
              ${context.reverts ?? null})
      returning id, created_at),
    outbox as (${outboxInsertOf(change.kind, webhookPayload(change.kind, context, change))})
    select id::int as id, pg_notify(${CHANGE_SETS_CHANNEL}, id::text)::text as notified from change`,
  );
  return row!.id;
}

export interface ChangeRow {
  id: number;
  created_at: string;
  actor: string;
  source: string;
  kind: string;
  request_id: string | null;
  product_ids: number[];
  category_ids: number[];
  before: unknown;
  after: unknown;
  job_id: number | null;
  reverts: number | null;
}

/** What the log can be filtered by (every field optional; `productId` is the row id). */
export interface ChangeFilter {
  productId?: number | undefined;
  categoryId?: number | undefined;
  kind?: string | undefined;
  actor?: string | undefined;
  jobId?: number | undefined;
}

const changeColumns = sql`id::int as id, ${isoTime(sql`created_at`)} as created_at, actor, source,
  kind, request_id, product_ids, category_ids, before, after, job_id::int as job_id,
  reverts::int as reverts`;

/** The filter as SQL: each condition is served by an index (GIN on the id arrays, btree else). */
function whereOf(filter: ChangeFilter): SQL {
  const conditions: SQL[] = [sql`true`];
  if (filter.productId !== undefined)
    conditions.push(sql`product_ids @> array[${filter.productId}::integer]`);
  if (filter.categoryId !== undefined)
    conditions.push(sql`category_ids @> array[${filter.categoryId}::integer]`);
  if (filter.kind !== undefined) conditions.push(sql`kind = ${filter.kind}`);
  if (filter.actor !== undefined) conditions.push(sql`actor = ${filter.actor}`);
  if (filter.jobId !== undefined) conditions.push(sql`job_id = ${filter.jobId}`);
  return sql.join(conditions, sql` and `);
}

export async function listChanges(
  executor: Executor,
  filter: ChangeFilter,
  limit: number,
  offset: number,
) {
  const where = whereOf(filter);
  const rows = await queryRows<ChangeRow>(
    executor,
    sql`select ${changeColumns} from change_sets where ${where}
         order by id desc limit ${limit} offset ${offset}`,
  );
  const total = await queryOne<{ total: number }>(
    executor,
    sql`select count(*)::int as total from change_sets where ${where}`,
  );
  return { rows, total: total?.total ?? 0 };
}

/** One change set; `forUpdate` locks it (an undo holds it so that two undos queue). */
export function findChange(
  executor: Executor,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<ChangeRow | undefined> {
  return queryOne<ChangeRow>(
    executor,
    sql`select ${changeColumns} from change_sets where id = ${id}
        ${options.forUpdate ? sql`for update` : sql``}`,
  );
}

/** The first change set that undid `id` (null: not undone); `exceptJob` ignores one job's. */
export async function undoneBy(
  executor: Executor,
  id: number,
  exceptJob?: number,
): Promise<number | null> {
  const row = await queryOne<{ id: number }>(
    executor,
    sql`select id::int as id from change_sets where reverts = ${id}
        ${exceptJob === undefined ? sql`` : sql`and job_id is distinct from ${exceptJob}`}
        order by id limit 1`,
  );
  return row?.id ?? null;
}

/** A later change set touching one of `productIds` and one of `categoryIds`, per product. */
export interface LaterProductChange {
  id: number;
  kind: string;
  product_id: number;
  category_ids: number[];
}

export function laterProductChanges(
  executor: Executor,
  after: number,
  productIds: readonly number[],
  categoryIds: readonly number[],
): Promise<LaterProductChange[]> {
  if (productIds.length === 0 || categoryIds.length === 0) return Promise.resolve([]);
  const products = arrayParam(productIds);
  // The products are joined (hashed), not compared with `= any(array)` per unnested id.
  return queryRows<LaterProductChange>(
    executor,
    sql`select cs.id::int as id, cs.kind, touched.product_id, cs.category_ids
          from change_sets cs
          cross join lateral unnest(cs.product_ids) as touched(product_id)
          join unnest(${products}::integer[]) as mine(product_id)
            on mine.product_id = touched.product_id
         where cs.id > ${after}
           and cs.product_ids && ${products}::integer[]
           and cs.category_ids && ${arrayParam(categoryIds)}::integer[]
         order by cs.id`,
  );
}

/** Later change sets touching one of `categoryIds` (products aside), oldest first. */
export function laterCategoryChanges(
  executor: Executor,
  after: number,
  categoryIds: readonly number[],
): Promise<{ id: number; kind: string; category_ids: number[] }[]> {
  if (categoryIds.length === 0) return Promise.resolve([]);
  return queryRows(
    executor,
    sql`select id::int as id, kind, category_ids from change_sets
         where id > ${after} and category_ids && ${arrayParam(categoryIds)}::integer[]
         order by id`,
  );
}

/** The newest change set after `id` (a conflict nothing in the log explains points at it). */
export async function newestChangeAfter(executor: Executor, id: number): Promise<number> {
  const row = await queryOne<{ id: number }>(
    executor,
    sql`select coalesce(max(id), ${id})::int as id from change_sets where id > ${id}`,
  );
  return row?.id ?? id;
}

/** The ids of the change sets after `id`, oldest first, at most `limit`. */
export async function changeSetIdsAfter(executor: Executor, id: number, limit: number) {
  const rows = await queryRows<{ id: number }>(
    executor,
    sql`select id::int as id from change_sets where id > ${id} order by id limit ${limit}`,
  );
  return rows.map((row) => row.id);
}

/**
 * The reorder window below `id` (live updates, docs/live-updates.md "Out of order"): the ids
 * below it whose transaction started at most `windowMs` before its did, oldest first, at most
 * `limit` (the newest). Ids come from a sequence and transactions commit in any order, so a
 * change set with a lower id can commit after `id` did; its transaction started before its id
 * was taken, and at most its duration before it committed.
 */
export async function changeSetIdsBelow(
  executor: Executor,
  id: number,
  windowMs: number,
  limit: number,
) {
  const rows = await queryRows<{ id: number }>(
    executor,
    sql`select id::int as id from change_sets
         where id < ${id}
           and created_at >= (select created_at from change_sets where id <= ${id}
                               order by id desc limit 1) - ${windowMs} * interval '1 millisecond'
         order by id desc limit ${limit}`,
  );
  return rows.map((row) => row.id).reverse();
}

/**
 * The newest change set id and the committed ids of its reorder window, oldest first (one
 * statement, so one snapshot): where a live-updates reader starting now is.
 */
export async function committedChangeSetIds(executor: Executor, windowMs: number, limit: number) {
  const rows = await queryRows<{ id: number }>(
    executor,
    sql`with newest as (select id, created_at from change_sets order by id desc limit 1)
        select change_sets.id::int as id from change_sets, newest
         where change_sets.id <= newest.id
           and change_sets.created_at >= newest.created_at - ${windowMs} * interval '1 millisecond'
         order by change_sets.id desc limit ${limit}`,
  );
  const ids = rows.map((row) => row.id).reverse();
  return { position: ids.at(-1) ?? 0, committed: ids };
}

/** These change sets, oldest first (ids not in the log are left out). */
export function changeSetsByIds(executor: Executor, ids: readonly number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return queryRows<ChangeRow>(
    executor,
    sql`select ${changeColumns} from change_sets
         where id = any(${arrayParam(ids)}::bigint[]) order by id`,
  );
}

/** The newest change set's id (0 for an empty log). */
export async function latestChangeId(executor: Executor): Promise<number> {
  const row = await queryOne<{ id: number }>(
    executor,
    sql`select coalesce(max(id), 0)::int as id from change_sets`,
  );
  return row?.id ?? 0;
}
