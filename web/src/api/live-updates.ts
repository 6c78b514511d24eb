/**
 * Live updates (docs/live-updates.md): one stream of GET /api/events for the whole app, applied
 * to the TanStack Query cache.
 *
 * - The stream is read with fetch, not EventSource: EventSource cannot send the
 *   `Authorization` header that token mode needs (a token in the URL would end up in logs). It
 *   reconnects by itself, sending `Last-Event-ID`, so nothing is missed across a dropped
 *   connection; a `reset` (too far behind) refetches everything.
 * - An event patches what it carries: the list rows of the products it names (chips,
 *   category_count), the tree's counts of its categories, the queue's remaining count. What it
 *   cannot patch is marked stale and refetched only where shown: pages whose membership may
 *   have changed, statistics, the history; the tree after a taxonomy change.
 * - This tab's own writes are already in the cache (each write's answer is applied): their
 *   events are recognised by the write's X-Request-Id, which carries this tab's id, and
 *   skipped. A job's batches are applied, since a job's answer carried none of them.
 * - A product open in the panel is never overwritten: it is flagged ("changed by …") and
 *   reloaded when the operator asks; its next write would anyway answer 412 (If-Match).
 */
import type { QueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import type { LiveChangeEvent, Product } from '@tag-manager/contract';
import { authStore } from './auth';
import type { CategoryTreeEnvelope, ProductListEnvelope, ProductListParams } from './client';
import { queryKeys, type PanelProduct } from './queries';
import { TAB_ID } from './request-id';

export { nextRequestId, TAB_ID } from './request-id';

// ---- this tab's writes -----------------------------------------------------------------------

/** Whether the event is a write this tab made and has already applied from its answer. */
export function isOwnWrite(event: Pick<LiveChangeEvent, 'request_id' | 'job_id'>): boolean {
  return event.job_id === null && !!event.request_id?.startsWith(`${TAB_ID}.`);
}

/** `token:3:Alice` → Alice; without access control every write is the anonymous `api`. */
export function actorName(actor: string): string {
  const token = /^token:\d+:(.*)$/.exec(actor);
  if (token?.[1]) return token[1];
  if (actor === 'api') return 'another session';
  return actor;
}

// ---- the state the UI shows ------------------------------------------------------------------

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'off';

export interface LiveState {
  status: LiveStatus;
  /** The latest change by someone else, for the "Updated by …" notice. */
  notice: { actor: string; kind: string; at: number; id: number } | null;
  /** Products changed by someone else since this tab read them: handle → who. */
  changedProducts: ReadonlyMap<string, { actor: string; id: number }>;
  /** The newest event applied (its id); the queue view follows it. */
  lastEvent: LiveChangeEvent | null;
}

/** How many event ids a tab remembers, to apply each change set once (replays may repeat some). */
const REMEMBERED_EVENTS = 2000;

export function createLiveStore() {
  const applied = new Set<number>();
  let state: LiveState = {
    status: 'off',
    notice: null,
    changedProducts: new Map(),
    lastEvent: null,
  };
  const listeners = new Set<() => void>();
  const update = (change: Partial<LiveState>) => {
    state = { ...state, ...change };
    for (const listener of listeners) listener();
  };
  return {
    get: () => state,
    /** The id of the last event received: a new connection (a new token) resumes from it. */
    lastEventId: undefined as string | undefined,
    subscribe(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    update,
    /**
     * Whether the change set `id` is new to this tab (and from now on known). A reconnect's
     * replay also sends change sets below the last one received that may have committed after
     * it (ids come from a sequence, commits in any order): the ones already applied are known.
     */
    firstSeen(id: number): boolean {
      if (applied.has(id)) return false;
      applied.add(id);
      if (applied.size > REMEMBERED_EVENTS) {
        const oldest = applied.values().next().value;
        if (oldest !== undefined) applied.delete(oldest);
      }
      return true;
    },
    flagProduct(handle: string, actor: string, id: number) {
      const changed = new Map(state.changedProducts);
      changed.set(handle, { actor, id });
      update({ changedProducts: changed });
    },
    /** The operator reloaded the product (or closed it): no longer flagged. */
    clearProduct(handle: string) {
      if (!state.changedProducts.has(handle)) return;
      const changed = new Map(state.changedProducts);
      changed.delete(handle);
      update({ changedProducts: changed });
    },
  };
}

export type LiveStore = ReturnType<typeof createLiveStore>;

/** The app's store (tests make their own). */
export const liveStore = createLiveStore();

export function useLiveState(store: LiveStore = liveStore): LiveState {
  return useSyncExternalStore(store.subscribe, store.get, store.get);
}

// ---- applying an event to the cache ----------------------------------------------------------

/** A page whose members may change when assignments change (so it cannot be patched). */
function membershipDependsOnAssignments(params: ProductListParams | undefined): boolean {
  return (
    !!params &&
    (params.hide_allocated === true ||
      params.incomplete === true ||
      params.category_id !== undefined ||
      params.sort?.endsWith('last_modified') === true)
  );
}

function patchRows(queryClient: QueryClient, rows: Product[]) {
  if (rows.length === 0) return;
  const byHandle = new Map(rows.map((row) => [row.product_id, row]));
  queryClient.setQueriesData<ProductListEnvelope>({ queryKey: queryKeys.products }, (old) =>
    old && old.data.some((product) => byHandle.has(product.product_id))
      ? { ...old, data: old.data.map((product) => byHandle.get(product.product_id) ?? product) }
      : old,
  );
}

/** Set the tree's product counts to the event's (absolute, so applying twice is harmless). */
function setTreeCounts(queryClient: QueryClient, counts: LiveChangeEvent['categories']) {
  if (counts.length === 0) return;
  const byId = new Map(counts.map((entry) => [entry.id, entry.product_count]));
  type Node = { id: number; product_count: number; children: Node[] };
  const map = (nodes: Node[]): Node[] =>
    nodes.map((node) => ({
      ...node,
      product_count: byId.get(node.id) ?? node.product_count,
      children: map(node.children),
    }));
  queryClient.setQueryData<CategoryTreeEnvelope>(queryKeys.tree, (old) =>
    old ? { ...old, data: map(old.data as unknown as Node[]) as unknown as typeof old.data } : old,
  );
}

/** What one change event does to the cache. Own writes are skipped (already applied). */
export function applyLiveEvent(
  queryClient: QueryClient,
  event: LiveChangeEvent,
  store: LiveStore = liveStore,
): 'applied' | 'own' {
  if (isOwnWrite(event)) {
    store.update({ lastEvent: event });
    return 'own';
  }
  const effects = new Set(event.effects);
  const rowsKnown = event.products.length === event.product_count;

  const hidden = { refetchType: 'none' as const };
  // The rows it carries, in every cached page; an open product is flagged instead.
  patchRows(queryClient, event.products);
  for (const handle of event.handles) {
    const detail = queryClient.getQueryCache().find<PanelProduct>({
      queryKey: queryKeys.product(handle),
      exact: true,
    });
    if (!detail) continue;
    // Shown (the panel): flagged. Only cached: read again when next shown.
    if (detail.getObserversCount() > 0) store.flagProduct(handle, actorName(event.actor), event.id);
    else void queryClient.invalidateQueries({ queryKey: detail.queryKey, exact: true, ...hidden });
  }
  if (effects.has('assignments') || effects.has('counts')) {
    setTreeCounts(queryClient, event.categories);
  }

  // What it cannot patch: pages whose members may have changed, and rows it does not carry.
  if (effects.has('taxonomy') || event.category_count > event.categories.length) {
    void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
  }
  if (effects.has('catalog') || effects.has('products') || effects.has('taxonomy') || !rowsKnown) {
    void queryClient.invalidateQueries({ queryKey: queryKeys.products });
    void queryClient.invalidateQueries({ queryKey: queryKeys.catalogValues, ...hidden });
  } else if (effects.has('assignments')) {
    void queryClient.invalidateQueries({ queryKey: queryKeys.products, ...hidden });
    void queryClient.refetchQueries({
      queryKey: queryKeys.products,
      type: 'active',
      predicate: (query) =>
        membershipDependsOnAssignments(query.queryKey[1] as ProductListParams | undefined),
    });
  }
  if (effects.has('counts') || effects.has('taxonomy') || effects.has('catalog')) {
    void queryClient.invalidateQueries({ queryKey: queryKeys.stats });
  }
  void queryClient.invalidateQueries({ queryKey: queryKeys.changes });
  if (event.job_id !== null) void queryClient.invalidateQueries({ queryKey: queryKeys.jobs });

  store.update({
    lastEvent: event,
    notice: { actor: actorName(event.actor), kind: event.kind, at: Date.now(), id: event.id },
  });
  return 'applied';
}

/** Too far behind: everything is read again. */
export function resetCache(queryClient: QueryClient) {
  void queryClient.invalidateQueries();
}

// ---- the stream ------------------------------------------------------------------------------

export interface StreamMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/** Splits Server-Sent Events text as it arrives (fields per the HTML standard). */
export function createEventParser(onMessage: (message: StreamMessage) => void) {
  let buffer = '';
  let id: string | undefined;
  let event = '';
  let data: string[] = [];
  return (chunk: string) => {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.search(/\r\n|\n|\r/)) >= 0) {
      // A CR last in the chunk may be the first half of CRLF: wait for the next chunk.
      if (buffer[newline] === '\r' && newline === buffer.length - 1) break;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
      if (line === '') {
        if (data.length > 0) onMessage({ id, event: event || 'message', data: data.join('\n') });
        event = '';
        data = [];
        id = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data.push(value);
      else if (field === 'event') event = value;
      else if (field === 'id') id = value;
    }
  };
}

export interface LiveConnectionOptions {
  queryClient: QueryClient;
  store?: LiveStore;
  baseUrl?: string;
  fetchImpl?: typeof fetch;
  getToken?: () => string | null;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Opens the stream and keeps it open (reconnecting with backoff) until the returned stop. */
export function connectLiveUpdates(options: LiveConnectionOptions): () => void {
  const store = options.store ?? liveStore;
  const fetchImpl = options.fetchImpl ?? ((...args) => fetch(...args));
  const getToken = options.getToken ?? (() => authStore.getToken());
  let stopped = false;
  let attempt = 0;
  let controller: AbortController | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const onMessage = (message: StreamMessage) => {
    if (message.id !== undefined) store.lastEventId = message.id;
    if (message.event === 'ready') {
      attempt = 0;
      store.update({ status: 'live' });
    } else if (message.event === 'reset') {
      resetCache(options.queryClient);
    } else if (message.event === 'change') {
      const event = JSON.parse(message.data) as LiveChangeEvent;
      if (store.firstSeen(event.id)) applyLiveEvent(options.queryClient, event, store);
    }
  };

  const retry = (delay: number) => {
    if (stopped) return;
    store.update({ status: 'reconnecting' });
    timer = setTimeout(() => void open(), delay);
  };

  async function open() {
    if (stopped) return;
    controller = new AbortController();
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (store.lastEventId !== undefined) headers['last-event-id'] = store.lastEventId;
    const backoff = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** attempt);
    attempt += 1;
    try {
      const response = await fetchImpl(`${options.baseUrl ?? ''}/api/events`, {
        headers,
        signal: controller.signal,
        cache: 'no-store',
      });
      if (!response.ok || !response.body) {
        // 401 (a token yet to be entered), 429 (too many tabs), 503 (shutting down): later.
        retry(response.status === 429 ? RETRY_MAX_MS : backoff);
        return;
      }
      const parse = createEventParser(onMessage);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parse(value);
      }
      retry(backoff);
    } catch {
      if (!stopped) retry(backoff);
    }
  }

  store.update({ status: 'connecting' });
  void open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
    store.update({ status: 'off' });
  };
}

/** Mounted once (App): the app's one stream. */
export function useLiveUpdates(queryClient: QueryClient, enabled = true) {
  // A new token (entered after a 401, or signed out) opens the stream again at once.
  const token = useSyncExternalStore(authStore.subscribe, authStore.getToken, authStore.getToken);
  useEffect(() => {
    if (!enabled || typeof ReadableStream === 'undefined') return;
    return connectLiveUpdates({ queryClient, getToken: () => token });
  }, [queryClient, enabled, token]);
}
