/**
 * Server state through TanStack Query: query keys, the reads, and the cache edits that follow
 * every write. A write's response carries what changed (a product's resulting categories, a bulk
 * result per product, the created category), so the caches are edited in place instead of
 * refetched; only what cannot be derived (statistics, other pages of a filtered list) is marked
 * stale and fetched again when it is next shown.
 */
import {
  keepPreviousData,
  QueryClient,
  useQuery,
  useQueryClient,
  type QueryKey,
} from '@tanstack/react-query';
import { useEffect, useMemo, useRef } from 'react';
import type {
  Category,
  CategoryRef,
  CategoryWithPath,
  Product,
  ProductDetail,
  TreeNode,
} from '@tag-manager/contract';
import { buildCategoryIndex, type CategoryIndex } from '../lib/category-index';
import {
  api,
  ApiError,
  type CategoryTreeEnvelope,
  type ProductListEnvelope,
  type CatalogValueField,
  type ProductListParams,
} from './client';

export const queryKeys = {
  products: ['products'] as const,
  productList: (params: ProductListParams) => ['products', params] as const,
  product: (productId: string) => ['product', productId] as const,
  tree: ['categories', 'tree'] as const,
  stats: ['stats'] as const,
  catalogValues: ['catalog-values'] as const,
  jobs: ['jobs'] as const,
  jobList: ['jobs', 'list'] as const,
  job: (id: number) => ['jobs', 'one', id] as const,
  changes: ['changes'] as const,
};

export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        gcTime: 10 * 60_000,
        refetchOnWindowFocus: false,
        retry: (failureCount, error) =>
          failureCount < 2 &&
          (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
      },
    },
  });
}

export function useProductList(
  params: ProductListParams,
  options: { prefetchNext?: boolean } = {},
) {
  const queryClient = useQueryClient();
  const query = useQuery({
    queryKey: queryKeys.productList(params),
    queryFn: ({ signal }) => api.listProducts(params, signal),
    placeholderData: keepPreviousData,
  });
  const isCurrent = !query.isPlaceholderData && query.isSuccess;
  const nextCursor = isCurrent ? (query.data?.pagination.next_cursor ?? null) : null;
  // The next page as "Next" asks for it: after the last product of this page (keyset). Once per
  // page shown: a refetch after a write (which moves the cursor) does not prefetch again.
  const prefetched = useRef<string | null>(null);
  const pageKey = JSON.stringify(queryKeys.productList(params));
  useEffect(() => {
    if (!options.prefetchNext || !nextCursor || prefetched.current === pageKey) return;
    prefetched.current = pageKey;
    const next = nextPageParams(params, nextCursor);
    void queryClient.prefetchQuery({
      queryKey: queryKeys.productList(next),
      queryFn: ({ signal }) => api.listProducts(next, signal),
    });
  }, [queryClient, params, pageKey, nextCursor, options.prefetchNext]);
  return query;
}

/** The request of the page after one: its filters and size, from the cursor it returned. */
export function nextPageParams(params: ProductListParams, cursor: string): ProductListParams {
  const next: ProductListParams = { ...params, cursor };
  delete next.offset;
  return next;
}

export function useCategoryTree() {
  const query = useQuery({
    queryKey: queryKeys.tree,
    queryFn: ({ signal }) => api.getCategoryTree(signal),
    staleTime: 5 * 60_000,
  });
  const index = useMemo(
    () => (query.data ? buildCategoryIndex(query.data.data) : undefined),
    [query.data],
  );
  return { ...query, index };
}

/** The choices of a filter on a product field (vendors, product types); imports change them. */
export function useCatalogValues(field: CatalogValueField) {
  return useQuery({
    queryKey: [...queryKeys.catalogValues, field],
    queryFn: ({ signal }) => api.listCatalogValues(field, { limit: 1000 }, signal),
    staleTime: 5 * 60_000,
  });
}

export function useStats() {
  return useQuery({ queryKey: queryKeys.stats, queryFn: ({ signal }) => api.getStats(signal) });
}

/** A product as the detail panel shows it: from a loaded page when possible, else fetched. */
export interface PanelProduct extends Omit<Product, 'categories'> {
  categories: CategoryRef[];
  /**
   * The ETag of the GET this came from: the panel's writes send it as If-Match. Absent when the
   * data came from a list page or was edited after a write (then it is fetched again).
   */
  etag?: string | null;
}

export function findProductInLists(
  queryClient: QueryClient,
  productId: string,
): Product | undefined {
  for (const [, data] of queryClient.getQueriesData<ProductListEnvelope>({
    queryKey: queryKeys.products,
  })) {
    const found = data?.data.find((product) => product.product_id === productId);
    if (found) return found;
  }
  return undefined;
}

export function useProduct(productId: string | null) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: queryKeys.product(productId ?? ''),
    enabled: productId !== null,
    queryFn: async ({ signal }): Promise<PanelProduct> => {
      const { data, etag } = await api.getProduct(productId!, signal);
      return fromDetail(data, etag);
    },
    // Without the ETag of its own read (list data, or edited after a write) the detail is
    // fetched at once, so that the panel's next write can be conditional on what it shows.
    staleTime: (query) => ((query.state.data as PanelProduct | undefined)?.etag ? 30_000 : 0),
    initialData: () => (productId ? findProductInLists(queryClient, productId) : undefined),
    initialDataUpdatedAt: () => {
      const states = queryClient.getQueryCache().findAll({ queryKey: queryKeys.products });
      return Math.max(0, ...states.map((state) => state.state.dataUpdatedAt));
    },
  });
}

export function fromDetail(detail: ProductDetail, etag: string | null): PanelProduct {
  const product: PanelProduct & { created_at?: string } = {
    ...detail,
    categories: detail.categories.map(toRef),
    etag,
  };
  delete product.created_at;
  return product;
}

const toRef = (category: { id: number; name: string; level: number }): CategoryRef => ({
  id: category.id,
  name: category.name,
  level: category.level,
});

// ---- cache edits ---------------------------------------------------------------------------

/**
 * What a product's ETag is after an edit of its categories in the cache: the one its write
 * returned (`product_etag`), the one it had (an optimistic edit, or its rollback, while the
 * server has not changed it), or unknown (a bulk write: the detail is read again).
 */
export type EtagAfterEdit = { etag: string } | 'kept' | 'unknown';

/** Put a product's resulting categories into every cached page and its detail. */
export function setProductCategories(
  queryClient: QueryClient,
  productId: string,
  categories: CategoryRef[] | CategoryWithPath[],
  etagAfter: EtagAfterEdit = 'unknown',
) {
  const refs = categories.map(toRef);
  const apply = <T extends Omit<Product, 'categories'> & { categories: CategoryRef[] }>(
    product: T,
  ): T => ({
    ...product,
    categories: refs,
    category_count: refs.length,
    has_allocations: refs.length > 0,
    last_modified: new Date().toISOString(),
  });
  queryClient.setQueriesData<ProductListEnvelope>({ queryKey: queryKeys.products }, (old) =>
    old && old.data.some((product) => product.product_id === productId)
      ? {
          ...old,
          data: old.data.map((product) =>
            product.product_id === productId ? apply(product) : product,
          ),
        }
      : old,
  );
  queryClient.setQueryData<PanelProduct>(queryKeys.product(productId), (old) =>
    old
      ? {
          ...apply(old),
          etag:
            etagAfter === 'kept' ? old.etag : etagAfter === 'unknown' ? undefined : etagAfter.etag,
        }
      : old,
  );
  // Without a known ETag the edited detail is read again, for the next write's If-Match.
  if (etagAfter === 'unknown')
    void queryClient.invalidateQueries({ queryKey: queryKeys.product(productId), exact: true });
}

/** The product as the server has it now (a 412's details.current), with its ETag. */
export function setProductDetail(
  queryClient: QueryClient,
  detail: ProductDetail,
  etag: string | null,
) {
  queryClient.setQueryData<PanelProduct>(
    queryKeys.product(detail.product_id),
    fromDetail(detail, etag),
  );
  setProductCategoriesInLists(queryClient, detail.product_id, detail.categories.map(toRef));
}

function setProductCategoriesInLists(
  queryClient: QueryClient,
  productId: string,
  refs: CategoryRef[],
) {
  queryClient.setQueriesData<ProductListEnvelope>({ queryKey: queryKeys.products }, (old) =>
    old && old.data.some((product) => product.product_id === productId)
      ? {
          ...old,
          data: old.data.map((product) =>
            product.product_id === productId
              ? {
                  ...product,
                  categories: refs,
                  category_count: refs.length,
                  has_allocations: refs.length > 0,
                }
              : product,
          ),
        }
      : old,
  );
}

export function getProductCategories(
  queryClient: QueryClient,
  productId: string,
): CategoryRef[] | undefined {
  return (
    queryClient.getQueryData<PanelProduct>(queryKeys.product(productId))?.categories ??
    findProductInLists(queryClient, productId)?.categories
  );
}

/** Change the product counts of categories in the cached tree by a delta each. */
export function adjustTreeCounts(queryClient: QueryClient, deltas: Map<number, number>) {
  if (deltas.size === 0) return;
  queryClient.setQueryData<CategoryTreeEnvelope>(queryKeys.tree, (old) =>
    old
      ? {
          ...old,
          data: mapTree(old.data, (node) => {
            const delta = deltas.get(node.id);
            return delta
              ? { ...node, product_count: Math.max(0, node.product_count + delta) }
              : node;
          }),
        }
      : old,
  );
}

type AnyNode = { id: number; children: AnyNode[] };
function mapTree<T extends AnyNode>(nodes: T[], map: (node: T) => T): T[] {
  return nodes.map((node) => {
    const mapped = map(node);
    return { ...mapped, children: mapTree(mapped.children as T[], map) };
  });
}

const levelKey = (level: number) => `level_${level}` as 'level_1' | 'level_2' | 'level_3';

export function insertTreeCategory(queryClient: QueryClient, category: Category) {
  queryClient.setQueryData<CategoryTreeEnvelope>(queryKeys.tree, (old) => {
    if (!old) return old;
    const node = {
      id: category.id,
      name: category.name,
      level: category.level,
      parent_id: category.parent_id,
      product_count: category.product_count,
      children: [],
    };
    const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
    const data =
      category.parent_id === null
        ? [...old.data, node as TreeNode].sort(byName)
        : (mapTree(old.data as unknown as AnyNode[], (parent) =>
            parent.id === category.parent_id
              ? { ...parent, children: [...parent.children, node as AnyNode].sort(byName as never) }
              : parent,
          ) as unknown as TreeNode[]);
    const counts = { ...old.metadata.level_counts };
    counts[levelKey(category.level)] += 1;
    return {
      ...old,
      data,
      metadata: { total_categories: old.metadata.total_categories + 1, level_counts: counts },
    };
  });
}

export function renameTreeCategory(queryClient: QueryClient, id: number, name: string) {
  queryClient.setQueryData<CategoryTreeEnvelope>(queryKeys.tree, (old) =>
    old
      ? { ...old, data: mapTree(old.data, (node) => (node.id === id ? { ...node, name } : node)) }
      : old,
  );
  const rename = (refs: CategoryRef[]) =>
    refs.map((ref) => (ref.id === id ? { ...ref, name } : ref));
  queryClient.setQueriesData<ProductListEnvelope>({ queryKey: queryKeys.products }, (old) =>
    old
      ? {
          ...old,
          data: old.data.map((product) => ({ ...product, categories: rename(product.categories) })),
        }
      : old,
  );
  queryClient.setQueriesData<PanelProduct>({ queryKey: ['product'] }, (old) =>
    old ? { ...old, categories: rename(old.categories) } : old,
  );
}

export function removeTreeCategory(queryClient: QueryClient, id: number, level: number) {
  queryClient.setQueryData<CategoryTreeEnvelope>(queryKeys.tree, (old) => {
    if (!old) return old;
    const prune = (nodes: AnyNode[]): AnyNode[] =>
      nodes
        .filter((node) => node.id !== id)
        .map((node) => ({ ...node, children: prune(node.children) }));
    const counts = { ...old.metadata.level_counts };
    counts[levelKey(level)] = Math.max(0, counts[levelKey(level)] - 1);
    return {
      ...old,
      data: prune(old.data as unknown as AnyNode[]) as unknown as TreeNode[],
      metadata: {
        total_categories: Math.max(0, old.metadata.total_categories - 1),
        level_counts: counts,
      },
    };
  });
}

/**
 * After a write that changes assignments: statistics and other list pages are now out of date.
 * The page on screen is fetched again (with its count, one request) when the write can move
 * products into or out of it: "Uncategorised only", a category filter, or an order by last
 * modification. Other pages are only marked stale.
 */
export function markAssignmentsStale(queryClient: QueryClient) {
  void queryClient.invalidateQueries({ queryKey: queryKeys.stats, refetchType: 'none' });
  // The history shown (a product's, when open) has a new change set.
  void queryClient.invalidateQueries({ queryKey: queryKeys.changes });
  void queryClient.invalidateQueries({ queryKey: queryKeys.products, refetchType: 'none' });
  void queryClient.refetchQueries({
    queryKey: queryKeys.products,
    type: 'active',
    predicate: (query) => dependsOnAssignments(query.queryKey[1] as ProductListParams | undefined),
  });
}

function dependsOnAssignments(params: ProductListParams | undefined): boolean {
  return (
    !!params &&
    (params.hide_allocated === true ||
      params.category_id !== undefined ||
      params.sort?.endsWith('last_modified') === true)
  );
}

/** Refs for ids, from the tree index (the bulk result names ids only). */
export function refsFor(index: CategoryIndex | undefined, ids: number[]): CategoryRef[] {
  if (!index) return [];
  return ids.flatMap((id) => {
    const node = index.byId.get(id);
    return node ? [{ id: node.id, name: node.name, level: node.level }] : [];
  });
}

export type { QueryKey };
