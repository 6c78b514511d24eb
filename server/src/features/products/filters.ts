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
  /** Its SQL condition on `products p` (only called when active). */
  condition(filters: ProductFilters): SQL;
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

export const PRODUCT_FILTER_TABLE = {
  hide_allocated: {
    active: (f) => f.hide_allocated === true,
    condition: () => sql`p.category_count = 0`,
    count: async (_f, { catalog }) => {
      const counts = await catalog();
      return counts.products - counts.categorized;
    },
    pageDependsOn: [Namespaces.assignments],
  },
  search: {
    active: (f) => Boolean(f.search),
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
    condition: (f) => sql`p.vendor = ${f.vendor}`,
    pageDependsOn: [],
  },
  status: {
    active: (f) => f.status !== undefined,
    condition: (f) => sql`p.status = ${f.status}`,
    count: async (f, { catalog }) => (await catalog())[f.status!],
    pageDependsOn: [],
  },
  product_type: {
    active: (f) => f.product_type !== undefined,
    condition: (f) => sql`p.product_type = ${f.product_type}`,
    pageDependsOn: [],
  },
  tag: {
    active: (f) => f.tag !== undefined,
    // `@>` on the array is what the GIN index on tags serves.
    condition: (f) => sql`p.tags @> array[${f.tag}]::text[]`,
    pageDependsOn: [],
  },
  incomplete: {
    active: (f) => f.incomplete === true,
    // Assigned some category that has children, and none of its children: the open branches
    // kept per product by the assignment and tree triggers (migration 0018), served by the
    // partial index products_incomplete_name_idx and counted by the catalog counters.
    condition: () => sql`p.incomplete_branches > 0`,
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

/** The WHERE clause shared by the list, its count and the export. */
export function filterCondition(filters: ProductFilters): SQL {
  const conditions = entries
    .filter(([, filter]) => filter.active(filters))
    .map(([, filter]) => filter.condition(filters));
  return sql.join([sql`true`, ...conditions], sql` and `);
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
