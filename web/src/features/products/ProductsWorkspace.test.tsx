/**
 * The products workspace with the app's own query client, against a fake API at the network
 * boundary (`fetch`): the list, the product panel, and the cache edits of every assignment write
 * (web/src/api/queries.ts) — read back from the query cache, not only from the screen.
 */
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useCallback, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type {
  CategoryRef,
  CategoryWithPath,
  Product,
  ProductDetail,
  TreeNode,
  TreeNodeLevel2,
} from '@tag-manager/contract';
import type { CategoryTreeEnvelope, ProductListEnvelope } from '../../api/client';
import { createQueryClient, queryKeys, type PanelProduct } from '../../api/queries';
import { ToastProvider } from '../../components/Toasts';
import { DEFAULT_STATE, type UpdateState, type WorkspaceState } from '../../lib/url-state';
import { bulkPreviewFixture, envelope, errorEnvelope, productFixture } from '../../test/fixtures';
import { ProductsWorkspace } from './ProductsWorkspace';

// ---- fixtures: Tools > Hand tools > Hammers, and Garden ---------------------------------------

const TOOLS: CategoryRef = { id: 1, name: 'Tools', level: 1 };
const HAND_TOOLS: CategoryRef = { id: 2, name: 'Hand tools', level: 2 };
const HAMMERS: CategoryRef = { id: 3, name: 'Hammers', level: 3 };
const GARDEN: CategoryRef = { id: 4, name: 'Garden', level: 1 };

/** A product as its GET answers it (paths of its categories from the fixture tree). */
const detailOf = (listed: Product): ProductDetail => ({
  ...listed,
  categories: listed.categories.map((ref) => withPath(ref, [])), // level-1 categories here
  created_at: '2026-01-01T00:00:00.000Z',
  description: null,
});

const withPath = (ref: CategoryRef, parents: CategoryRef[]): CategoryWithPath => ({
  ...ref,
  parent_id: parents.at(-1)?.id ?? null,
  path: [...parents, ref].map((category) => category.name).join(' > '),
  path_ids: [...parents, ref].map((category) => category.id),
});

/** The tree with each category's product count taken from the products. */
function treeFixture(products: Product[]): TreeNode[] {
  const count = (id: number) =>
    products.filter((entry) => entry.categories.some((ref) => ref.id === id)).length;
  const hammers = {
    ...HAMMERS,
    level: 3 as const,
    parent_id: 2,
    product_count: count(3),
    children: [],
  };
  const handTools: TreeNodeLevel2 = {
    ...HAND_TOOLS,
    level: 2,
    parent_id: 1,
    product_count: count(2),
    children: [hammers],
  };
  return [
    { ...GARDEN, level: 1, parent_id: null, product_count: count(4), children: [] },
    { ...TOOLS, level: 1, parent_id: null, product_count: count(1), children: [handTools] },
  ];
}

const product = (product_id: string, product_name: string, categories: CategoryRef[] = []) =>
  productFixture(product_id, product_name, categories);

// ---- the fake API -----------------------------------------------------------------------------

interface FakeRequest {
  method: string;
  path: string;
  url: URL;
  body: unknown;
  ifMatch: string | null;
}
type Reply = { status: number; body: unknown; headers?: Record<string, string> };
type Handler = (request: FakeRequest) => Reply | Promise<Reply>;

/** Answers like the server for the routes a test installs; the list and the tree by default. */
function fakeApi(products: Product[]) {
  const requests: FakeRequest[] = [];
  const handlers = new Map<string, Handler>();
  handlers.set('GET /api/products', () => ({
    status: 200,
    body: {
      ...envelope(products),
      metadata: {
        total_products: products.length,
        filtered_products: products.length,
        count_estimated: false,
        filters: {
          hide_allocated: false,
          search: null,
          category_id: null,
          include_descendants: true,
          vendor: null,
          status: null,
        },
        sort: 'product_name',
      },
      pagination: {
        page: 1,
        page_size: 50,
        total_items: products.length,
        total_pages: 1,
        has_next: false,
        has_previous: false,
        next_cursor: null,
      },
    },
  }));
  handlers.set('GET /api/categories/tree', () => ({
    status: 200,
    body: {
      ...envelope(treeFixture(products)),
      metadata: { total_categories: 4, level_counts: { level_1: 2, level_2: 1, level_3: 1 } },
    },
  }));

  const fetchMock = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const ifMatch = new Headers(init?.headers).get('if-match');
    const request = { method, path: url.pathname, url, body, ifMatch };
    requests.push(request);
    const handler = handlers.get(`${method} ${url.pathname}`);
    const reply = handler
      ? await handler(request)
      : { status: 404, body: errorEnvelope('NOT_FOUND', `${method} ${url.pathname} not faked`) };
    return new Response(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json', ...reply.headers },
    });
  };
  vi.stubGlobal('fetch', fetchMock);

  return {
    requests,
    on: (route: string, handler: Handler) => handlers.set(route, handler),
    /** Requests other than the reads of the first render. */
    writes: () => requests.filter((request) => request.method !== 'GET'),
  };
}

/** A reply the test releases when it has looked at the optimistic state. */
function deferred() {
  let release: (reply: Reply) => void = () => {};
  const reply = new Promise<Reply>((resolve) => (release = resolve));
  return { handler: () => reply, release: (value: Reply) => release(value) };
}

// ---- rendering --------------------------------------------------------------------------------

/** The workspace with its state held in React (the app keeps it in the URL). */
function Workspace({ initial }: { initial: WorkspaceState }) {
  const [state, setState] = useState(initial);
  const update = useCallback<UpdateState>(
    (change) =>
      setState((current) => ({
        ...current,
        ...(typeof change === 'function' ? change(current) : change),
      })),
    [],
  );
  return <ProductsWorkspace state={state} update={update} />;
}

async function renderWorkspace(initial: Partial<WorkspaceState> = {}) {
  // The app's client (30 s staleTime): an opened product comes from the page, as in the app.
  const queryClient = createQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <Workspace initial={{ ...DEFAULT_STATE, ...initial }} />
      </ToastProvider>
    </QueryClientProvider>,
  );
  await screen.findByRole('tree', { name: 'Category tree' });
  await screen.findAllByRole('button', { name: /Claw hammer|Leaf rake|Panel saw/ });
  // Statistics seen earlier on their own page: an assignment write must mark them stale.
  queryClient.setQueryData(queryKeys.stats, envelope({}));
  return queryClient;
}

const rowOf = (productId: string) => {
  const row = document.querySelector<HTMLElement>(`tbody tr[data-product-id="${productId}"]`);
  if (!row) throw new Error(`no row for ${productId}`);
  return row;
};

/** The category chips of a product's row, as the paths they show on hover. */
const chipPaths = (productId: string) =>
  within(rowOf(productId))
    .queryAllByRole('listitem')
    .map((chip) => chip.getAttribute('title'));

/** The cached list pages' copy of one product. */
function listedProduct(queryClient: QueryClient, productId: string) {
  const pages = queryClient.getQueriesData<ProductListEnvelope>({ queryKey: queryKeys.products });
  expect(pages.length).toBeGreaterThan(0);
  return pages
    .flatMap(([, page]) => page?.data ?? [])
    .find((entry) => entry.product_id === productId);
}

const listedCategories = (queryClient: QueryClient, productId: string) =>
  listedProduct(queryClient, productId)?.categories.map((ref) => ref.id);

/** Product counts of the cached tree, by category id. */
function treeCounts(queryClient: QueryClient) {
  const counts: Record<number, number> = {};
  const visit = (nodes: { id: number; product_count: number; children: unknown[] }[]) => {
    for (const node of nodes) {
      counts[node.id] = node.product_count;
      visit(node.children as typeof nodes);
    }
  };
  visit(queryClient.getQueryData<CategoryTreeEnvelope>(queryKeys.tree)!.data);
  return counts;
}

/** Whether the list pages and the statistics are marked stale (after a write: both). */
const listIsInvalidated = (queryClient: QueryClient) => {
  const cache = queryClient.getQueryCache();
  const list = cache.findAll({ queryKey: queryKeys.products });
  const stats = cache.find({ queryKey: queryKeys.stats })!;
  const all = [...list, stats].map((query) => query.state.isInvalidated);
  expect(new Set(all).size, 'the list and the statistics are marked alike').toBe(1);
  return all[0];
};

/** The error toast with this title (other reads the screen makes may show their own). */
async function findAlert(title: string) {
  const matching = () =>
    screen.queryAllByRole('alert').find((alert) => alert.textContent?.includes(title));
  await waitFor(() => expect(matching()).toBeDefined());
  return matching()!;
}

const openProduct = (name: string) => fireEvent.click(screen.getByRole('button', { name }));

function tick(categoryId: number) {
  fireEvent.click(screen.getByRole('button', { name: 'Expand all categories' }));
  fireEvent.click(screen.getByTestId(`tick-${categoryId}`));
}

const catalog = () => [
  product('claw-hammer', 'Claw hammer'),
  product('rake', 'Leaf rake', [GARDEN]),
  product('saw', 'Panel saw'),
];

afterEach(() => vi.unstubAllGlobals());

// ---- the tests --------------------------------------------------------------------------------

describe('ProductsWorkspace: the list and the panel', () => {
  it('renders one row per product of GET /api/products, with its categories as chips', async () => {
    const api = fakeApi(catalog());
    await renderWorkspace();
    expect(api.requests.map((request) => `${request.method} ${request.url.pathname}`)).toEqual(
      expect.arrayContaining(['GET /api/products', 'GET /api/categories/tree']),
    );
    const list = api.requests.find((request) => request.path === '/api/products')!;
    expect(Object.fromEntries(list.url.searchParams)).toMatchObject({
      sort: 'product_name',
      limit: '50',
      offset: '0',
    });

    const rows = document.querySelectorAll('tbody tr');
    expect([...rows].map((row) => row.getAttribute('data-product-id'))).toEqual([
      'claw-hammer',
      'rake',
      'saw',
    ]);
    expect(
      within(rowOf('rake')).getByRole('list', { name: 'Categories of Leaf rake' }),
    ).toHaveTextContent('Garden');
    expect(rowOf('claw-hammer')).toHaveTextContent('Uncategorised');
    expect(rowOf('claw-hammer')).toHaveTextContent('SKU-claw-hammer');
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 1 of 1');
  });

  it('opens the selected product in the panel from the page at once, then reads it once for its ETag', async () => {
    const api = fakeApi(catalog());
    await renderWorkspace();
    expect(screen.queryByTestId('product-panel')).toBeNull();
    const before = api.requests.length;
    openProduct('Leaf rake');
    const panel = await screen.findByTestId('product-panel');
    expect(within(panel).getByRole('heading', { level: 2 })).toHaveTextContent('Leaf rake');
    expect(within(panel).getByTestId('assigned-categories')).toHaveTextContent('Garden');
    expect(rowOf('rake')).toHaveClass('open');
    // Shown from the page without waiting; the one request is the product's read, whose ETag
    // the panel's writes send as If-Match.
    await waitFor(() =>
      expect(
        api.requests.slice(before).map((request) => `${request.method} ${request.path}`),
      ).toEqual(['GET /api/products/rake']),
    );

    fireEvent.click(within(panel).getByRole('button', { name: 'Close product details' }));
    expect(screen.queryByTestId('product-panel')).toBeNull();
  });
});

describe('ProductsWorkspace: the cache after each assignment write', () => {
  it('assigning a category writes the resulting categories into the row, the panel and the caches', async () => {
    const api = fakeApi(catalog());
    const queryClient = await renderWorkspace();
    api.on('POST /api/products/claw-hammer/categories', () => ({
      status: 200,
      body: envelope({
        product_id: 'claw-hammer',
        added: [HAMMERS],
        ancestors_added: [TOOLS, HAND_TOOLS],
        already_assigned: [],
        categories: [
          withPath(TOOLS, []),
          withPath(HAND_TOOLS, [TOOLS]),
          withPath(HAMMERS, [TOOLS, HAND_TOOLS]),
        ],
        product_etag: '"claw-hammer-2"',
      }),
    }));
    api.on('GET /api/products/claw-hammer', () => ({
      status: 200,
      body: envelope(detailOf(product('claw-hammer', 'Claw hammer'))),
      headers: { etag: '"claw-hammer-1"' },
    }));
    openProduct('Claw hammer');
    const panel = await screen.findByTestId('product-panel');
    await waitFor(() =>
      expect(queryClient.getQueryData<PanelProduct>(queryKeys.product('claw-hammer'))?.etag).toBe(
        '"claw-hammer-1"',
      ),
    );
    tick(HAMMERS.id);
    const reads = api.requests.filter((request) => request.method === 'GET').length;
    fireEvent.click(within(panel).getByRole('button', { name: 'Assign 1 ticked category' }));

    await within(panel).findByTestId('assign-outcome');
    expect(api.writes().map((request) => [request.method, request.path, request.body])).toEqual([
      ['POST', '/api/products/claw-hammer/categories', { category_ids: [HAMMERS.id] }],
    ]);
    expect(within(panel).getByTestId('assign-outcome')).toHaveTextContent(
      'Parents added too: Tools; Tools > Hand tools',
    );
    // The row shows the most specific category, without a refetch.
    expect(chipPaths('claw-hammer')).toEqual(['Tools > Hand tools > Hammers']);
    expect(rowOf('claw-hammer')).not.toHaveTextContent('Uncategorised');
    expect(
      within(panel)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['Tools×', 'Tools > Hand tools×', 'Tools > Hand tools > Hammers×']);

    // The caches: the list page, the product's own entry, the tree's counts.
    expect(listedProduct(queryClient, 'claw-hammer')).toMatchObject({
      categories: [TOOLS, HAND_TOOLS, HAMMERS],
      category_count: 3,
      has_allocations: true,
    });
    expect(
      queryClient.getQueryData<PanelProduct>(queryKeys.product('claw-hammer'))?.categories,
    ).toEqual([TOOLS, HAND_TOOLS, HAMMERS]);
    expect(listedCategories(queryClient, 'rake')).toEqual([GARDEN.id]);
    expect(treeCounts(queryClient)).toEqual({ 1: 1, 2: 1, 3: 1, 4: 1 });
    // The write was conditional on the read the panel showed; the ETag of the new state came
    // with the answer, so the product is not read again for the next write's If-Match.
    expect(api.writes()[0]!.ifMatch).toBe('"claw-hammer-1"');
    expect(queryClient.getQueryData<PanelProduct>(queryKeys.product('claw-hammer'))?.etag).toBe(
      '"claw-hammer-2"',
    );
    // Other pages and the statistics are stale but not refetched while nothing shows them.
    expect(listIsInvalidated(queryClient)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests.slice(api.requests.indexOf(api.writes()[0]!) + 1)).toEqual([]);
    expect(api.requests.filter((request) => request.method === 'GET').length).toBe(reads);
  });

  it('a refused assignment changes no cache and says why', async () => {
    const api = fakeApi(catalog());
    const queryClient = await renderWorkspace();
    api.on('POST /api/products/claw-hammer/categories', () => ({
      status: 404,
      body: errorEnvelope('NOT_FOUND', 'Category 3 not found'),
    }));
    openProduct('Claw hammer');
    const panel = await screen.findByTestId('product-panel');
    tick(HAMMERS.id);
    fireEvent.click(within(panel).getByRole('button', { name: 'Assign 1 ticked category' }));

    const alert = await findAlert('Could not assign the categories');
    expect(alert).toHaveTextContent('Category 3 not found');
    expect(listedProduct(queryClient, 'claw-hammer')).toMatchObject({
      categories: [],
      category_count: 0,
      has_allocations: false,
    });
    expect(treeCounts(queryClient)).toEqual({ 1: 0, 2: 0, 3: 0, 4: 1 });
    expect(listIsInvalidated(queryClient)).toBe(false);
    expect(rowOf('claw-hammer')).toHaveTextContent('Uncategorised');
  });

  it('removing a chip is optimistic, then takes the server’s categories and counts', async () => {
    const api = fakeApi(catalog());
    const queryClient = await renderWorkspace();
    const answer = deferred();
    api.on('DELETE /api/products/rake/categories/4', answer.handler);
    api.on('GET /api/products/rake', () => ({
      status: 200,
      body: envelope(detailOf(product('rake', 'Leaf rake', [GARDEN]))),
      headers: { etag: '"rake-1"' },
    }));
    openProduct('Leaf rake');
    const panel = await screen.findByTestId('product-panel');
    await waitFor(() =>
      expect(queryClient.getQueryData<PanelProduct>(queryKeys.product('rake'))?.etag).toBe(
        '"rake-1"',
      ),
    );
    fireEvent.click(within(panel).getByRole('button', { name: 'Remove Garden' }));

    // Before the server answers: gone from the caches and the row already.
    await waitFor(() => expect(listedCategories(queryClient, 'rake')).toEqual([]));
    expect(queryClient.getQueryData<PanelProduct>(queryKeys.product('rake'))?.categories).toEqual(
      [],
    );
    expect(rowOf('rake')).toHaveTextContent('Uncategorised');
    expect(treeCounts(queryClient)[GARDEN.id]).toBe(1); // counts wait for the answer

    answer.release({
      status: 200,
      body: envelope({
        product_id: 'rake',
        removed: [GARDEN],
        descendants_removed: [],
        categories: [],
        product_etag: '"rake-2"',
      }),
    });
    await within(panel).findByTestId('assign-outcome');
    expect(within(panel).getByTestId('assign-outcome')).toHaveTextContent('Removed: Garden');
    expect(listedProduct(queryClient, 'rake')).toMatchObject({
      categories: [],
      category_count: 0,
      has_allocations: false,
    });
    expect(treeCounts(queryClient)).toEqual({ 1: 0, 2: 0, 3: 0, 4: 0 });
    expect(listIsInvalidated(queryClient)).toBe(true);
    expect(api.writes().map((request) => `${request.method} ${request.path}`)).toEqual([
      'DELETE /api/products/rake/categories/4',
    ]);
    // The optimistic edit kept the ETag of what the panel showed: the removal was conditional
    // on it (not on a read made after the click), and its answer gave the next one.
    expect(api.writes()[0]!.ifMatch).toBe('"rake-1"');
    expect(api.requests.filter((request) => request.path === '/api/products/rake')).toHaveLength(1);
    expect(queryClient.getQueryData<PanelProduct>(queryKeys.product('rake'))?.etag).toBe(
      '"rake-2"',
    );
  });

  it('a refused removal rolls the optimistic edit back', async () => {
    const api = fakeApi(catalog());
    const queryClient = await renderWorkspace();
    const answer = deferred();
    api.on('DELETE /api/products/rake/categories/4', answer.handler);
    openProduct('Leaf rake');
    const panel = await screen.findByTestId('product-panel');
    fireEvent.click(within(panel).getByRole('button', { name: 'Remove Garden' }));
    await waitFor(() => expect(listedCategories(queryClient, 'rake')).toEqual([]));

    answer.release({ status: 409, body: errorEnvelope('CONFLICT', 'The catalog is locked') });
    const alert = await findAlert('Could not remove the category');
    expect(alert).toHaveTextContent('The catalog is locked');
    expect(listedProduct(queryClient, 'rake')).toMatchObject({
      categories: [GARDEN],
      category_count: 1,
      has_allocations: true,
    });
    expect(queryClient.getQueryData<PanelProduct>(queryKeys.product('rake'))?.categories).toEqual([
      GARDEN,
    ]);
    expect(
      within(rowOf('rake')).getByRole('list', { name: 'Categories of Leaf rake' }),
    ).toHaveTextContent('Garden');
    expect(within(panel).getByTestId('assigned-categories')).toHaveTextContent('Garden');
    expect(treeCounts(queryClient)).toEqual({ 1: 0, 2: 0, 3: 0, 4: 1 });
    expect(listIsInvalidated(queryClient)).toBe(false);
  });

  it('bulk assign adds the assigned categories and their parents to every product it changed', async () => {
    const api = fakeApi(catalog());
    const queryClient = await renderWorkspace();
    api.on('POST /api/bulk/assign', ({ body }) =>
      (body as { dry_run?: boolean }).dry_run
        ? {
            status: 200,
            body: envelope(bulkPreviewFixture({ matched: 3, will_change: 2, unchanged: 1 })),
          }
        : {
            status: 200,
            body: envelope({
              results: [
                {
                  product_id: 'claw-hammer',
                  assigned: [HAND_TOOLS.id],
                  ancestors_added: [TOOLS.id],
                  skipped: [],
                  errors: [],
                },
                { product_id: 'rake', assigned: [], ancestors_added: [], skipped: [], errors: [] },
                {
                  product_id: 'saw',
                  assigned: [HAND_TOOLS.id],
                  ancestors_added: [TOOLS.id],
                  skipped: [],
                  errors: [],
                },
              ],
              summary: {
                products_processed: 3,
                total_assigned: 2,
                total_ancestors_added: 2,
                total_skipped: 0,
                total_errors: 0,
              },
            }),
          },
    );
    for (const name of ['Claw hammer', 'Leaf rake', 'Panel saw'])
      fireEvent.click(screen.getByRole('checkbox', { name: `Select ${name}` }));
    tick(HAND_TOOLS.id);
    const bar = screen.getByTestId('bulk-bar');
    expect(bar).toHaveTextContent('3 products selected');
    fireEvent.click(within(bar).getByTestId('bulk-assign'));
    const preview = await screen.findByRole('dialog', { name: 'Assign categories?' });
    expect(within(preview).getByTestId('bulk-preview')).toHaveTextContent('2Will change');
    expect(listedCategories(queryClient, 'saw')).toEqual([]); // nothing written by the preview
    fireEvent.click(within(preview).getByRole('button', { name: 'Assign to 2 products' }));

    const result = await screen.findByRole('dialog', { name: 'Bulk assign result' });
    expect(within(result).getByTestId('bulk-summary')).toHaveTextContent('3Products processed');
    const asked = { product_ids: ['claw-hammer', 'rake', 'saw'], category_ids: [HAND_TOOLS.id] };
    expect(api.writes().map((request) => [request.path, request.body])).toEqual([
      ['/api/bulk/assign', { ...asked, dry_run: true }],
      ['/api/bulk/assign', asked],
    ]);
    for (const productId of ['claw-hammer', 'saw']) {
      expect(listedProduct(queryClient, productId)).toMatchObject({
        categories: [HAND_TOOLS, TOOLS],
        category_count: 2,
        has_allocations: true,
      });
      expect(chipPaths(productId)).toEqual(['Tools > Hand tools']);
    }
    expect(listedProduct(queryClient, 'rake')).toMatchObject({
      categories: [GARDEN],
      category_count: 1,
    });
    expect(treeCounts(queryClient)).toEqual({ 1: 2, 2: 2, 3: 0, 4: 1 });
    expect(listIsInvalidated(queryClient)).toBe(true);
  });

  it('bulk remove, once confirmed, takes the removed categories and subcategories out', async () => {
    const api = fakeApi([
      product('claw-hammer', 'Claw hammer', [TOOLS, HAND_TOOLS, HAMMERS]),
      product('rake', 'Leaf rake', [GARDEN]),
      product('saw', 'Panel saw', [TOOLS, HAND_TOOLS]),
    ]);
    const queryClient = await renderWorkspace();
    api.on('POST /api/bulk/remove', ({ body }) =>
      (body as { dry_run?: boolean }).dry_run
        ? {
            status: 200,
            body: envelope(bulkPreviewFixture({ matched: 2, will_change: 1, unchanged: 1 })),
          }
        : {
            status: 200,
            body: envelope({
              results: [
                {
                  product_id: 'claw-hammer',
                  removed: [HAND_TOOLS.id],
                  descendants_removed: [HAMMERS.id],
                  skipped: [],
                  errors: [],
                },
                {
                  product_id: 'rake',
                  removed: [],
                  descendants_removed: [],
                  skipped: [2],
                  errors: [],
                },
              ],
              summary: {
                products_processed: 2,
                total_removed: 1,
                total_descendants_removed: 1,
                total_skipped: 1,
                total_errors: 0,
              },
            }),
          },
    );
    for (const name of ['Claw hammer', 'Leaf rake'])
      fireEvent.click(screen.getByRole('checkbox', { name: `Select ${name}` }));
    tick(HAND_TOOLS.id);
    fireEvent.click(screen.getByTestId('bulk-remove'));
    const confirm = await screen.findByRole('dialog', { name: 'Remove categories?' });
    // Only the dry run is sent before the confirmation.
    const asked = { product_ids: ['claw-hammer', 'rake'], category_ids: [HAND_TOOLS.id] };
    expect(api.writes().map((request) => request.body)).toEqual([
      { ...asked, dry_run: true, remove_unneeded_parents: false },
    ]);
    fireEvent.click(within(confirm).getByRole('button', { name: 'Remove from 1 product' }));

    await screen.findByRole('dialog', { name: 'Bulk remove result' });
    expect(api.writes().map((request) => [request.path, request.body])).toEqual([
      ['/api/bulk/remove', { ...asked, dry_run: true, remove_unneeded_parents: false }],
      ['/api/bulk/remove', { ...asked, remove_unneeded_parents: false }],
    ]);
    expect(listedProduct(queryClient, 'claw-hammer')).toMatchObject({
      categories: [TOOLS],
      category_count: 1,
      has_allocations: true,
    });
    expect(listedCategories(queryClient, 'rake')).toEqual([GARDEN.id]);
    expect(listedCategories(queryClient, 'saw')).toEqual([TOOLS.id, HAND_TOOLS.id]);
    expect(chipPaths('claw-hammer')).toEqual(['Tools']);
    expect(chipPaths('saw')).toEqual(['Tools > Hand tools']);
    expect(treeCounts(queryClient)).toEqual({ 1: 2, 2: 1, 3: 0, 4: 1 });
    expect(listIsInvalidated(queryClient)).toBe(true);
  });

  it('a failed bulk write changes no cache and says why', async () => {
    const api = fakeApi(catalog());
    const queryClient = await renderWorkspace();
    api.on('POST /api/bulk/assign', () => ({
      status: 422,
      body: errorEnvelope('VALIDATION_ERROR', 'product_ids: too many products'),
    }));
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select Claw hammer' }));
    tick(GARDEN.id);
    fireEvent.click(screen.getByTestId('bulk-assign'));

    const alert = await findAlert('Bulk assign failed');
    expect(alert).toHaveTextContent('product_ids: too many products');
    expect(listedCategories(queryClient, 'claw-hammer')).toEqual([]);
    expect(treeCounts(queryClient)).toEqual({ 1: 0, 2: 0, 3: 0, 4: 1 });
    expect(listIsInvalidated(queryClient)).toBe(false);
  });
});

describe('ProductsWorkspace: drawers and focus (layout, issue 11)', () => {
  it('closing the product panel gives focus back to the product in the list', async () => {
    fakeApi(catalog());
    await renderWorkspace();
    openProduct('Leaf rake');
    const panel = await screen.findByTestId('product-panel');
    expect(document.activeElement).toBe(within(panel).getByRole('heading', { level: 2 }));
    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('product-panel')).toBeNull();
    expect(document.activeElement).toBe(
      within(rowOf('rake')).getByRole('button', { name: 'Leaf rake' }),
    );
  });

  it('the Categories button opens the tree drawer; Esc closes it first, then the product', async () => {
    fakeApi(catalog());
    await renderWorkspace({ product: 'rake' });
    await screen.findByTestId('product-panel');
    const toggle = screen.getByTestId('tree-toggle');
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    fireEvent.click(toggle);
    expect(toggle).toHaveAttribute('aria-expanded', 'true');
    expect(document.querySelector('.workspace')).toHaveClass('tree-open');
    expect(document.activeElement?.getAttribute('role')).toBe('treeitem');

    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    expect(document.querySelector('.workspace')).not.toHaveClass('tree-open');
    expect(document.activeElement).toBe(toggle);
    expect(screen.getByTestId('product-panel')).toBeInTheDocument();

    fireEvent.keyDown(document.activeElement!, { key: 'Escape' });
    expect(screen.queryByTestId('product-panel')).toBeNull();
  });

  it('the tree column has a keyboard resize handle', async () => {
    window.localStorage.removeItem('tag-manager.sidebar-width');
    fakeApi(catalog());
    await renderWorkspace();
    const separator = screen.getByRole('separator', { name: 'Resize categories' });
    fireEvent.keyDown(separator, { key: 'ArrowRight' });
    expect(separator).toHaveAttribute('aria-valuenow', '336');
    expect(
      document.querySelector<HTMLElement>('.workspace')!.style.getPropertyValue('--tree-width'),
    ).toBe('336px');
    window.localStorage.removeItem('tag-manager.sidebar-width');
  });
});
