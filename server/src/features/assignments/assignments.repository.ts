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
  // One probe of the primary key per product (the lateral's `offset 0` keeps it from being
  // flattened into a join): `product_id = any(array)` of 10,000 products was planned as a
  // parallel sequential scan of all assignment rows, 100-150 ms at 1,000,000 products.
  return preparedRows<AssignmentRow>(
    executor,
    sql`select t.id as product_id, pc.category_id
          from (select distinct unnest(${arrayParam(productIds)}::integer[]) as id) t
          cross join lateral (select category_id from product_categories pc
                               where pc.product_id = t.id offset 0) pc`,
  );
}

export interface NewAssignment {
  productId: number;
  categoryId: number;
  categoryLevel: number;
  parentCategoryId: number | null;
}

/**
 * The order in which a large write's rows go to the database, in statements of at most a slice
 * each. Within a product, parents before children on insert and children before parents on
 * delete: the closure check (migration 0026) runs at the end of each statement, so a slice boundary inside
 * one product's rows must never leave a child without its parent. Across products, one product
 * after another: the counter trigger updates each product's product_state row once per
 * statement that touches it, so a product whose rows sit in one statement is updated once
 * (ordered by level alone, a 10,000 × 3 bulk assign's 90,000 rows updated every product's row
 * in each of its 9 statements: 90,000 row versions instead of ~10,000).
 */
export const insertOrder = (a: NewAssignment, b: NewAssignment): number =>
  a.productId - b.productId || a.categoryLevel - b.categoryLevel;

export function deleteOrder(
  levelOf: (categoryId: number) => number,
): (a: AssignmentRow, b: AssignmentRow) => number {
  return (a, b) => a.product_id - b.product_id || levelOf(b.category_id) - levelOf(a.category_id);
}

/** Inserts assignments in one statement (the closure check runs at its end). */
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
