/**
 * The screen's state lives in the URL: the view in the path, the products workspace's filters,
 * sort, page, page size and open product in the query string. Reload, back/forward and shared
 * links therefore show the same screen. Defaults are left out of the URL to keep links short.
 */
import { useCallback, useSyncExternalStore } from 'react';
import type { ProductSort, ProductStatus } from '@tag-manager/contract';
import type { ProductFilterParams, ProductListParams } from '../api/client';

export type View = 'products' | 'statistics' | 'transfer' | 'monitoring';

export const VIEW_PATHS: Record<View, string> = {
  products: '/',
  statistics: '/statistics',
  transfer: '/import-export',
  monitoring: '/monitoring',
};

export const PRODUCT_SORT_OPTIONS = [
  { value: 'product_name', label: 'Name (A–Z)' },
  { value: '-product_name', label: 'Name (Z–A)' },
  { value: '-last_modified', label: 'Recently modified' },
  { value: 'last_modified', label: 'Least recently modified' },
  { value: 'product_id', label: 'Handle (A–Z)' },
  { value: '-product_id', label: 'Handle (Z–A)' },
] as const satisfies readonly { value: ProductSort; label: string }[];

export const PRODUCT_STATUS_OPTIONS = [
  'active',
  'draft',
  'archived',
] as const satisfies readonly ProductStatus[];
export const PAGE_SIZES = [25, 50, 100, 200] as const;

export interface WorkspaceState {
  view: View;
  page: number;
  pageSize: number;
  search: string;
  hideAllocated: boolean;
  vendor: string;
  status: ProductStatus | '';
  categoryId: number | null;
  includeDescendants: boolean;
  sort: ProductSort;
  product: string | null;
}

export const DEFAULT_STATE: WorkspaceState = {
  view: 'products',
  page: 1,
  pageSize: 50,
  search: '',
  hideAllocated: false,
  vendor: '',
  status: '',
  categoryId: null,
  includeDescendants: true,
  sort: 'product_name',
  product: null,
};

function positiveInteger(
  value: string | null,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (value === null) return fallback;
  const parsed = Number(value);
  return Number.isInteger(parsed) && parsed >= 1 && parsed <= max ? parsed : fallback;
}

export function parseLocation(pathname: string, search: string): WorkspaceState {
  const params = new URLSearchParams(search);
  const view =
    (Object.entries(VIEW_PATHS).find(([, path]) => path === pathname)?.[0] as View | undefined) ??
    'products';
  const sort = params.get('sort');
  const status = params.get('status');
  const categoryId = positiveInteger(params.get('category'), 0, 2_147_483_647);
  return {
    view,
    page: positiveInteger(params.get('page'), 1),
    pageSize: positiveInteger(params.get('size'), DEFAULT_STATE.pageSize, 500),
    search: params.get('q') ?? '',
    hideAllocated: params.get('uncategorised') === '1',
    vendor: params.get('vendor') ?? '',
    status: PRODUCT_STATUS_OPTIONS.find((option) => option === status) ?? '',
    categoryId: categoryId === 0 ? null : categoryId,
    includeDescendants: params.get('descendants') !== '0',
    sort: PRODUCT_SORT_OPTIONS.find((option) => option.value === sort)?.value ?? DEFAULT_STATE.sort,
    product: params.get('product'),
  };
}

export function formatLocation(state: WorkspaceState): string {
  const params = new URLSearchParams();
  if (state.search) params.set('q', state.search);
  if (state.hideAllocated) params.set('uncategorised', '1');
  if (state.vendor) params.set('vendor', state.vendor);
  if (state.status) params.set('status', state.status);
  if (state.categoryId !== null) params.set('category', String(state.categoryId));
  if (!state.includeDescendants) params.set('descendants', '0');
  if (state.sort !== DEFAULT_STATE.sort) params.set('sort', state.sort);
  if (state.pageSize !== DEFAULT_STATE.pageSize) params.set('size', String(state.pageSize));
  if (state.page !== 1) params.set('page', String(state.page));
  if (state.product) params.set('product', state.product);
  const query = params.toString();
  return `${VIEW_PATHS[state.view]}${query ? `?${query}` : ''}`;
}

/** The API filters of a workspace state (shared by the list and the CSV export). */
export function toFilterParams(state: WorkspaceState): ProductFilterParams {
  return {
    search: state.search.trim() || undefined,
    hide_allocated: state.hideAllocated || undefined,
    vendor: state.vendor.trim() || undefined,
    status: state.status || undefined,
    category_id: state.categoryId ?? undefined,
    include_descendants: state.categoryId !== null && !state.includeDescendants ? false : undefined,
    sort: state.sort,
  };
}

export function toListParams(state: WorkspaceState, page = state.page): ProductListParams {
  return { ...toFilterParams(state), limit: state.pageSize, offset: (page - 1) * state.pageSize };
}

const listeners = new Set<() => void>();
let cachedHref = '';
let cachedState = DEFAULT_STATE;

function snapshot(): WorkspaceState {
  const href = window.location.pathname + window.location.search;
  if (href !== cachedHref) {
    cachedHref = href;
    cachedState = parseLocation(window.location.pathname, window.location.search);
  }
  return cachedState;
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export type UpdateState = (
  change: Partial<WorkspaceState> | ((state: WorkspaceState) => Partial<WorkspaceState>),
  options?: { replace?: boolean },
) => void;

/** The state in the URL and a setter that writes it back (push by default, replace on demand). */
export function useUrlState(): [WorkspaceState, UpdateState] {
  const state = useSyncExternalStore(subscribe, snapshot, snapshot);
  const update = useCallback<UpdateState>((change, options) => {
    const current = snapshot();
    const next = { ...current, ...(typeof change === 'function' ? change(current) : change) };
    const href = formatLocation(next);
    if (href === cachedHref) return;
    if (options?.replace) window.history.replaceState(null, '', href);
    else window.history.pushState(null, '', href);
    for (const listener of listeners) listener();
  }, []);
  return [state, update];
}
