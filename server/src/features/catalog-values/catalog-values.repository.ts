/** Distinct values of a product field, with their product counts. */
import type { CatalogValue } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { queryRows, type Executor } from '../../db/client.js';
import { likeLiteral } from '../../db/sql.js';

/** The fields whose values are listed, and their columns. */
export const VALUE_COLUMNS = {
  vendor: sql`p.vendor`,
  product_type: sql`p.product_type`,
} as const;
export type ValueField = keyof typeof VALUE_COLUMNS;

export function distinctValues(
  executor: Executor,
  field: ValueField,
  options: { search?: string | undefined; limit: number },
): Promise<CatalogValue[]> {
  const column = VALUE_COLUMNS[field];
  const prefix = options.search
    ? sql`and ${column} ilike ${`${likeLiteral(options.search)}%`}`
    : sql``;
  return queryRows<CatalogValue>(
    executor,
    sql`select ${column} as value, count(*)::int as product_count
          from products p
         where ${column} is not null ${prefix}
         group by ${column}
         order by count(*) desc, ${column}
         limit ${options.limit}`,
  );
}
