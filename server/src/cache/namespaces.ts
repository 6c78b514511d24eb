/**
 * What each cached read depends on and what each write changes, in one place. A cached value's
 * key carries the current version of every namespace it depends on; a write bumps the versions
 * of the namespaces it changed, so exactly the affected entries stop being found.
 */
export const Namespaces = {
  /** Category names and structure. */
  taxonomy: 'taxonomy',
  /** Counts: products per category, catalog totals. */
  counts: 'counts',
  /** Which products exist and their own fields (an import changes them). */
  catalog: 'catalog',
  /** Which products have which categories, as a whole (any assignment changes it). */
  assignments: 'assignments',
  /** Every product's detail at once (after an import). */
  products: 'products',
  /** One product's detail. */
  product: (handle: string) => `product:${handle}`,
} as const;

export const ReadDependencies = {
  /**
   * A product page's membership and order (which handles, in which order, with the totals and
   * the cursor): always the catalog and the taxonomy, plus what its active filters depend on
   * (each filter's `pageDependsOn` in server/src/features/products/filters.ts: a category
   * filter or "uncategorised" changes with every assignment); the last-modified order also
   * changes with every assignment. The rows themselves are cached per product (below).
   */
  productPage: (sort: string, filterDependencies: readonly string[]) => [
    ...new Set([
      Namespaces.catalog,
      Namespaces.taxonomy,
      ...filterDependencies,
      ...(sort.endsWith('last_modified') ? [Namespaces.assignments] : []),
    ]),
  ],
  /** One product, as a list row or as its detail. */
  productDetail: (handle: string) => [
    Namespaces.product(handle),
    Namespaces.products,
    Namespaces.taxonomy,
  ],
  categories: [Namespaces.taxonomy, Namespaces.counts],
  /** Distinct vendors / product types with counts: products' own fields, changed by imports. */
  catalogValues: [Namespaces.catalog],
  stats: [Namespaces.counts, Namespaces.taxonomy],
  /** Sample and real counts: products come and go with imports, categories with the taxonomy. */
  sampleData: [Namespaces.catalog, Namespaces.taxonomy],
};

export const WriteEffects = {
  assignments: (handles: readonly string[]) => [
    Namespaces.assignments,
    Namespaces.counts,
    ...handles.map((handle) => Namespaces.product(handle)),
  ],
  taxonomy: () => [Namespaces.taxonomy],
  /** Category deletes and renames also change pages and rows, through the taxonomy version. */
  productImport: () => [Namespaces.catalog, Namespaces.counts, Namespaces.products],
  /** A change behind the app's back (seeding, a repair in SQL): every cached read goes. */
  everything: () => [
    Namespaces.taxonomy,
    Namespaces.counts,
    Namespaces.catalog,
    Namespaces.assignments,
    Namespaces.products,
  ],
};

/** Told after a write has committed which namespaces it changed. */
export interface ChangeNotifier {
  changed(namespaces: readonly string[]): Promise<void>;
  /** The id of the change set just committed (live updates publish it: features/events). */
  committed?(changeSetId: number): void;
}

export const noChangeNotifier: ChangeNotifier = { changed: async () => {} };
