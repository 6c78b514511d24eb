/** Every query on products and their category assignments. */
import type { ProductSort, ProductStatus } from '@tag-manager/contract';
import { sql, type SQL } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { arrayParam, isoTime, preparedRows } from '../../db/sql.js';
import {
  activeFilters,
  filterCondition,
  stateOnly,
  orderRelation,
  PRODUCT_FILTER_TABLE,
  type CatalogCounts,
  type FilterDefinition,
  type ProductFilters,
} from './filters.js';
import { exactMatch, searchReadsDocumentOnly } from './search.js';

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
  /**
   * With `countMatches`, on a search page read through the index: how many products match the
   * filters, all pages together (exact, counted from the same matches). Else absent or null.
   */
  match_total?: number | null;
}

const SORT_COLUMNS: Record<string, string> = {
  product_name: 'product_name',
  last_modified: 'last_modified',
  product_id: 'product_id',
};

/**
 * A sort's column and the relation whose index serves it (filters.ts, orderRelation): `s`
 * (product_state) for last_modified, and for the name when an "Uncategorised" or "Subcategory
 * missing" filter is active (their partial indexes in name order are on product_state); `p`
 * otherwise. The id tie-break is the same relation's (`id`), the keyset's second value.
 */
export function sortSpec(sort: ProductSort, filters?: ProductFilters) {
  const descending = sort.startsWith('-');
  const key = descending ? sort.slice(1) : sort;
  const relation = filters ? orderRelation(filters, key) : key === 'last_modified' ? 's' : 'p';
  return {
    column: sql.raw(`${relation}.${SORT_COLUMNS[key]!}`),
    id: sql.raw(`${relation}.id`),
    relation,
    descending,
    key,
  };
}

/** A product and its state row (category_count, last_modified: migration 0022). */
const PRODUCTS_WITH_STATE = sql`products p join product_state s on s.id = p.id`;

const productColumns = sql`p.id, p.product_id, p.product_name, p.vendor, p.product_type, p.status,
  p.sku, p.image_url, p.tags, s.category_count,
  ${isoTime(sql`s.last_modified`)} as last_modified, ${isoTime(sql`p.created_at`)} as created_at`;

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
   * A search page read through the index also counts every match (`match_total` on its rows):
   * the count and the page read the term's matches once instead of twice.
   */
  countMatches?: boolean;
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
  const rank =
    page.exactFirst === undefined
      ? undefined
      : sql`(case when ${exactMatch(page.exactFirst)} then 0 else 1 end)`;
  const membersFirst = page.membersFirst === true && filters.category_id !== undefined;
  // A search walks the sort order's full index (searchPage), so its name order is products'.
  const searching = Boolean(filters.search) && !membersFirst && !rank;
  const { column, id, relation, descending, key } = sortSpec(
    page.sort,
    searching ? undefined : filters,
  );
  const direction = descending ? sql`desc` : sql`asc`;
  let keyset = sql`true`;
  if (page.after) {
    const value =
      key === 'last_modified' ? sql`${page.after.value}::timestamptz` : sql`${page.after.value}`;
    keyset = descending
      ? sql`(${column}, ${id}) < (${value}, ${page.after.id})`
      : sql`(${column}, ${id}) > (${value}, ${page.after.id})`;
    if (rank) {
      const after = page.after.rank ?? 1;
      keyset = sql`(${rank} > ${after} or (${rank} = ${after} and ${keyset}))`;
    }
  }
  const members = membersFirst
    ? sql`with members as materialized (
            select product_id from product_categories where category_id = ${filters.category_id})`
    : sql``;
  const source = membersFirst
    ? sql`products p join members m on m.product_id = p.id join product_state s on s.id = p.id`
    : PRODUCTS_WITH_STATE;
  const offset = page.after ? 0 : page.offset;
  const columns = page.columns ?? productColumns;
  const select = (from: SQL, where: SQL, before: SQL = sql``): Promise<ProductRow[]> =>
    queryRows<ProductRow>(
      executor,
      sql`${before} select ${columns}, ${column}::text as sort_value,
                           ${rank ?? sql`null`}::int as rank
            from ${from}
           where ${where} and ${keyset}
           order by ${rank ? sql`${rank}, ` : sql``}${column} ${direction}, ${id} ${direction}
           limit ${page.limit} offset ${offset}`,
    );
  if (searching) {
    return searchPage(
      executor,
      filters,
      {
        limit: page.limit,
        offset,
        column,
        id,
        relation,
        direction,
        keyset,
        walkRows: page.walkRows,
        countMatches: page.countMatches === true,
        // The name order's index carries the search document (migration 0029): a search alone
        // in name order walks it without reading the table.
        indexOnlyWalk:
          key === 'product_name' &&
          activeFilters(filters).every((name) => name === 'search') &&
          searchReadsDocumentOnly(filters.search!),
        columns,
      },
      select,
    );
  }
  if (membersFirst || rank) {
    return select(source, filterCondition(filters, { stateJoined: true }), members);
  }
  // The page's ids first, from only the relations its filters and order read (a walk past an
  // offset joins nothing), then its rows: the join of products and product_state is made for
  // the page's rows only. The nested loop keeps the page's order (no sort).
  const active = activeFilters(filters).map((name) => PRODUCT_FILTER_TABLE[name].relation);
  const readsState = relation === 's' || active.includes('product_state');
  const readsProducts = relation === 'p' || active.includes('products');
  if (page.columns) {
    // An export batch (its own columns, all on products): one step, so that the name order's
    // index, which carries the handle (migration 0024), can answer it without the table.
    return select(
      readsState ? PRODUCTS_WITH_STATE : sql`products p`,
      filterCondition(filters, { stateJoined: readsState }),
    );
  }
  const from =
    readsState && readsProducts
      ? PRODUCTS_WITH_STATE
      : readsState
        ? sql`product_state s`
        : sql`products p`;
  return queryRows<ProductRow>(
    executor,
    sql`select ${productColumns}, g.sort_value::text as sort_value, null::int as rank
          from (select ${id} as id, ${column} as sort_value
                  from ${from}
                 where ${filterCondition(filters, { stateJoined: readsState })} and ${keyset}
                 order by ${column} ${direction}, ${id} ${direction}
                 limit ${page.limit} offset ${offset}) g
          join products p on p.id = g.id
          join product_state s on s.id = g.id
         order by g.sort_value ${direction}, g.id ${direction}`,
  );
}

/**
 * Rows a search first walks in the list's order before it reads all its matches instead (see
 * searchPage).
 */
export const SEARCH_WALK_ROWS = 20_000;

/**
 * A search's walk in a catalog of `catalogSize` products: SEARCH_WALK_ROWS, but never more than
 * a twentieth of the catalog. A walk over a large share of a small catalog is no cheaper than
 * reading its matches, and the planner would rather sort the whole table than walk the index
 * (on 60,000 products, a walk of 20,000 became a sequential scan and a sort).
 */
export function searchWalkBound(catalogSize: number): number {
  return Math.min(SEARCH_WALK_ROWS, Math.max(1, Math.ceil(catalogSize / 20)));
}

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
    id: SQL;
    relation: 'p' | 's';
    direction: SQL;
    keyset: SQL;
    walkRows?: number | undefined;
    countMatches: boolean;
    indexOnlyWalk: boolean;
    columns: SQL;
  },
  select: (from: SQL, where: SQL) => Promise<ProductRow[]>,
): Promise<ProductRow[]> {
  const { column, id, direction, keyset, columns } = page;
  // The walk and the matches join product_state only when the order is its (last_modified).
  const ordered = page.relation === 's' ? PRODUCTS_WITH_STATE : sql`products p`;
  const walkRows = page.walkRows ?? SEARCH_WALK_ROWS;
  const walk = sql`(select p.* from ${ordered} where ${keyset}
                     order by ${column} ${direction}, ${id} ${direction}
                     limit ${walkRows}) p
                   join product_state s on s.id = p.id`;
  if (walkRows !== 0) {
    // The walk tests only what the name order's index holds (an index-only scan: one index
    // page per ~30 products instead of one table page per product), then reads the page's rows.
    const walked = page.indexOnlyWalk
      ? await queryRows<ProductRow>(
          executor,
          sql`select ${columns}, ${column}::text as sort_value, null::int as rank
                from (select p.id
                        from (select p.id, p.product_name, p.search_document from products p
                               where ${keyset}
                               order by ${column} ${direction}, ${id} ${direction}
                               limit ${walkRows}) p
                       where ${filterCondition(filters)}
                       order by ${column} ${direction}, ${id} ${direction}
                       limit ${page.limit} offset ${page.offset}) g
                join products p on p.id = g.id join product_state s on s.id = p.id
               order by ${column} ${direction}, ${id} ${direction}`,
        )
      : await select(walk, filterCondition(filters, { stateJoined: true }));
    if (walked.length === page.limit) return walked;
  }
  // Every match's id and sort value (the trigram index), the page sorted among them, then its
  // rows by primary key. The CTE's columns keep the sort column's name and are read under the
  // order relation's alias (`p` or `s`), so `column`, `id` and `keyset` read them there. The
  // matches are the filters' whole result (no keyset, no offset), so counting them is exact.
  const alias = sql.raw(page.relation);
  const condition = filterCondition(filters, { stateJoined: page.relation === 's' });
  const total = page.countMatches ? sql`(select count(*) from matches)::int` : sql`null::int`;
  return queryRows<ProductRow>(
    executor,
    sql`with matches as materialized (select ${id}, ${column} from ${ordered} where ${condition}),
             page as (select ${id} from matches ${alias} where ${keyset}
                       order by ${column} ${direction}, ${id} ${direction}
                       limit ${page.limit} offset ${page.offset})
        select ${columns}, ${column}::text as sort_value, null::int as rank,
               ${total} as match_total
          from page g join products p on p.id = g.id join product_state s on s.id = p.id
         order by ${column} ${direction}, ${id} ${direction}`,
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
export async function countProducts(
  executor: Executor,
  filters?: ProductFilters,
  /** The catalog's counters when the caller has read them already. */
  known?: CatalogCounts,
): Promise<number> {
  const catalog = async () => known ?? (await catalogCounts(executor));
  const only = filters ? activeFilters(filters) : [];
  if (only.length === 0) return (await catalog()).products;
  const shortcut: FilterDefinition = PRODUCT_FILTER_TABLE[only[0]!];
  if (only.length === 1 && shortcut.count) {
    const total = await shortcut.count(filters!, { catalog, executor });
    if (total !== undefined) return total;
  }
  // A vendor's or a Type's uncategorised products (the work queue's remaining count) are
  // counted from product_state's partial index alone (migration 0023).
  const counted = stateOnly(filters!)
    ? sql`select count(*)::int as total from product_state s
           where ${filterCondition(filters!, { stateJoined: true })}`
    : sql`select count(*)::int as total from products p where ${filterCondition(filters!)}`;
  const row = await queryOne<{ total: number }>(executor, counted);
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
 * A text search's number of matches in a big catalog, estimated from a random sample of the
 * catalog's pages, as search engines do ("about 61,800"): counting 60,000 "sealant" matches out
 * of 1,000,000 reads every match (half a second), while the page itself takes milliseconds. The
 * sample is REPEATABLE (one seed): the same pages every time, so they stay cached (18 ms instead
 * of 60–70 ms at 1,000,000) and the estimate does not jump from one page (or queue product) to
 * the next while nothing changes. Undefined below SAMPLE_CATALOG_MIN products (or for no search,
 * or an empty sample): count those exactly.
 */
export async function sampleMatches(
  executor: Executor,
  filters: ProductFilters,
  catalogSize: number,
): Promise<number | undefined> {
  if (!filters.search || catalogSize < SAMPLE_CATALOG_MIN) return undefined;
  const percent = Math.min(100, (SAMPLE_ROWS / catalogSize) * 100);
  const sample = await queryOne<{ hits: number; sampled: number }>(
    executor,
    sql`select (count(*) filter (where ${filterCondition(filters)}))::int as hits,
               count(*)::int as sampled
          from products p tablesample system (${sql.raw(percent.toFixed(4))}) repeatable (0)`,
  );
  if (!sample || sample.sampled === 0) return undefined;
  return (sample.hits / sample.sampled) * catalogSize;
}

/** A sampled estimate as the list reports it, or undefined when it is small enough to count. */
export function reportedEstimate(estimate: number | undefined): MatchCount | undefined {
  return estimate !== undefined && estimate > ESTIMATE_ABOVE
    ? { total: roundTo3Digits(estimate), estimated: true }
    : undefined;
}

/**
 * How many products match, exactly — except a text search with many matches in a big catalog,
 * whose count is estimated (sampleMatches).
 */
export async function countMatches(
  executor: Executor,
  filters: ProductFilters,
  catalogSize: number,
  catalog?: CatalogCounts,
): Promise<MatchCount> {
  const estimate = reportedEstimate(await sampleMatches(executor, filters, catalogSize));
  return estimate ?? { total: await countProducts(executor, filters, catalog), estimated: false };
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
    sql`select ${productColumns}, p.description, '' as sort_value from ${PRODUCTS_WITH_STATE}
         where p.product_id = ${handle}`,
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
    sql`select ${productColumns}, '' as sort_value from ${PRODUCTS_WITH_STATE}
         where p.product_id = any(${arrayParam(handles)}::text[])`,
  );
}
