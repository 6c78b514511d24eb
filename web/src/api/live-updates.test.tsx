/**
 * Live updates applied to the query cache: rows and tree counts patched from the event, pages
 * that cannot be patched invalidated, this tab's own writes skipped, an open product flagged
 * and never overwritten, the status line, and the SSE parser.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CategoryRef, LiveChangeEvent, ProductDetail, TreeNode } from '@tag-manager/contract';
import { LiveStatus } from '../components/LiveStatus';
import { ToastProvider } from '../components/Toasts';
import { ProductPanel } from '../features/products/ProductPanel';
import { buildCategoryIndex } from '../lib/category-index';
import { envelope, productFixture } from '../test/fixtures';
import type { CategoryTreeEnvelope, ProductListEnvelope } from './client';
import {
  applyLiveEvent,
  connectLiveUpdates,
  createEventParser,
  createLiveStore,
  nextRequestId,
  type StreamMessage,
} from './live-updates';
import { createQueryClient, fromDetail, queryKeys } from './queries';

const TOOLS: CategoryRef = { id: 1, name: 'Tools', level: 1 };
const SAWS: CategoryRef = { id: 2, name: 'Saws', level: 2 };
const TREE: TreeNode[] = [
  {
    ...TOOLS,
    parent_id: null,
    product_count: 4,
    children: [{ ...SAWS, level: 2, parent_id: 1, product_count: 1, children: [] }],
  },
];

const treeEnvelope = (): CategoryTreeEnvelope =>
  ({
    ...envelope(TREE),
    metadata: { total_categories: 2, level_counts: { level_1: 1, level_2: 1, level_3: 0 } },
  }) as unknown as CategoryTreeEnvelope;

const listEnvelope = (products = [productFixture('p-1', 'Saw'), productFixture('p-2', 'Glue')]) =>
  ({
    ...envelope(products),
    pagination: { limit: 50, offset: 0, total_items: 2, total_pages: 1 },
    metadata: {},
  }) as unknown as ProductListEnvelope;

function changeEvent(overrides: Partial<LiveChangeEvent> = {}): LiveChangeEvent {
  return {
    id: 41,
    kind: 'product.assign',
    actor: 'token:7:Alice',
    source: 'api',
    request_id: 'someone-else.1',
    created_at: '2026-12-03T09:00:00.000Z',
    job_id: null,
    reverts: null,
    effects: ['assignments', 'counts'],
    counts: { added: 1, ancestors_added: 1 },
    product_count: 1,
    handles: ['p-1'],
    products: [productFixture('p-1', 'Saw', [TOOLS, SAWS])],
    category_count: 2,
    categories: [
      { id: 1, product_count: 5 },
      { id: 2, product_count: 2 },
    ],
    catalog: { total_products: 10, categorized_products: 6, uncategorized_products: 4 },
    ...overrides,
  };
}

function cacheWithListAndTree() {
  const queryClient = createQueryClient();
  const params = { limit: 50 };
  queryClient.setQueryData(queryKeys.productList(params), listEnvelope());
  queryClient.setQueryData(queryKeys.tree, treeEnvelope());
  return { queryClient, listKey: queryKeys.productList(params) };
}

const countOf = (queryClient: ReturnType<typeof createQueryClient>, id: number) => {
  const tree = queryClient.getQueryData<CategoryTreeEnvelope>(queryKeys.tree)!;
  const find = (nodes: TreeNode[]): number | undefined => {
    for (const node of nodes) {
      if (node.id === id) return node.product_count;
      const below = find(node.children as TreeNode[]);
      if (below !== undefined) return below;
    }
    return undefined;
  };
  return find(tree.data as TreeNode[]);
};

afterEach(() => vi.unstubAllGlobals());

describe('applyLiveEvent', () => {
  it('patches the rows it carries and the tree counts, without refetching the page', () => {
    const { queryClient, listKey } = cacheWithListAndTree();
    const store = createLiveStore();
    expect(applyLiveEvent(queryClient, changeEvent(), store)).toBe('applied');
    const rows = queryClient.getQueryData<ProductListEnvelope>(listKey)!.data;
    expect(rows[0]).toMatchObject({ product_id: 'p-1', category_count: 2 });
    expect(rows[0]!.categories.map((category) => category.name)).toEqual(['Tools', 'Saws']);
    expect(rows[1]).toMatchObject({ product_id: 'p-2', category_count: 0 });
    expect(countOf(queryClient, 1)).toBe(5);
    expect(countOf(queryClient, 2)).toBe(2);
    // The patched page is marked stale for later, not refetched (no storm).
    expect(queryClient.getQueryState(listKey)?.isInvalidated).toBe(true);
    expect(store.get().notice).toMatchObject({ actor: 'Alice', kind: 'product.assign' });
  });

  it('skips the events of this tab’s own writes (already applied from their answers)', () => {
    const { queryClient, listKey } = cacheWithListAndTree();
    const store = createLiveStore();
    const own = changeEvent({ request_id: nextRequestId() });
    expect(applyLiveEvent(queryClient, own, store)).toBe('own');
    expect(queryClient.getQueryData<ProductListEnvelope>(listKey)!.data[0]!.category_count).toBe(0);
    expect(countOf(queryClient, 1)).toBe(4);
    expect(store.get().notice).toBeNull();
    // A job started by this tab is not: its batches were never in an answer.
    expect(applyLiveEvent(queryClient, { ...own, job_id: 3 }, store)).toBe('applied');
  });

  it('invalidates the pages when the event names more products than it carries', () => {
    const { queryClient, listKey } = cacheWithListAndTree();
    applyLiveEvent(
      queryClient,
      changeEvent({
        kind: 'bulk.assign',
        product_count: 5000,
        handles: ['p-9'],
        products: [],
      }),
      createLiveStore(),
    );
    expect(queryClient.getQueryState(listKey)?.isInvalidated).toBe(true);
    expect(queryClient.getQueryData<ProductListEnvelope>(listKey)!.data[0]!.category_count).toBe(0);
  });

  it('marks the tree stale after a taxonomy change, and statistics after a count change', () => {
    const { queryClient } = cacheWithListAndTree();
    queryClient.setQueryData(queryKeys.stats, envelope({}));
    applyLiveEvent(
      queryClient,
      changeEvent({
        kind: 'category.create',
        effects: ['taxonomy'],
        handles: [],
        products: [],
        product_count: 0,
        categories: [],
        category_count: 1,
      }),
      createLiveStore(),
    );
    expect(queryClient.getQueryState(queryKeys.tree)?.isInvalidated).toBe(true);
    applyLiveEvent(queryClient, changeEvent({ id: 42 }), createLiveStore());
    expect(queryClient.getQueryState(queryKeys.stats)?.isInvalidated).toBe(true);
  });
});

describe('a product open in the panel', () => {
  it('is flagged when someone else changes it, and never overwritten until reloaded', async () => {
    const detail: ProductDetail = {
      ...productFixture('p-1', 'Panel saw', [TOOLS]),
      categories: [{ ...TOOLS, parent_id: null, path: 'Tools', path_ids: [1] }],
      created_at: '2026-01-01T00:00:00.000Z',
      description: null,
    };
    const reads: string[] = [];
    vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
      reads.push(String(input));
      return new Response(JSON.stringify(envelope(detail)), {
        status: 200,
        headers: { 'content-type': 'application/json', etag: '"v2"' },
      });
    });
    const queryClient = createQueryClient();
    queryClient.setQueryData(queryKeys.product('p-1'), fromDetail(detail, '"v1"'));
    const store = createLiveStore();
    render(
      <QueryClientProvider client={queryClient}>
        <ToastProvider>
          <ProductPanel
            productId="p-1"
            index={buildCategoryIndex(TREE)}
            selectedCategories={new Set()}
            onClose={() => {}}
            live={store}
          />
        </ToastProvider>
      </QueryClientProvider>,
    );
    await screen.findByText('Panel saw');
    act(() => {
      applyLiveEvent(queryClient, changeEvent(), store);
    });
    expect(await screen.findByTestId('remote-change')).toHaveTextContent('Changed by Alice');
    // What the panel shows is still its own read (and its ETag, for the next If-Match).
    expect(queryClient.getQueryData<{ etag: string }>(queryKeys.product('p-1'))?.etag).toBe('"v1"');
    expect(screen.getAllByText('Tools').length).toBeGreaterThan(0);
    fireEvent.click(screen.getByRole('button', { name: 'Reload' }));
    await waitFor(() => expect(screen.queryByTestId('remote-change')).toBeNull());
    await waitFor(() =>
      expect(queryClient.getQueryData<{ etag: string }>(queryKeys.product('p-1'))?.etag).toBe(
        '"v2"',
      ),
    );
    expect(reads.some((url) => url.endsWith('/api/products/p-1'))).toBe(true);
  });
});

describe('the status line', () => {
  it('says who updated, quietly', () => {
    const store = createLiveStore();
    render(<LiveStatus store={store} />);
    expect(screen.getByTestId('live-status')).toHaveTextContent('Not live');
    act(() => store.update({ status: 'live' }));
    expect(screen.getByTestId('live-status')).toHaveTextContent('Live');
    act(() => {
      applyLiveEvent(createQueryClient(), changeEvent(), store);
    });
    expect(screen.getByTestId('live-status')).toHaveTextContent(/Updated by Alice at/);
    expect(screen.getByRole('status')).toHaveAttribute('aria-live', 'polite');
  });
});

describe('the SSE parser', () => {
  it('reads events split anywhere across chunks, and skips comments', () => {
    const messages: StreamMessage[] = [];
    const parse = createEventParser((message) => messages.push(message));
    const text =
      'retry: 3000\n\n: heartbeat\n\nid: 7\nevent: change\ndata: {"id":7}\n\nevent: ready\r\nid: 7\r\ndata: {"last_event_id":7}\r\n\r\n';
    for (let at = 0; at < text.length; at += 5) parse(text.slice(at, at + 5));
    expect(messages).toEqual([
      { id: '7', event: 'change', data: '{"id":7}' },
      { id: '7', event: 'ready', data: '{"last_event_id":7}' },
    ]);
  });
});

describe('the connection', () => {
  it('applies the stream to the cache, and resumes with Last-Event-ID after a drop', async () => {
    const { queryClient, listKey } = cacheWithListAndTree();
    const store = createLiveStore();
    const sent: Record<string, string>[] = [];
    const bodies = [
      `retry: 3000\n\nid: 40\nevent: ready\ndata: {"last_event_id":40}\n\nid: 41\nevent: change\ndata: ${JSON.stringify(changeEvent())}\n\n`,
      'id: 41\nevent: ready\ndata: {"last_event_id":41}\n\n',
    ];
    const fetchMock = async (_input: RequestInfo | URL, init?: RequestInit) => {
      sent.push({ ...(init?.headers as Record<string, string>) });
      const body = bodies.shift();
      // The first stream ends (a dropped connection); the second stays open.
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          if (body) controller.enqueue(new TextEncoder().encode(body));
          if (sent.length === 1) controller.close();
        },
      });
      return new Response(stream, {
        status: 200,
        headers: { 'content-type': 'text/event-stream' },
      });
    };
    const stop = connectLiveUpdates({
      queryClient,
      store,
      fetchImpl: fetchMock as typeof fetch,
      getToken: () => 'secret',
    });
    await waitFor(() =>
      expect(queryClient.getQueryData<ProductListEnvelope>(listKey)!.data[0]!.category_count).toBe(
        2,
      ),
    );
    await waitFor(() => expect(sent).toHaveLength(2), { timeout: 5000 });
    expect(sent[0]).toMatchObject({ authorization: 'Bearer secret' });
    expect(sent[0]!['last-event-id']).toBeUndefined();
    expect(sent[1]).toMatchObject({ 'last-event-id': '41', authorization: 'Bearer secret' });
    await waitFor(() => expect(store.get().status).toBe('live'));
    stop();
    expect(store.get().status).toBe('off');
  });

  it('applies each change set once: a reconnect replays a lower id that committed late, and may repeat one', async () => {
    const { queryClient } = cacheWithListAndTree();
    const store = createLiveStore();
    const applied: number[] = [];
    store.subscribe(() => {
      const id = store.get().lastEvent?.id;
      if (id !== undefined && id !== applied.at(-1)) applied.push(id);
    });
    const message = (id: number) =>
      `id: ${id}\nevent: change\ndata: ${JSON.stringify(changeEvent({ id }))}\n\n`;
    // 41 live; after a reconnect, the replay sends 40 (committed after 41, out of order) and 41
    // again (a window below the last id), then 43 live.
    const body =
      'id: 39\nevent: ready\ndata: {"last_event_id":39}\n\n' +
      message(41) +
      message(40) +
      message(41) +
      'id: 41\nevent: ready\ndata: {"last_event_id":41}\n\n' +
      message(43);
    const fetchMock = async () =>
      new Response(
        new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(body));
          },
        }),
        { status: 200, headers: { 'content-type': 'text/event-stream' } },
      );
    const stop = connectLiveUpdates({
      queryClient,
      store,
      fetchImpl: fetchMock as typeof fetch,
      getToken: () => null,
    });
    await waitFor(() => expect(store.get().lastEvent?.id).toBe(43));
    expect(applied).toEqual([41, 40, 43]);
    stop();
  });
});
