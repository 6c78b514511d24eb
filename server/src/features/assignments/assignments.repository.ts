/** Assignment rows (product_categories): read, lock, insert, delete. Ids here are integer row ids. */
import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { arrayParam, preparedRows } from '../../db/sql.js';

/** Locks products by handle, in id order so that concurrent writers never deadlock. */
export function lockProducts(
  executor: Executor,
  handles: readonly string[],
): Promise<{ id: number; product_id: string }[]> {
  return queryRows(
    executor,
    sql`select id, product_id from products
         where product_id = any(${arrayParam(handles)}::text[])
         order by id for update`,
  );
}

export interface AssignmentRow {
  product_id: number;
  category_id: number;
}

export function assignmentsOf(
  executor: Executor,
  productIds: readonly number[],
): Promise<AssignmentRow[]> {
  if (productIds.length === 0) return Promise.resolve([]);
  return preparedRows<AssignmentRow>(
    executor,
    sql`select product_id, category_id from product_categories
         where product_id = any(${arrayParam(productIds)}::integer[])`,
  );
}

export interface NewAssignment {
  productId: number;
  categoryId: number;
  categoryLevel: number;
  parentCategoryId: number | null;
}

/** Inserts assignments in one statement (the closure FK is checked at its end). */
export async function insertAssignments(
  executor: Executor,
  assignments: readonly NewAssignment[],
): Promise<void> {
  if (assignments.length === 0) return;
  await executor.execute(sql`
    insert into product_categories (product_id, category_id, category_level, parent_category_id)
    select * from unnest(
      ${arrayParam(assignments.map((a) => a.productId))}::integer[],
      ${arrayParam(assignments.map((a) => a.categoryId))}::integer[],
      ${arrayParam(assignments.map((a) => a.categoryLevel))}::smallint[],
      ${arrayParam(assignments.map((a) => a.parentCategoryId))}::integer[])`);
}

export async function deleteAssignments(
  executor: Executor,
  assignments: readonly AssignmentRow[],
): Promise<void> {
  if (assignments.length === 0) return;
  await executor.execute(sql`
    delete from product_categories pc
     using unnest(${arrayParam(assignments.map((a) => a.product_id))}::integer[],
                  ${arrayParam(assignments.map((a) => a.category_id))}::integer[]) as gone(product_id, category_id)
     where pc.product_id = gone.product_id and pc.category_id = gone.category_id`);
}

/** The assignments of one category (a category delete records them). */
export function assignmentsOfCategory(
  executor: Executor,
  categoryId: number,
): Promise<AssignmentRow[]> {
  return queryRows<AssignmentRow>(
    executor,
    sql`select product_id, category_id from product_categories where category_id = ${categoryId}
         order by product_id`,
  );
}
