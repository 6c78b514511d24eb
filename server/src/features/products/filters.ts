/**
 * The product filter table: one entry per filter of contract/src/product-filters.ts, keyed by
 * the same names. Everything that treats filters derives from it — the service's filter
 * building and applied-filter report, the repository's WHERE clause and count shortcuts, the
 * page cache's dependencies, and the export. A filter missing here, or an entry missing a
 * field, does not compile (`satisfies Record<ProductFilterName, FilterDefinition>`).
 */
import {
  PRODUCT_FILTER_FIELDS,
  searchKind,
  type AppliedFilters,
  type ProductFilterName,
  type ProductFilterQuery,
} from '@tag-manager/contract';
import { sql, type SQL } from 'drizzle-orm';
import { Namespaces, ReadDependencies } from '../../cache/namespaces.js';
import { queryOne, type Executor } from '../../db/client.js';
import { invalidField } from '../../errors.js';
import { searchCondition } from './search.js';

/** Every filter's query values (the list's and the export's query without sort or paging). */
export type ProductFilters = Omit<ProductFilterQuery, 'sort'>;

/** Catalog-wide counts from the trigger-kept counters (see catalogCounts). */
export interface CatalogCounts {
  products: number;
  categorized: number;
  active: number;
  draft: number;
  archived: number;
  /** Products with a subcategory missing (the `incomplete` filter). */
  incomplete: number;
}

export interface FilterDefinition {
  /** Whether the filter restricts the list (its field is set to a non-default value). */
  active(filters: ProductFilters): boolean;
  /**
   * Checks and normalises the filter's query values (trimming, refusing what no index can
   * serve); throws AppError. Returns the filters with this filter's fields replaced.
   */
  normalise?(filters: ProductFilters): ProductFilters;
  /**
   * The relation its condition reads: `products p`, or `product_state s` (a product's counters,
   * migration 0022). A list or queue joins `s` on `s.id = p.id`; elsewhere such a condition is
   * asked as a semi-join (filterCondition).
   */
  relation: FilterRelation;
  /**
   * With relation `product_state`: the filter's rows have a partial index on product_state in
   * name order, so a name-ordered list or queue with this filter reads `s.product_name, s.id`
   * (that index) instead of products' name index.
   */
  drivesNameOrder?: boolean;
  /** Its SQL condition on `products p` or `product_state s` (only called when active). */
  condition(filters: ProductFilters): SQL;
  /**
   * A products filter whose column product_state copies (vendor, Type: kept by the products
   * triggers of migration 0022): the same condition on `s`, used when the query has joined
   * product_state, so that product_state's partial indexes (the vendor's or Type's
   * uncategorised products, migration 0023) serve the walk and the count.
   */
  stateCondition?(filters: ProductFilters): SQL;
  /**
   * The count when this is the only active filter, answered without counting products (from
   * counters); undefined: count the matches.
   */
  count?(
    filters: ProductFilters,
    counters: { catalog: () => Promise<CatalogCounts>; executor: Executor },
  ): Promise<number | undefined>;
  /**
   * The cache namespaces a filtered page depends on besides the catalog and the taxonomy: a
   * filter on assignments (categories, "uncategorised") changes with every assignment.
   */
  pageDependsOn: readonly string[];
}

export type FilterRelation = 'products' | 'product_state';

export const PRODUCT_FILTER_TABLE = {
  hide_allocated: {
    active: (f) => f.hide_allocated === true,
    relation: 'product_state',
    // product_state_unallocated_name_idx
    drivesNameOrder: true,
    condition: () => sql`s.category_count = 0`,
    count: async (_f, { catalog }) => {
      const counts = await catalog();
      return counts.products - counts.categorized;
    },
    pageDependsOn: [Namespaces.assignments],
  },
  search: {
    active: (f) => Boolean(f.search),
    relation: 'products',
    normalise: (f) => {
      const search = f.search?.trim();
      if (search && searchKind(search) === 'unsearchable') {
        throw invalidField('search', 'must contain a letter or a digit');
      }
      return { ...f, search: search ? search : undefined };
    },
    condition: (f) => searchCondition(f.search!),
    pageDependsOn: [],
  },
  category: {
    active: (f) => f.category_id !== undefined,
    relation: 'products',
    condition: (f) => {
      // Assignments are closed under "parent of", so membership already includes descendants.
      const member = sql`exists (select 1 from product_categories pc
                   where pc.product_id = p.id and pc.category_id = ${f.category_id})`;
      if (f.include_descendants !== false) return member;
      return sql`${member} and not exists (select 1 from product_categories pc
                         where pc.product_id = p.id and pc.parent_category_id = ${f.category_id})`;
    },
    count: async (f, { executor }) => {
      if (f.include_descendants === false) return undefined;
      const row = await queryOne<{ total: number }>(
        executor,
        sql`select product_count as total from categories where id = ${f.category_id}`,
      );
      return row?.total ?? 0;
    },
    pageDependsOn: [Namespaces.assignments],
  },
  vendor: {
    active: (f) => f.vendor !== undefined,
    relation: 'products',
    condition: (f) => sql`p.vendor = ${f.vendor}`,
    stateCondition: (f) => sql`s.vendor = ${f.vendor}`,
    pageDependsOn: [],
  },
  status: {
    active: (f) => f.status !== undefined,
    relation: 'products',
    condition: (f) => sql`p.status = ${f.status}`,
    count: async (f, { catalog }) => (await catalog())[f.status!],
    pageDependsOn: [],
  },
  product_type: {
    active: (f) => f.product_type !== undefined,
    relation: 'products',
    condition: (f) => sql`p.product_type = ${f.product_type}`,
    stateCondition: (f) => sql`s.product_type = ${f.product_type}`,
    pageDependsOn: [],
  },
  tag: {
    active: (f) => f.tag !== undefined,
    relation: 'products',
    // `@>` on the array is what the GIN index on tags serves.
    condition: (f) => sql`p.tags @> array[${f.tag}]::text[]`,
    pageDependsOn: [],
  },
  incomplete: {
    active: (f) => f.incomplete === true,
    // Assigned some category that has children, and none of its children: the open branches
    // kept per product by the assignment and tree triggers (migration 0018), served by the
    // partial index product_state_incomplete_name_idx and counted by the catalog counters.
    relation: 'product_state',
    drivesNameOrder: true,
    condition: () => sql`s.incomplete_branches > 0`,
    count: async (_f, { catalog }) => (await catalog()).incomplete,
    pageDependsOn: [Namespaces.assignments],
  },
} satisfies Record<ProductFilterName, FilterDefinition>;

const entries = Object.entries(PRODUCT_FILTER_TABLE) as [ProductFilterName, FilterDefinition][];

/** The filters of a list or export query: every filter field, checked and normalised. */
export function productFilters(query: ProductFilters): ProductFilters {
  let filters = Object.fromEntries(
    PRODUCT_FILTER_FIELDS.map((field) => [field, query[field]]),
  ) as ProductFilters;
  for (const [, filter] of entries) if (filter.normalise) filters = filter.normalise(filters);
  return filters;
}

export function activeFilters(filters: ProductFilters): ProductFilterName[] {
  return entries.filter(([, filter]) => filter.active(filters)).map(([name]) => name);
}

/**
 * The WHERE clause shared by the list, its count, the queue, the bulk writes and the export, on
 * `products p`. With `stateJoined` the query has joined `product_state s on s.id = p.id` and a
 * product_state filter reads `s` directly (so its partial index can drive the order); without,
 * such a filter is a semi-join on product_state.
 */
export function filterCondition(
  filters: ProductFilters,
  options: { stateJoined?: boolean } = {},
): SQL {
  const conditions = entries
    .filter(([, filter]) => filter.active(filters))
    .map(([, filter]: [ProductFilterName, FilterDefinition]) => {
      if (filter.relation === 'product_state') {
        return options.stateJoined
          ? filter.condition(filters)
          : sql`exists (select 1 from product_state s where s.id = p.id and ${filter.condition(filters)})`;
      }
      return options.stateJoined && filter.stateCondition
        ? filter.stateCondition(filters)
        : filter.condition(filters);
    });
  return sql.join([sql`true`, ...conditions], sql` and `);
}

/**
 * Whether the filters include one of product_state's own and every other active filter can be
 * asked of product_state too (a copy of a products column): such a count reads product_state's
 * partial indexes only (a vendor's uncategorised products). A vendor alone is counted on
 * products, whose index serves it.
 */
export function stateOnly(filters: ProductFilters): boolean {
  const active = entries.filter(([, filter]) => filter.active(filters));
  return (
    active.some(([, filter]) => filter.relation === 'product_state') &&
    active.every(
      ([, filter]: [ProductFilterName, FilterDefinition]) =>
        filter.relation === 'product_state' || filter.stateCondition !== undefined,
    )
  );
}

/**
 * The relation whose index drives a list's order: `s` (product_state) for the last-modified
 * order, and for the name order when a filter with its own partial index in name order
 * ("Uncategorised", "Subcategory missing") is active; `p` (products) otherwise.
 */
export function orderRelation(filters: ProductFilters, sortKey: string): 'p' | 's' {
  if (sortKey === 'last_modified') return 's';
  if (sortKey !== 'product_name') return 'p';
  const drives = entries.some(([, filter]) => filter.active(filters) && filter.drivesNameOrder);
  return drives ? 's' : 'p';
}

/** The filters as the list reports them (`metadata.filters`): unset values are null. */
export function appliedFilters(filters: ProductFilters): AppliedFilters {
  return Object.fromEntries(
    PRODUCT_FILTER_FIELDS.map((field) => [field, filters[field] ?? null]),
  ) as AppliedFilters;
}

/** What a product page's membership and order depend on (the page cache's key). */
export function productPageDependencies(query: ProductFilterQuery): string[] {
  const filters = activeFilters(query).flatMap((name) => PRODUCT_FILTER_TABLE[name].pageDependsOn);
  return ReadDependencies.productPage(query.sort, filters);
}
