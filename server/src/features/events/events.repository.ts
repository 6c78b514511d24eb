/** What a live event reads besides the change set: the new counts of what it touched. */
import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { arrayParam } from '../../db/sql.js';

/** The product count of each of these categories (deleted ones are left out). */
export function categoryProductCounts(executor: Executor, ids: readonly number[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return queryRows<{ id: number; product_count: number }>(
    executor,
    sql`select id, product_count::int as product_count from categories
         where id = any(${arrayParam(ids)}::integer[]) order by id`,
  );
}
