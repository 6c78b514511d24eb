/**
 * The screen's state lives in the URL: the view in the path, the products workspace's filters,
 * sort, page, page size and open product in the query string. Reload, back/forward and shared
 * links therefore show the same screen. Defaults are left out of the URL to keep links short.
 */
import { useCallback, useSyncExternalStore } from 'react';
import {
  PRODUCT_FILTER_FIELDS,
  PRODUCT_STATUSES,
  ProductFilterFields,
  type ProductFilterField,
  type ProductFilterQuery,
  type ProductSort,
} from '@tag-manager/contract';
import type { ProductFilterParams, ProductListParams } from '../api/client';

export type View = 'products' | 'statistics' | 'transfer' | 'monitoring' | 'queue' | 'history';

export const VIEW_PATHS: Record<View, string> = {
  products: '/',
  statistics: '/statistics',
  transfer: '/import-export',
  monitoring: '/monitoring',
  queue: '/queue',
  history: '/history',
};

const SORT_LABELS = {
  product_name: 'Name (A–Z)',
  '-product_name': 'Name (Z–A)',
  '-last_modified': 'Recently modified',
  last_modified: 'Least recently modified',
  product_id: 'Handle (A–Z)',
  '-product_id': 'Handle (Z–A)',
} satisfies Record<ProductSort, string>;

export const PRODUCT_SORT_OPTIONS = Object.entries(SORT_LABELS).map(([value, label]) => ({
  value: value as ProductSort,
  label,
}));

export const PRODUCT_STATUS_OPTIONS = PRODUCT_STATUSES;
export const PAGE_SIZES = [25, 50, 100, 200] as const;

/**
 * The filters, one field per query field of the contract's filter table (same names, same
 * types); undefined: not set. The URL carries them under the same names, except the older
 * short names below (kept so that links shared before stay valid).
 */
export type FilterState = { [K in ProductFilterField]: ProductFilterQuery[K] | undefined };

const URL_NAMES: Partial<Record<ProductFilterField, string>> = {
  search: 'q',
  hide_allocated: 'uncategorised',
  category_id: 'category',
  include_descendants: 'descendants',
};
const urlName = (field: ProductFilterField) => URL_NAMES[field] ?? field;

/** The parts of a query field's JSON schema the URL state reads. */
interface FieldSchema {
  type?: string;
  enum?: readonly unknown[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}
const schemaOf = (field: ProductFilterField) => ProductFilterFields[field] as FieldSchema;

/** A URL value as the field's type; undefined when it is absent or not a valid value. */
function decodeField(field: ProductFilterField, raw: string | null): unknown {
  const schema = schemaOf(field);
  if (raw === null) return schema.default;
  if (schema.type === 'boolean') return raw === '1' ? true : raw === '0' ? false : schema.default;
  if (schema.type === 'integer') {
    const value = Number(raw);
    const valid =
      Number.isInteger(value) &&
      value >= (schema.minimum ?? Number.MIN_SAFE_INTEGER) &&
      value <= (schema.maximum ?? Number.MAX_SAFE_INTEGER);
    return valid ? value : schema.default;
  }
  if (schema.enum) return schema.enum.includes(raw) ? raw : schema.default;
  return raw === '' ? schema.default : raw;
}

/** Whether a filter field holds its default (left out of URLs and requests). */
function isDefault(field: ProductFilterField, value: unknown): boolean {
  return value === undefined || value === '' || value === schemaOf(field).default;
}

export interface WorkspaceState extends FilterState {
  view: View;
  page: number;
  /**
   * The keyset cursor that leads to `page` (the API's `next_cursor` of the page before): the
   * page starts right after the last product seen there. Null: `page` by offset (page 1, or a
   * link typed or shared without one). See README "Paging".
   */
  after: string | null;
  pageSize: number;
  sort: ProductSort;
  product: string | null;
  /**
   * The History screen's own filters (with `product` and `category_id` above, shared with the
   * products screen): the change kind, the actor, the job. In the URL as `kind`, `actor`, `job`.
   */
  changeKind: string | null;
  actor: string | null;
  jobId: number | null;
}

/** The History screen's filters, back to none. */
export const CLEARED_HISTORY_FILTERS: Partial<WorkspaceState> = {
  product: null,
  category_id: undefined,
  changeKind: null,
  actor: null,
  jobId: null,
  page: 1,
};

const DEFAULT_FILTERS = Object.fromEntries(
  PRODUCT_FILTER_FIELDS.map((field) => [field, schemaOf(field).default]),
) as FilterState;

export const DEFAULT_STATE: WorkspaceState = {
  view: 'products',
  page: 1,
  after: null,
  pageSize: 50,
  ...DEFAULT_FILTERS,
  sort: 'product_name',
  product: null,
  changeKind: null,
  actor: null,
  jobId: null,
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

/** The API's cursors are base64url and at most 2,000 characters (the contract's limit). */
function cursorParam(value: string | null): string | null {
  return value && value.length <= 2000 && /^[A-Za-z0-9_-]+$/.test(value) ? value : null;
}

export function parseLocation(pathname: string, search: string): WorkspaceState {
  const params = new URLSearchParams(search);
  const view =
    (Object.entries(VIEW_PATHS).find(([, path]) => path === pathname)?.[0] as View | undefined) ??
    'products';
  const sort = params.get('sort');
  const filters = Object.fromEntries(
    PRODUCT_FILTER_FIELDS.map((field) => [field, decodeField(field, params.get(urlName(field)))]),
  ) as FilterState;
  return {
    view,
    page: positiveInteger(params.get('page'), 1),
    after: cursorParam(params.get('after')),
    pageSize: positiveInteger(params.get('size'), DEFAULT_STATE.pageSize, 500),
    ...filters,
    sort: PRODUCT_SORT_OPTIONS.find((option) => option.value === sort)?.value ?? DEFAULT_STATE.sort,
    product: params.get('product'),
    changeKind: shortText(params.get('kind'), 64),
    actor: shortText(params.get('actor'), 255),
    jobId: params.get('job') === null ? null : positiveInteger(params.get('job'), 0) || null,
  };
}

const shortText = (value: string | null, max: number) =>
  value && value.length <= max ? value : null;

export function formatLocation(state: WorkspaceState): string {
  const params = new URLSearchParams();
  for (const field of PRODUCT_FILTER_FIELDS) {
    const value = state[field];
    if (isDefault(field, value)) continue;
    params.set(urlName(field), typeof value === 'boolean' ? (value ? '1' : '0') : String(value));
  }
  if (state.sort !== DEFAULT_STATE.sort) params.set('sort', state.sort);
  if (state.pageSize !== DEFAULT_STATE.pageSize) params.set('size', String(state.pageSize));
  if (state.page !== 1) params.set('page', String(state.page));
  if (state.after && state.page !== 1) params.set('after', state.after);
  if (state.product) params.set('product', state.product);
  if (state.view === 'history') {
    if (state.changeKind) params.set('kind', state.changeKind);
    if (state.actor) params.set('actor', state.actor);
    if (state.jobId) params.set('job', String(state.jobId));
  }
  const query = params.toString();
  return `${VIEW_PATHS[state.view]}${query ? `?${query}` : ''}`;
}

/** The API filters of a workspace state (shared by the list and the CSV export). */
export function toFilterParams(state: WorkspaceState): ProductFilterParams {
  const params: Record<string, unknown> = {};
  for (const field of PRODUCT_FILTER_FIELDS) {
    const raw = state[field];
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (!isDefault(field, value)) params[field] = value;
  }
  return { ...(params as ProductFilterParams), sort: state.sort };
}

/** Every filter back to its default (page 1). */
export const CLEARED_FILTERS: Partial<WorkspaceState> = { ...DEFAULT_FILTERS, page: 1 };

/** The list request of a state: by cursor when the state has one, else by offset. */
export function toListParams(state: WorkspaceState): ProductListParams {
  const filters = { ...toFilterParams(state), limit: state.pageSize };
  return state.after && state.page > 1
    ? { ...filters, cursor: state.after }
    : { ...filters, offset: (state.page - 1) * state.pageSize };
}

/** What a cursor is tied to: the list's filters, sort and page size. */
const LIST_FIELDS = [...PRODUCT_FILTER_FIELDS, 'sort', 'pageSize', 'page'] as const;

/**
 * A change applied to the state. A cursor belongs to the filters, sort, page size and page it was
 * made for: a change to any of them that does not name its own `after` drops it (offset paging).
 */
export function applyChange(
  current: WorkspaceState,
  change: Partial<WorkspaceState> | ((state: WorkspaceState) => Partial<WorkspaceState>),
): WorkspaceState {
  const patch = typeof change === 'function' ? change(current) : change;
  const next = { ...current, ...patch };
  if (!('after' in patch) && LIST_FIELDS.some((field) => next[field] !== current[field])) {
    next.after = null;
  }
  return next;
}

/**
 * The cursors of the pages visited in this tab, per list (filters, sort, page size): "Previous"
 * goes back to the position it came from, not to an offset that the changes since have shifted.
 * A page never visited (a deep link to page 5, then Previous) falls back to its offset.
 */
const MAX_REMEMBERED_LISTS = 20;
const pageCursors = new Map<string, Map<number, string | null>>();
const listKey = (state: WorkspaceState) =>
  JSON.stringify({ ...toFilterParams(state), size: state.pageSize });

export function rememberPageCursor(state: WorkspaceState) {
  const key = listKey(state);
  const pages = pageCursors.get(key) ?? new Map<number, string | null>();
  pageCursors.delete(key); // most recently used last
  pageCursors.set(key, pages.set(state.page, state.after));
  if (pageCursors.size > MAX_REMEMBERED_LISTS) {
    pageCursors.delete(pageCursors.keys().next().value!);
  }
}

/** Forget every remembered cursor (tests start from a fresh tab). */
export function forgetPageCursors() {
  pageCursors.clear();
}

/** The change to the page before: by its remembered cursor, else by offset. */
export function previousPage(state: WorkspaceState): Partial<WorkspaceState> {
  const page = Math.max(1, state.page - 1);
  const after = page > 1 ? (pageCursors.get(listKey(state))?.get(page) ?? null) : null;
  return { page, after };
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
    const next = applyChange(snapshot(), change);
    const href = formatLocation(next);
    if (href === cachedHref) return;
    if (options?.replace) window.history.replaceState(null, '', href);
    else window.history.pushState(null, '', href);
    for (const listener of listeners) listener();
  }, []);
  return [state, update];
}
