/** Every query on products and their category assignments. */
import type { ProductSort, ProductStatus } from '@tag-manager/contract';
import { sql, type SQL } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { arrayParam, isoTime, preparedRows } from '../../db/sql.js';
import {
  activeFilters,
  filterCondition,
  PRODUCT_FILTER_TABLE,
  type CatalogCounts,
  type FilterDefinition,
  type ProductFilters,
} from './filters.js';
import { exactMatch } from './search.js';

export interface ProductRow {
  id: number;
  product_id: string;
  product_name: string;
  vendor: string | null;
  product_type: string | null;
  status: ProductStatus;
  sku: string | null;
  image_url: string | null;
  tags: string[];
  category_count: number;
  last_modified: string;
  created_at: string;
  /** The sort column as text, exact to the microsecond: the keyset cursor's value. */
  sort_value: string;
  /** With `exactFirst`: 0 for an exact SKU or handle match, 1 for the rest; else null. */
  rank?: number | null;
}

const SORT_COLUMNS: Record<string, SQL> = {
  product_name: sql`p.product_name`,
  last_modified: sql`p.last_modified`,
  product_id: sql`p.product_id`,
};

export function sortSpec(sort: ProductSort) {
  const descending = sort.startsWith('-');
  const key = descending ? sort.slice(1) : sort;
  return { column: SORT_COLUMNS[key]!, descending, key };
}

const productColumns = sql`p.id, p.product_id, p.product_name, p.vendor, p.product_type, p.status,
  p.sku, p.image_url, p.tags, p.category_count,
  ${isoTime(sql`p.last_modified`)} as last_modified, ${isoTime(sql`p.created_at`)} as created_at`;

export type { ProductFilters };
export { filterCondition };

export interface PageRequest {
  sort: ProductSort;
  limit: number;
  offset: number;
  /** Keyset position: rows strictly after (rank, value, id) in the sort order. */
  after?: { value: string; id: number; rank?: number | undefined } | undefined;
  /**
   * Read the category's members first and sort them, rather than walk the sort index and test
   * each product for membership. Right for a small category (a walk would pass over most of the
   * catalog before finding a page of members); wrong for a large one. The caller decides from
   * the category's product count, which the planner cannot see per category.
   */
  membersFirst?: boolean;
  /**
   * A search term some product's SKU or handle equals: those products come first, then the rest
   * in the sort order (`after.rank` is the cursor row's: 0 exact, 1 the rest).
   */
  exactFirst?: string | undefined;
  /** A search's walk of the sort order, in rows (SEARCH_WALK_ROWS; 0: none, straight to the index). */
  walkRows?: number;
  /**
   * The columns to read instead of a ProductRow's (on `p`; `sort_value` and `rank` are always
   * added): the export reads only what its file holds, with each product's category ids.
   */
  columns?: SQL;
}

export async function listProducts(
  executor: Executor,
  filters: ProductFilters,
  page: PageRequest,
): Promise<ProductRow[]> {
  const { column, descending, key } = sortSpec(page.sort);
  const direction = descending ? sql`desc` : sql`asc`;
  const rank =
    page.exactFirst === undefined
      ? undefined
      : sql`(case when ${exactMatch(page.exactFirst)} then 0 else 1 end)`;
  let keyset = sql`true`;
  if (page.after) {
    const value =
      key === 'last_modified' ? sql`${page.after.value}::timestamptz` : sql`${page.after.value}`;
    keyset = descending
      ? sql`(${column}, p.id) < (${value}, ${page.after.id})`
      : sql`(${column}, p.id) > (${value}, ${page.after.id})`;
    if (rank) {
      const after = page.after.rank ?? 1;
      keyset = sql`(${rank} > ${after} or (${rank} = ${after} and ${keyset}))`;
    }
  }
  const membersFirst = page.membersFirst === true && filters.category_id !== undefined;
  const members = membersFirst
    ? sql`with members as materialized (
            select product_id from product_categories where category_id = ${filters.category_id})`
    : sql``;
  const source = membersFirst
    ? sql`products p join members m on m.product_id = p.id`
    : sql`products p`;
  const offset = page.after ? 0 : page.offset;
  const columns = page.columns ?? productColumns;
  const select = (from: SQL, where: SQL, before: SQL = sql``): Promise<ProductRow[]> =>
    queryRows<ProductRow>(
      executor,
      sql`${before} select ${columns}, ${column}::text as sort_value,
                           ${rank ?? sql`null`}::int as rank
            from ${from}
           where ${where} and ${keyset}
           order by ${rank ? sql`${rank}, ` : sql``}${column} ${direction}, p.id ${direction}
           limit ${page.limit} offset ${offset}`,
    );
  if (filters.search && !membersFirst && !rank) {
    return searchPage(
      executor,
      filters,
      { limit: page.limit, offset, column, direction, keyset, walkRows: page.walkRows, columns },
      select,
    );
  }
  return select(source, filterCondition(filters), members);
}

/**
 * Rows a search first walks in the list's order before it reads all its matches instead (see
 * searchPage).
 */
export const SEARCH_WALK_ROWS = 20_000;

/**
 * A search page, in two steps. The planner walks the sort index and tests each product when a
 * term is common (a page of matches comes early), and reads the term's matches through the
 * trigram index when it is rare. It cannot know where in the order the matches lie: "mapei"
 * matches 5% of the catalog, all named "Mapei …", so the walk by name tested 517,000 products
 * (4.5 s at 1,000,000) before the first. So: walk at most SEARCH_WALK_ROWS products in order;
 * a full page found there is the page (every match before it was walked). Otherwise read every
 * match through the index (a materialized CTE, so the planner cannot walk) and sort them.
 */
async function searchPage(
  executor: Executor,
  filters: ProductFilters,
  page: {
    limit: number;
    offset: number;
    column: SQL;
    direction: SQL;
    keyset: SQL;
    walkRows?: number | undefined;
    columns: SQL;
  },
  select: (from: SQL, where: SQL) => Promise<ProductRow[]>,
): Promise<ProductRow[]> {
  const { column, direction, keyset, columns } = page;
  const condition = filterCondition(filters);
  const walk = sql`(select * from products p where ${keyset}
                     order by ${column} ${direction}, p.id ${direction}
                     limit ${page.walkRows ?? SEARCH_WALK_ROWS}) p`;
  if (page.walkRows !== 0) {
    const walked = await select(walk, condition);
    if (walked.length === page.limit) return walked;
  }
  // Every match's id and sort value (the trigram index), the page sorted among them, then its
  // rows by primary key. The CTE's column keeps the sort column's name, so `column` and
  // `keyset` (written on `p`) read it there.
  return queryRows<ProductRow>(
    executor,
    sql`with matches as materialized (select p.id, ${column} from products p where ${condition}),
             page as (select p.id from matches p where ${keyset}
                       order by ${column} ${direction}, p.id ${direction}
                       limit ${page.limit} offset ${page.offset})
        select ${columns}, ${column}::text as sort_value, null::int as rank
          from page g join products p on p.id = g.id
         order by ${column} ${direction}, p.id ${direction}`,
  );
}

/** Whether some product matching `filters` has the search term as its whole SKU or handle. */
export async function hasExactMatch(executor: Executor, filters: ProductFilters): Promise<boolean> {
  if (!filters.search) return false;
  const row = await queryOne<{ found: boolean }>(
    executor,
    sql`select exists (select 1 from products p
                        where ${exactMatch(filters.search)} and ${filterCondition(filters)}) as found`,
  );
  return row?.found ?? false;
}

export type { CatalogCounts };

/** Catalog-wide counts from the trigger-kept counters: no scan of products. */
export async function catalogCounts(executor: Executor): Promise<CatalogCounts> {
  const [row] = await preparedRows<CatalogCounts>(
    executor,
    sql`select coalesce(sum(products), 0)::int as products,
               coalesce(sum(categorized), 0)::int as categorized,
               coalesce(sum(active), 0)::int as active,
               coalesce(sum(draft), 0)::int as draft,
               coalesce(sum(archived), 0)::int as archived,
               coalesce(sum(incomplete), 0)::int as incomplete
          from catalog_counters`,
  );
  return row!;
}

/**
 * How many products match. A filter alone may be answered from counters (its `count` in the
 * filter table: the catalog's and each category's own product_count); combinations are counted.
 */
export async function countProducts(executor: Executor, filters?: ProductFilters): Promise<number> {
  const only = filters ? activeFilters(filters) : [];
  if (only.length === 0) return (await catalogCounts(executor)).products;
  const shortcut: FilterDefinition = PRODUCT_FILTER_TABLE[only[0]!];
  if (only.length === 1 && shortcut.count) {
    const total = await shortcut.count(filters!, {
      catalog: () => catalogCounts(executor),
      executor,
    });
    if (total !== undefined) return total;
  }
  const row = await queryOne<{ total: number }>(
    executor,
    sql`select count(*)::int as total from products p where ${filterCondition(filters!)}`,
  );
  return row?.total ?? 0;
}

/** Below this many products a search is always counted exactly. */
export const SAMPLE_CATALOG_MIN = 50_000;
/** Rows a search's sample reads (whole pages picked at random: TABLESAMPLE SYSTEM). */
const SAMPLE_ROWS = 5_000;
/** A sampled estimate above this is reported (rounded) instead of counting every match. */
export const ESTIMATE_ABOVE = 5_000;

export interface MatchCount {
  total: number;
  /** true: `total` is an estimate from a sample of the catalog, rounded to 3 digits. */
  estimated: boolean;
}

/**
 * How many products match, exactly — except a text search with many matches in a big catalog:
 * counting 60,000 "sealant" matches out of 1,000,000 reads every match (half a second), while
 * the page itself takes milliseconds. Such a count is estimated from a random sample of the
 * catalog's pages, as search engines do ("about 61,800").
 */
export async function countMatches(
  executor: Executor,
  filters: ProductFilters,
  catalogSize: number,
): Promise<MatchCount> {
  if (filters.search && catalogSize >= SAMPLE_CATALOG_MIN) {
    const percent = Math.min(100, (SAMPLE_ROWS / catalogSize) * 100);
    const sample = await queryOne<{ hits: number; sampled: number }>(
      executor,
      sql`select (count(*) filter (where ${filterCondition(filters)}))::int as hits,
                 count(*)::int as sampled
            from products p tablesample system (${sql.raw(percent.toFixed(4))})`,
    );
    if (sample && sample.sampled > 0) {
      const estimate = (sample.hits / sample.sampled) * catalogSize;
      if (estimate > ESTIMATE_ABOVE) return { total: roundTo3Digits(estimate), estimated: true };
    }
  }
  return { total: await countProducts(executor, filters), estimated: false };
}

function roundTo3Digits(value: number): number {
  const magnitude = 10 ** Math.max(0, Math.floor(Math.log10(value)) - 2);
  return Math.round(value / magnitude) * magnitude;
}

/** One product, with its description (which list rows leave out, to keep pages small). */
export async function findProduct(
  executor: Executor,
  handle: string,
): Promise<(ProductRow & { description: string | null }) | undefined> {
  const rows = await preparedRows<ProductRow & { description: string | null }>(
    executor,
    sql`select ${productColumns}, p.description, '' as sort_value from products p where p.product_id = ${handle}`,
  );
  return rows[0];
}

/** Products by handle (any order; unknown handles are left out). */
export function findProducts(
  executor: Executor,
  handles: readonly string[],
): Promise<ProductRow[]> {
  if (handles.length === 0) return Promise.resolve([]);
  return preparedRows<ProductRow>(
    executor,
    sql`select ${productColumns}, '' as sort_value from products p
         where p.product_id = any(${arrayParam(handles)}::text[])`,
  );
}
