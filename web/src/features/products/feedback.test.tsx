/**
 * Issue 11's feedback and affordances on the products screen, with the app's query client and a
 * fake API at the network boundary: a delete refused with 409 refreshes the tree, a new category
 * is revealed, the export says what it holds, "Clear filters", readable search errors without a
 * useless "Try again", unambiguous chips, and a cascading chip removal that asks first.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useCallback, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CategoryRef, Product, TreeNode } from '@tag-manager/contract';
import { createQueryClient, queryKeys } from '../../api/queries';
import { ToastProvider } from '../../components/Toasts';
import { DEFAULT_STATE, type UpdateState, type WorkspaceState } from '../../lib/url-state';
import { envelope, errorEnvelope, productFixture } from '../../test/fixtures';
import { ProductsWorkspace } from './ProductsWorkspace';

// Kitchen > Cleaners, and Bathroom > Tiles > Cleaners: two categories named "Cleaners".
const KITCHEN: CategoryRef = { id: 1, name: 'Kitchen', level: 1 };
const KITCHEN_CLEANERS: CategoryRef = { id: 2, name: 'Cleaners', level: 2 };
const BATHROOM: CategoryRef = { id: 3, name: 'Bathroom', level: 1 };
const TILES: CategoryRef = { id: 4, name: 'Tiles', level: 2 };
const TILE_CLEANERS: CategoryRef = { id: 5, name: 'Cleaners', level: 3 };
const GROUT: CategoryRef = { id: 6, name: 'Grout', level: 3 };

function tree(counts: Record<number, number> = {}): TreeNode[] {
  const count = (id: number) => counts[id] ?? 0;
  return [
    {
      ...BATHROOM,
      level: 1,
      parent_id: null,
      product_count: count(3),
      children: [
        {
          ...TILES,
          level: 2,
          parent_id: 3,
          product_count: count(4),
          children: [
            { ...TILE_CLEANERS, level: 3, parent_id: 4, product_count: count(5), children: [] },
            { ...GROUT, level: 3, parent_id: 4, product_count: count(6), children: [] },
          ],
        },
      ],
    },
    {
      ...KITCHEN,
      level: 1,
      parent_id: null,
      product_count: count(1),
      children: [
        { ...KITCHEN_CLEANERS, level: 2, parent_id: 1, product_count: count(2), children: [] },
      ],
    },
  ];
}

const product = (product_id: string, product_name: string, categories: CategoryRef[] = []) =>
  productFixture(product_id, product_name, categories, { sku: null });

interface FakeRequest {
  method: string;
  path: string;
  url: URL;
}
type Reply = { status: number; body: unknown };

function listReply(products: Product[], totalProducts = products.length): Reply {
  return {
    status: 200,
    body: {
      ...envelope(products),
      metadata: {
        total_products: totalProducts,
        filtered_products: products.length,
        count_estimated: false,
        filters: {},
        sort: 'product_name',
      },
      pagination: {
        page: 1,
        page_size: 50,
        total_items: products.length,
        total_pages: products.length === 0 ? 0 : 1,
        has_next: false,
        has_previous: false,
        next_cursor: null,
      },
    },
  };
}

function fakeApi(options: {
  list?: (request: FakeRequest) => Reply;
  tree?: () => TreeNode[];
  routes?: Record<string, (request: FakeRequest) => Reply>;
}) {
  const requests: FakeRequest[] = [];
  const fetchMock = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const request = { method, path: url.pathname, url };
    requests.push(request);
    const key = `${method} ${url.pathname}`;
    let reply: Reply;
    if (key === 'GET /api/products') reply = (options.list ?? (() => listReply([])))(request);
    else if (key === 'GET /api/categories/tree')
      reply = {
        status: 200,
        body: {
          ...envelope((options.tree ?? tree)()),
          metadata: { total_categories: 6, level_counts: { level_1: 2, level_2: 2, level_3: 2 } },
        },
      };
    else if (options.routes?.[key]) reply = options.routes[key]!(request);
    else if (key.startsWith('GET /api/catalog-values') || key.startsWith('GET /api/vendors'))
      reply = { status: 200, body: { ...envelope([]), pagination: {} } };
    else reply = { status: 404, body: errorEnvelope('NOT_FOUND', `${key} not faked`) };
    return new Response(reply.status === 204 ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  vi.stubGlobal('fetch', fetchMock);
  return {
    requests,
    count: (key: string) =>
      requests.filter((request) => `${request.method} ${request.path}` === key).length,
  };
}

let currentState: WorkspaceState = DEFAULT_STATE;
function Workspace({ initial }: { initial: WorkspaceState }) {
  const [state, setState] = useState(initial);
  currentState = state;
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

async function renderWorkspace(initial: Partial<WorkspaceState> = {}, retry = true) {
  const queryClient = createQueryClient();
  if (!retry) queryClient.setQueryDefaults(queryKeys.products, { retry: false });
  render(
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <Workspace initial={{ ...DEFAULT_STATE, ...initial }} />
      </ToastProvider>
    </QueryClientProvider>,
  );
  await screen.findByRole('tree', { name: 'Category tree' });
  return queryClient;
}

const treeItem = (name: RegExp) => screen.getByRole('treeitem', { name });

afterEach(() => vi.unstubAllGlobals());

describe('a delete refused with 409', () => {
  it('shows why and fetches the tree again, so its counts are current', async () => {
    let counts: Record<number, number> = {};
    const api = fakeApi({
      tree: () => tree(counts),
      routes: {
        'DELETE /api/categories/6': () => {
          counts = { 3: 2, 4: 2, 6: 2 }; // assigned meanwhile (another tab, an import)
          return {
            status: 409,
            body: errorEnvelope('CONFLICT', 'The category is in use', {
              child_count: 0,
              product_count: 2,
            }),
          };
        },
      },
    });
    await renderWorkspace();
    fireEvent.click(screen.getByRole('button', { name: 'Expand all categories' }));
    fireEvent.click(treeItem(/^Grout/));
    fireEvent.click(screen.getByRole('button', { name: 'Delete' }));
    const dialog = await screen.findByRole('dialog', { name: 'Delete “Grout”?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete category' }));
    await within(dialog).findByText(/2 products are assigned to it/);
    await waitFor(() => expect(api.count('GET /api/categories/tree')).toBe(2));
    await waitFor(() => expect(treeItem(/^Grout/)).toHaveTextContent(/2\s*products/));
    expect(treeItem(/^Bathroom/)).toHaveTextContent(/2\s*products/);
  });
});

describe('a new category', () => {
  it('is revealed: its parents open, the row focused and scrolled to', async () => {
    const created = {
      id: 9,
      name: 'Sealer',
      level: 3,
      parent_id: 4,
      path: 'Bathroom > Tiles > Sealer',
      path_ids: [3, 4, 9],
      has_children: false,
      child_count: 0,
      product_count: 0,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    };
    fakeApi({
      routes: { 'POST /api/categories': () => ({ status: 201, body: envelope(created) }) },
    });
    const scrolled: string[] = [];
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this.getAttribute('data-id') ?? '');
    };
    await renderWorkspace();
    // Collapsed: only the level-1 rows show.
    expect(screen.queryByRole('treeitem', { name: /^Tiles/ })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: '+ New' }));
    const dialog = await screen.findByRole('dialog', { name: 'New category' });
    fireEvent.change(within(dialog).getByLabelText('Name'), { target: { value: 'Sealer' } });
    fireEvent.click(within(dialog).getByLabelText('Level 3'));
    fireEvent.change(within(dialog).getByLabelText(/^Parent/), { target: { value: '4' } });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Create category' }));

    const row = await screen.findByRole('treeitem', { name: /^Sealer/ });
    expect(treeItem(/^Tiles/)).toHaveAttribute('aria-expanded', 'true');
    expect(treeItem(/^Bathroom/)).toHaveAttribute('aria-expanded', 'true');
    await waitFor(() => expect(row).toHaveFocus());
    expect(row).toHaveClass('revealed');
    expect(row).toHaveAttribute('tabindex', '0');
    expect(scrolled).toContain('9');

    // Revealed once: later changes of the tree leave the focus where the operator put it.
    const search = screen.getByLabelText('Search');
    search.focus();
    fireEvent.click(screen.getByRole('button', { name: 'Expand all categories' }));
    await waitFor(() =>
      expect(screen.getAllByRole('treeitem', { name: /^Cleaners/ })).toHaveLength(2),
    );
    expect(search).toHaveFocus();
  });
});

describe('the export button and the empty list', () => {
  it('says how many products the export holds: all of them, or the current filter', async () => {
    const all = [product('a', 'Alpha'), product('b', 'Beta'), product('c', 'Gamma')];
    fakeApi({
      list: ({ url }) =>
        url.searchParams.get('hide_allocated') === 'true'
          ? listReply(all.slice(0, 2), 3)
          : listReply(all),
    });
    await renderWorkspace();
    const exportLink = await screen.findByTestId('export-csv');
    await waitFor(() => expect(exportLink).toHaveTextContent('Export CSV (all 3 products)'));
    expect(exportLink.getAttribute('href')).not.toContain('hide_allocated');

    fireEvent.click(screen.getByTestId('hide-allocated'));
    await waitFor(() =>
      expect(exportLink).toHaveTextContent('Export CSV (current filter: 2 products)'),
    );
    expect(exportLink.getAttribute('href')).toContain('hide_allocated=true');
  });

  it('offers "Clear filters" when no product matches, and it resets every filter', async () => {
    const api = fakeApi({
      list: ({ url }) =>
        url.searchParams.size > 3 ? listReply([], 1) : listReply([product('a', 'Alpha')]),
    });
    await renderWorkspace({ vendor: 'Nobody', hide_allocated: true, status: 'draft' });
    const empty = await screen.findByText('No products match these filters.');
    const clear = within(empty.parentElement!).getByRole('button', { name: 'Clear filters' });
    fireEvent.click(clear);
    await screen.findByRole('button', { name: 'Alpha' });
    expect(currentState).toMatchObject({
      vendor: undefined,
      hide_allocated: false,
      status: undefined,
      page: 1,
    });
    const last = api.requests.filter((request) => request.path === '/api/products').at(-1)!;
    expect([...last.url.searchParams.keys()].sort()).toEqual(['limit', 'offset', 'sort']);
  });

  it('offers no "Clear filters" on an empty catalog without filters', async () => {
    fakeApi({ list: () => listReply([]) });
    await renderWorkspace();
    await screen.findByText('No products match these filters.');
    expect(screen.queryByRole('button', { name: 'Clear filters' })).toBeNull();
  });
});

describe('the search box', () => {
  it('has maxlength 200, keeps a longer paste whole and says so instead of sending it', async () => {
    const api = fakeApi({ list: () => listReply([product('a', 'Alpha')]) });
    await renderWorkspace();
    const search = screen.getByLabelText('Search');
    expect(search).toHaveAttribute('maxlength', '200');
    const long = 'w'.repeat(250);
    fireEvent.paste(search, { clipboardData: { getData: () => long } });
    expect(search).toHaveValue(long);
    expect(search).toHaveAttribute('aria-invalid', 'true');
    expect(search).toHaveAccessibleDescription(
      'A search can be at most 200 characters (this one has 250).',
    );
    vi.useFakeTimers();
    try {
      act(() => vi.advanceTimersByTime(1000)); // well past the search's debounce
    } finally {
      vi.useRealTimers();
    }
    expect(api.requests.some((request) => request.url.searchParams.has('search'))).toBe(false);
    // A search within the limit is sent as before.
    fireEvent.change(search, { target: { value: 'alpha' } });
    await waitFor(() =>
      expect(
        api.requests.some((request) => request.url.searchParams.get('search') === 'alpha'),
      ).toBe(true),
    );
  });

  it('a refused search (422) reads as words, with "Clear filters" and no "Try again"', async () => {
    fakeApi({
      list: ({ url }) =>
        url.searchParams.has('search')
          ? {
              status: 422,
              body: errorEnvelope(
                'VALIDATION_ERROR',
                'search: must NOT have more than 200 characters',
                {
                  field_errors: [
                    { field: 'search', message: 'must NOT have more than 200 characters' },
                  ],
                },
              ),
            }
          : listReply([product('a', 'Alpha')]),
    });
    await renderWorkspace({ search: 'q'.repeat(201) }); // a shared link
    const alert = await screen.findByText(/The products could not be loaded/);
    expect(alert).toHaveTextContent(
      'The products could not be loaded: The search is too long: at most 200 characters.',
    );
    expect(alert).not.toHaveTextContent('must NOT');
    const callout = alert.closest('[role="alert"]')!;
    expect(within(callout as HTMLElement).queryByRole('button', { name: 'Try again' })).toBeNull();
    fireEvent.click(within(callout as HTMLElement).getByRole('button', { name: 'Clear filters' }));
    await screen.findByRole('button', { name: 'Alpha' });
    expect(currentState.search).toBeUndefined();
  });

  it('a server failure (503) still offers "Try again"', async () => {
    fakeApi({
      list: () => ({
        status: 503,
        body: errorEnvelope('SERVICE_UNAVAILABLE', 'The database is not available'),
      }),
    });
    await renderWorkspace({}, false);
    await screen.findByRole('button', { name: 'Try again' });
  });
});

describe('category chips', () => {
  it('show enough of the path to tell two "Cleaners" apart, the full path on hover', async () => {
    fakeApi({
      list: () =>
        listReply([
          product('a', 'Alpha', [KITCHEN, KITCHEN_CLEANERS]),
          product('b', 'Beta', [BATHROOM, TILES, TILE_CLEANERS]),
          product('c', 'Gamma', [BATHROOM, TILES, GROUT]),
        ]),
    });
    await renderWorkspace();
    const chips = async (name: string) =>
      within(await screen.findByRole('list', { name: `Categories of ${name}` })).getAllByRole(
        'listitem',
      );
    const [kitchen] = await chips('Alpha');
    expect(kitchen!.querySelector('[aria-hidden="true"]')).toHaveTextContent(
      /^Kitchen › Cleaners$/,
    );
    expect(kitchen).toHaveAttribute('title', 'Kitchen > Cleaners');
    const [tiles] = await chips('Beta');
    expect(tiles!.querySelector('[aria-hidden="true"]')).toHaveTextContent(/^Tiles › Cleaners$/);
    expect(tiles).toHaveAttribute('title', 'Bathroom > Tiles > Cleaners');
    const [grout] = await chips('Gamma');
    expect(grout!.querySelector('[aria-hidden="true"]')).toHaveTextContent(/^Grout$/); // unique
  });
});

describe('removing a chip in the product panel', () => {
  const assigned = [BATHROOM, TILES, TILE_CLEANERS, GROUT];

  it('asks first when subcategories would go too, naming them; Cancel keeps everything', async () => {
    const api = fakeApi({ list: () => listReply([product('b', 'Beta', assigned)]) });
    await renderWorkspace({ product: 'b' });
    const panel = await screen.findByTestId('product-panel');
    fireEvent.click(within(panel).getByRole('button', { name: 'Remove Bathroom > Tiles' }));
    const confirm = within(panel).getByRole('alertdialog');
    expect(confirm).toHaveTextContent('Remove “Bathroom > Tiles” and its 2 subcategories?');
    expect(
      within(confirm)
        .getAllByRole('listitem')
        .map((item) => item.textContent),
    ).toEqual(['Bathroom > Tiles > Cleaners', 'Bathroom > Tiles > Grout']);
    expect(within(confirm).getByRole('button', { name: 'Remove 3 categories' })).toHaveFocus();
    expect(api.requests.filter((request) => request.method === 'DELETE')).toEqual([]);

    fireEvent.click(within(confirm).getByRole('button', { name: 'Cancel' }));
    expect(within(panel).queryByRole('alertdialog')).toBeNull();
    expect(within(panel).getByRole('button', { name: 'Remove Bathroom > Tiles' })).toHaveFocus();
    expect(api.requests.filter((request) => request.method === 'DELETE')).toEqual([]);
  });

  it('removes after the confirmation; a chip without subcategories goes in one click', async () => {
    const api = fakeApi({
      list: () => listReply([product('b', 'Beta', assigned)]),
      routes: {
        'DELETE /api/products/b/categories/4': () => ({
          status: 200,
          body: envelope({
            product_id: 'b',
            removed: [TILES],
            descendants_removed: [TILE_CLEANERS],
            categories: [BATHROOM],
          }),
        }),
        'DELETE /api/products/b/categories/6': () => ({
          status: 200,
          body: envelope({
            product_id: 'b',
            removed: [GROUT],
            descendants_removed: [],
            categories: [BATHROOM, TILES, TILE_CLEANERS],
          }),
        }),
      },
    });
    await renderWorkspace({ product: 'b' });
    const panel = await screen.findByTestId('product-panel');
    const deletes = () =>
      api.requests.filter((request) => request.method === 'DELETE').map((request) => request.path);

    fireEvent.click(within(panel).getByRole('button', { name: 'Remove Bathroom > Tiles > Grout' }));
    expect(within(panel).queryByRole('alertdialog')).toBeNull();
    await waitFor(() => expect(deletes()).toEqual(['/api/products/b/categories/6']));
    await within(panel).findByText(/Removed:/);

    fireEvent.click(within(panel).getByRole('button', { name: 'Remove Bathroom > Tiles' }));
    fireEvent.click(
      within(within(panel).getByRole('alertdialog')).getByRole('button', {
        name: 'Remove 2 categories',
      }),
    );
    await waitFor(() =>
      expect(deletes()).toEqual(['/api/products/b/categories/6', '/api/products/b/categories/4']),
    );
    const outcome = await within(panel).findByTestId('assign-outcome');
    await waitFor(() => expect(outcome).toHaveTextContent('Removed: Bathroom > Tiles'));
    expect(outcome).toHaveTextContent('Subcategories removed too: Bathroom > Tiles > Cleaners');
  });
});
