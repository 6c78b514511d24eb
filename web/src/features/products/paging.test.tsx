/**
 * Paging the products list while it changes (issue 12, item 4): against a fake API at the fetch
 * boundary that keeps a catalog and answers like the server (the "Uncategorised only" filter,
 * offset and keyset paging, bulk assign), the workspace never skips a product. After a write the
 * page on screen and its count are fetched again; Next continues after the last product seen,
 * Previous returns to the cursor it came from.
 */
import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { useCallback, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CategoryRef, Product, TreeNode } from '@tag-manager/contract';
import { createQueryClient, queryKeys } from '../../api/queries';
import { ToastProvider } from '../../components/Toasts';
import {
  applyChange,
  DEFAULT_STATE,
  forgetPageCursors,
  type UpdateState,
  type WorkspaceState,
} from '../../lib/url-state';
import { bulkPreviewFixture, envelope, errorEnvelope, productFixture } from '../../test/fixtures';
import { ProductsWorkspace } from './ProductsWorkspace';

const TOOLS: CategoryRef = { id: 1, name: 'Tools', level: 1 };
const HAND_TOOLS: CategoryRef = { id: 2, name: 'Hand tools', level: 2 };
const HAMMERS: CategoryRef = { id: 3, name: 'Hammers', level: 3 };

const TREE: TreeNode[] = [
  {
    ...TOOLS,
    level: 1,
    parent_id: null,
    product_count: 0,
    children: [
      {
        ...HAND_TOOLS,
        level: 2,
        parent_id: 1,
        product_count: 0,
        children: [{ ...HAMMERS, level: 3, parent_id: 2, product_count: 0, children: [] }],
      },
    ],
  },
];

/** p001 … p160, "Product 001" …, in name order, all uncategorised. */
const handle = (n: number) => `p${String(n).padStart(3, '0')}`;
const handles = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => handle(from + i));

interface ListRequest {
  url: URL;
}

/** The catalog and the server's list rules: filter, sort by name, offset or cursor, counts. */
/** Whether a bulk request is a dry run (the preview before the write). */
const dryRun = (init: RequestInit | undefined) =>
  (JSON.parse(String(init?.body ?? '{}')) as { dry_run?: boolean }).dry_run === true;

function fakeServer(size: number) {
  const catalog: Product[] = Array.from({ length: size }, (_, i) =>
    productFixture(handle(i + 1), `Product ${String(i + 1).padStart(3, '0')}`),
  );
  const lists: ListRequest[] = [];
  const writes: string[] = [];

  const categorise = (ids: string[]) => {
    for (const product of catalog) {
      if (!ids.includes(product.product_id)) continue;
      product.categories = [HAMMERS, HAND_TOOLS, TOOLS];
      product.category_count = 3;
      product.has_allocations = true;
    }
  };

  const list = (url: URL) => {
    const params = url.searchParams;
    const limit = Number(params.get('limit') ?? 50);
    const matches = catalog.filter(
      (product) => params.get('hide_allocated') !== 'true' || !product.has_allocations,
    );
    const cursor = params.get('cursor');
    let start: number;
    let page: number;
    if (cursor) {
      // The fake's cursor: the last handle seen and the page it leads to ("p050_2").
      const [last, next] = cursor.split('_');
      start = matches.findIndex((product) => product.product_id > last!);
      if (start < 0) start = matches.length;
      page = Number(next);
    } else {
      start = Number(params.get('offset') ?? 0);
      page = Math.floor(start / limit) + 1;
    }
    const items = matches.slice(start, start + limit);
    const hasNext = start + limit < matches.length;
    return {
      ...envelope(items.map((product) => ({ ...product }))),
      metadata: {
        total_products: catalog.length,
        filtered_products: matches.length,
        count_estimated: false,
        filters: {},
        sort: 'product_name',
      },
      pagination: {
        page,
        page_size: limit,
        total_items: matches.length,
        total_pages: Math.ceil(matches.length / limit),
        has_next: hasNext,
        has_previous: page > 1,
        next_cursor: hasNext ? `${items.at(-1)!.product_id}_${page + 1}` : null,
      },
    };
  };

  const fetchMock = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    let body: unknown;
    let status = 200;
    if (method === 'GET' && url.pathname === '/api/products') {
      lists.push({ url });
      const cursor = url.searchParams.get('cursor');
      if (cursor && !/^p\d{3}_\d+$/.test(cursor)) {
        status = 422;
        body = errorEnvelope('VALIDATION_ERROR', 'cursor is not a cursor this API issued', {
          field: 'cursor',
        });
      } else body = list(url);
    } else if (method === 'GET' && url.pathname === '/api/categories/tree') {
      body = {
        ...envelope(TREE),
        metadata: { total_categories: 3, level_counts: { level_1: 1, level_2: 1, level_3: 1 } },
      };
    } else if (method === 'POST' && url.pathname === '/api/bulk/assign' && dryRun(init)) {
      const request = JSON.parse(String(init!.body)) as { product_ids: string[] };
      body = envelope(
        bulkPreviewFixture({
          matched: request.product_ids.length,
          will_change: request.product_ids.length,
        }),
      );
    } else if (method === 'POST' && url.pathname === '/api/bulk/assign') {
      const request = JSON.parse(String(init!.body)) as { product_ids: string[] };
      writes.push(`POST ${url.pathname}`);
      categorise(request.product_ids);
      body = envelope({
        results: request.product_ids.map((product_id) => ({
          product_id,
          assigned: [HAMMERS.id],
          ancestors_added: [HAND_TOOLS.id, TOOLS.id],
          skipped: [],
          errors: [],
        })),
        summary: {
          products_processed: request.product_ids.length,
          total_assigned: request.product_ids.length,
          total_ancestors_added: 2 * request.product_ids.length,
          total_skipped: 0,
          total_errors: 0,
        },
      });
    } else if (method === 'GET') {
      body = { ...envelope([]), metadata: {}, pagination: {} };
    } else {
      status = 404;
      body = errorEnvelope('NOT_FOUND', `${method} ${url.pathname} not faked`);
    }
    return new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/json' },
    });
  };
  vi.stubGlobal('fetch', fetchMock);
  return { lists, writes, categorise };
}

/** The workspace with its state in React, changed by the app's own rule (`applyChange`). */
function Workspace({ initial }: { initial: WorkspaceState }) {
  const [state, setState] = useState(initial);
  const update = useCallback<UpdateState>(
    (change) => setState((current) => applyChange(current, change)),
    [],
  );
  return <ProductsWorkspace state={state} update={update} />;
}

async function renderWorkspace(initial: Partial<WorkspaceState>): Promise<QueryClient> {
  const queryClient = createQueryClient();
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

const shownHandles = () =>
  [...document.querySelectorAll('tbody tr[data-product-id]')].map((row) =>
    row.getAttribute('data-product-id'),
  );

async function expectShown(from: number, to: number) {
  await waitFor(() => expect(shownHandles()).toEqual(handles(from, to)));
}

const summary = () => screen.getByTestId('pagination-summary').textContent;
const next = () => fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
const previous = () => fireEvent.click(screen.getByRole('button', { name: 'Previous page' }));
const lastList = (server: ReturnType<typeof fakeServer>) =>
  Object.fromEntries(server.lists.at(-1)!.url.searchParams);

const requestsWith = (server: ReturnType<typeof fakeServer>, name: string, value: string) =>
  server.lists.filter((list) => list.url.searchParams.get(name) === value).length;

afterEach(() => {
  vi.unstubAllGlobals();
  forgetPageCursors();
});

// Pages of 50 rendered a dozen times: the web project's 5 s default is too tight on a busy
// machine. Not a performance limit, only a guard against a hung test.
describe('paging "Uncategorised only" while it is being categorised', { timeout: 60_000 }, () => {
  it('after bulk-assigning page 1, the page and total refresh and Next continues: none skipped', async () => {
    const server = fakeServer(160);
    await renderWorkspace({ hide_allocated: true });
    await expectShown(1, 50);
    expect(summary()).toContain('Showing 1–50 of 160');
    // Page 1 and the next page (prefetched by its cursor) were read.
    await waitFor(() => expect(server.lists).toHaveLength(2));
    expect(lastList(server)).toMatchObject({ cursor: 'p050_2', hide_allocated: 'true' });

    fireEvent.click(screen.getByTestId('select-page'));
    fireEvent.click(screen.getByRole('button', { name: 'Expand all categories' }));
    fireEvent.click(screen.getByTestId(`tick-${HAMMERS.id}`));
    fireEvent.click(screen.getByTestId('bulk-assign'));
    fireEvent.click(await screen.findByRole('button', { name: 'Assign to 50 products' }));
    await screen.findByRole('dialog', { name: 'Bulk assign result' });
    fireEvent.click(screen.getByRole('button', { name: 'Done' }));

    // The page on screen was fetched again, with its count: one request after the write.
    await expectShown(51, 100);
    expect(summary()).toContain('Showing 1–50 of 110');
    expect(server.writes).toEqual(['POST /api/bulk/assign']);
    expect(server.lists).toHaveLength(3);
    expect(lastList(server)).toMatchObject({ offset: '0', hide_allocated: 'true' });
    // The 50 categorised products left the list, and the selection with them.
    expect(screen.queryByTestId('bulk-bar')).toBeNull();

    // Next: right after the last product seen (p100), by cursor.
    next();
    await expectShown(101, 150);
    expect(server.lists.some((list) => list.url.searchParams.get('cursor') === 'p100_2')).toBe(
      true,
    );
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 2 of 3');
    next();
    await expectShown(151, 160);
    // Every product the filter held was shown: 1–50, then 51–100, 101–150, 151–160.
  });

  it('another operator categorises page 1 meanwhile: Next still shows the products that were 51–100', async () => {
    const server = fakeServer(160);
    const queryClient = await renderWorkspace({ hide_allocated: true });
    await expectShown(1, 50);
    await waitFor(() => expect(server.lists).toHaveLength(2));
    // Elsewhere (another tab, another operator): page 1 categorised, this page not refreshed.
    server.categorise(handles(1, 50));
    // Time passes: what was fetched ahead is stale and is read again when shown.
    await queryClient.invalidateQueries({ queryKey: queryKeys.products, refetchType: 'none' });

    next();
    await expectShown(51, 100);
    await waitFor(() => expect(summary()).toContain('Showing 51–100 of 110'));
    // Read again by its cursor (after p050) once stale; never by offset.
    expect(requestsWith(server, 'cursor', 'p050_2')).toBe(2);
    expect(requestsWith(server, 'offset', '50')).toBe(0);
    // An offset (50) into the shrunken list would have started at p101.
  });

  it('Previous returns to the cursor it came from; a deep link by page number uses its offset', async () => {
    const server = fakeServer(160);
    const queryClient = await renderWorkspace({ hide_allocated: true, page: 3 });
    await expectShown(101, 150);
    expect(server.lists[0]!.url.searchParams.get('offset')).toBe('100');

    previous(); // never visited in this list: page 2 by offset
    await expectShown(51, 100);
    expect(requestsWith(server, 'offset', '50')).toBe(1);
    next(); // by cursor from here on
    await expectShown(101, 150);
    next();
    await expectShown(151, 160);
    expect(server.lists.some((list) => list.url.searchParams.get('cursor') === 'p150_4')).toBe(
      true,
    );

    // Meanwhile p101–p110 are categorised; back on page 3 by its cursor (after p100): p111–p150.
    server.categorise(handles(101, 110));
    await queryClient.invalidateQueries({ queryKey: queryKeys.products, refetchType: 'none' });
    previous();
    await expectShown(111, 160);
    expect(requestsWith(server, 'cursor', 'p100_3')).toBe(2);
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 3 of 3');
  });

  it('a link whose cursor the server refuses shows the same page by its offset', async () => {
    const server = fakeServer(160);
    await renderWorkspace({ hide_allocated: true, page: 2, after: 'edited-by-hand' });
    await expectShown(51, 100);
    expect(requestsWith(server, 'cursor', 'edited-by-hand')).toBe(1);
    expect(requestsWith(server, 'offset', '50')).toBe(1);
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
