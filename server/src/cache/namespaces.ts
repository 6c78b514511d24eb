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
  /** Product list pages (rows, chips, totals). */
  lists: 'lists',
  /** Every product's detail at once (after an import). */
  products: 'products',
  /** One product's detail. */
  product: (handle: string) => `product:${handle}`,
} as const;

export const ReadDependencies = {
  productList: [Namespaces.lists, Namespaces.taxonomy],
  productDetail: (handle: string) => [
    Namespaces.product(handle),
    Namespaces.products,
    Namespaces.taxonomy,
  ],
  categories: [Namespaces.taxonomy, Namespaces.counts],
  stats: [Namespaces.counts, Namespaces.taxonomy],
};

export const WriteEffects = {
  assignments: (handles: readonly string[]) => [
    Namespaces.lists,
    Namespaces.counts,
    ...handles.map((handle) => Namespaces.product(handle)),
  ],
  taxonomy: () => [Namespaces.taxonomy],
  /** Category deletes and renames also change lists and details, through the taxonomy version. */
  productImport: () => [Namespaces.lists, Namespaces.counts, Namespaces.products],
};

/** Told after a write has committed which namespaces it changed. */
export interface ChangeNotifier {
  changed(namespaces: readonly string[]): Promise<void>;
}

export const noChangeNotifier: ChangeNotifier = { changed: async () => {} };
