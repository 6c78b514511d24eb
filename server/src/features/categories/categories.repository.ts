/** Every query on the categories table. */
import { sql } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import type { CategoryRecord } from '../changes/change-kinds.js';
import { arrayParam, isoTime, preparedRows } from '../../db/sql.js';

export interface CategoryRow {
  id: number;
  name: string;
  level: number;
  parent_id: number | null;
  product_count: number;
  created_at: string;
  updated_at: string;
}

const columns = sql`id, name, level, parent_id, product_count,
  ${isoTime(sql`created_at`)} as created_at, ${isoTime(sql`updated_at`)} as updated_at`;

/** The whole taxonomy: small (hundreds to a few thousand rows) and needed for every path. */
export function loadAllCategories(executor: Executor): Promise<CategoryRow[]> {
  return preparedRows<CategoryRow>(
    executor,
    sql`select ${columns} from categories order by level, normalized_name, id`,
  );
}

/** The trigger-kept product counts of these categories (unknown ids are left out). */
export async function productCountsOf(
  executor: Executor,
  ids: readonly number[],
): Promise<Map<number, number>> {
  const rows = await preparedRows<{ id: number; product_count: number }>(
    executor,
    sql`select id, product_count from categories where id = any(${arrayParam(ids)}::integer[])`,
  );
  return new Map(rows.map((row) => [row.id, row.product_count]));
}

export function findSibling(
  executor: Executor,
  parentId: number | null,
  name: string,
): Promise<{ id: number; name: string } | undefined> {
  return queryOne(
    executor,
    sql`select id, name from categories
         where parent_id is not distinct from ${parentId}
           and normalized_name = lower(regexp_replace(btrim(${name}::text), '\\s+', ' ', 'g'))`,
  );
}

export async function insertCategory(
  executor: Executor,
  values: { name: string; level: number; parentId: number | null },
): Promise<CategoryRow> {
  const row = await queryOne<CategoryRow>(
    executor,
    sql`insert into categories (name, level, parent_id, parent_level)
        values (${values.name}, ${values.level}, ${values.parentId},
                ${values.parentId === null ? null : values.level - 1})
        returning ${columns}`,
  );
  return row!;
}

export async function renameCategory(
  executor: Executor,
  id: number,
  name: string,
): Promise<CategoryRow | undefined> {
  return queryOne<CategoryRow>(
    executor,
    sql`update categories set name = ${name}, updated_at = now() where id = ${id} returning ${columns}`,
  );
}

/** Locks the category row so that its usage counts cannot change until the transaction ends. */
export function lockCategoryUsage(
  executor: Executor,
  id: number,
): Promise<(Omit<CategoryRow, 'updated_at'> & { child_count: number }) | undefined> {
  return queryOne(
    executor,
    sql`select c.id, c.name, c.level, c.parent_id, c.product_count,
               ${isoTime(sql`c.created_at`)} as created_at,
               (select count(*)::int from categories child where child.parent_id = c.id) as child_count
          from categories c where c.id = ${id} for update`,
  );
}

export async function deleteCategory(executor: Executor, id: number): Promise<void> {
  await executor.execute(sql`delete from categories where id = ${id}`);
}

/**
 * Locks category rows in id order before their counters change. The counter trigger updates
 * them in whatever order its join yields; taking the locks first, in one order, means two
 * writers touching the same categories queue instead of deadlocking.
 */
export async function lockCategoryCounters(
  executor: Executor,
  ids: readonly number[],
): Promise<void> {
  if (ids.length === 0) return;
  await executor.execute(sql`
    select id from categories where id = any(${arrayParam([...new Set(ids)])}::integer[])
     order by id for no key update`);
}

/** Category rows as an undo re-creates them (creation time to the microsecond, sample flag). */
export function categoryRecords(
  transaction: Executor,
  ids: readonly number[],
): Promise<CategoryRecord[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return queryRows<CategoryRecord>(
    transaction,
    sql`select id, name, level, parent_id,
               to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
               is_sample
          from categories where id = any(${arrayParam(ids)}::integer[]) order by id`,
  );
}
