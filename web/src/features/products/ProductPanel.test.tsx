/**
 * Safe concurrent edits in the product panel (issue 13): writes carry If-Match with the ETag of
 * the panel's read; a 412 shows before → now and offers "Re-apply my change" (sent with the ETag
 * of the state shown) or "Keep theirs". The API is faked at the network boundary.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CategoryRef, CategoryWithPath, ProductDetail, TreeNode } from '@tag-manager/contract';
import { createQueryClient } from '../../api/queries';
import { ToastProvider } from '../../components/Toasts';
import { buildCategoryIndex } from '../../lib/category-index';
import { envelope, errorEnvelope, productFixture } from '../../test/fixtures';
import { ProductPanel } from './ProductPanel';

const TOOLS: CategoryRef = { id: 1, name: 'Tools', level: 1 };
const SAWS: CategoryRef = { id: 2, name: 'Saws', level: 2 };
const GLUE: CategoryRef = { id: 3, name: 'Glue', level: 1 };

const TREE: TreeNode[] = [
  {
    ...TOOLS,
    parent_id: null,
    product_count: 0,
    children: [{ ...SAWS, level: 2, parent_id: 1, product_count: 0, children: [] }],
  },
  { ...GLUE, parent_id: null, product_count: 0, children: [] },
];
const index = buildCategoryIndex(TREE);

const withPath = (ref: CategoryRef): CategoryWithPath =>
  ({
    ...ref,
    parent_id: ref.id === 2 ? 1 : null,
    path: ref.id === 2 ? 'Tools > Saws' : ref.name,
    path_ids: ref.id === 2 ? [1, 2] : [ref.id],
  }) as CategoryWithPath;

const detail = (categories: CategoryRef[]): ProductDetail => ({
  ...productFixture('p-1', 'Panel saw', categories),
  categories: categories.map(withPath),
  created_at: '2026-01-01T00:00:00.000Z',
  description: null,
});

interface Sent {
  method: string;
  path: string;
  ifMatch: string | null;
  body: unknown;
}

/** A server holding one product whose ETag is its version; writes honour If-Match. */
function fakeServer(start: CategoryRef[]) {
  let categories = start;
  let version = 1;
  const etag = () => `"v${version}"`;
  const sent: Sent[] = [];
  const fetchMock = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const ifMatch = headers['if-match'] ?? null;
    const body = init?.body ? (JSON.parse(String(init.body)) as unknown) : undefined;
    sent.push({ method, path: url.pathname, ifMatch, body });
    const json = (status: number, payload: unknown, extra: Record<string, string> = {}) =>
      new Response(JSON.stringify(payload), {
        status,
        headers: { 'content-type': 'application/json', ...extra },
      });
    if (method === 'GET' && url.pathname === '/api/products/p-1')
      return json(200, envelope(detail(categories)), { etag: etag() });
    if (ifMatch !== null && ifMatch !== etag())
      return json(
        412,
        errorEnvelope('PRECONDITION_FAILED', 'The product changed', {
          resource: 'product',
          identifier: 'p-1',
          etag: etag(),
          current: detail(categories),
        }),
      );
    if (method === 'POST' && url.pathname === '/api/products/p-1/categories') {
      const ids = (body as { category_ids: number[] }).category_ids;
      const added = [TOOLS, SAWS, GLUE].filter(
        (ref) => ids.includes(ref.id) && !categories.some((c) => c.id === ref.id),
      );
      categories = [...categories, ...added];
      version += 1;
      return json(
        201,
        envelope({
          product_id: 'p-1',
          added,
          ancestors_added: [],
          already_assigned: [],
          categories: categories.map(withPath),
        }),
      );
    }
    return json(404, errorEnvelope('NOT_FOUND', `${method} ${url.pathname} not faked`));
  };
  vi.stubGlobal('fetch', fetchMock);
  return {
    sent,
    /** Someone else's write: the product changes behind the panel's back. */
    theyAssign(ref: CategoryRef) {
      categories = [...categories, ref];
      version += 1;
    },
    categories: () => categories,
    writes: () => sent.filter((request) => request.method !== 'GET'),
  };
}

function renderPanel(selected: number[]) {
  const queryClient = createQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <ProductPanel
          productId="p-1"
          index={index}
          selectedCategories={new Set(selected)}
          onClose={() => {}}
        />
      </ToastProvider>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the product panel and If-Match', () => {
  it('sends the ETag of its read with a write', async () => {
    const server = fakeServer([]);
    renderPanel([GLUE.id]);
    await screen.findByText('Panel saw');
    fireEvent.click(await screen.findByTestId('assign-selected'));
    await screen.findByTestId('assign-outcome');
    expect(server.writes()).toEqual([
      {
        method: 'POST',
        path: '/api/products/p-1/categories',
        ifMatch: '"v1"',
        body: { category_ids: [GLUE.id] },
      },
    ]);
    expect(screen.queryByTestId('conflict-notice')).toBeNull();
  });

  it('on 412 shows before → now; "Re-apply my change" sends it again with the new ETag', async () => {
    const server = fakeServer([]);
    renderPanel([GLUE.id]);
    await screen.findByText('Panel saw');
    await waitFor(() => expect(server.sent.some((r) => r.method === 'GET')).toBe(true));
    server.theyAssign(TOOLS);

    fireEvent.click(await screen.findByTestId('assign-selected'));
    const notice = await screen.findByTestId('conflict-notice');
    expect(notice.textContent).toMatch(/Someone else changed this product/);
    expect(within(screen.getByTestId('conflict-before')).getByText('no categories')).toBeTruthy();
    const now = within(screen.getByTestId('conflict-now'));
    expect(now.getByText('Tools').closest('li')!.className).toMatch(/chip-added/);
    // The panel shows their state while the change waits.
    expect(within(screen.getByTestId('assigned-categories')).getByText('Tools')).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Re-apply my change' }));
    await screen.findByTestId('assign-outcome');
    expect(server.writes().map((write) => write.ifMatch)).toEqual(['"v1"', '"v2"']);
    expect(server.categories().map((ref) => ref.id)).toEqual([TOOLS.id, GLUE.id]);
    expect(screen.queryByTestId('conflict-notice')).toBeNull();
  });

  it('"Keep theirs" drops the change and shows their state', async () => {
    const server = fakeServer([SAWS]);
    renderPanel([GLUE.id]);
    await screen.findByText('Panel saw');
    await waitFor(() => expect(server.sent.some((r) => r.method === 'GET')).toBe(true));
    server.theyAssign(TOOLS);
    fireEvent.click(await screen.findByTestId('assign-selected'));
    await screen.findByTestId('conflict-notice');
    fireEvent.click(screen.getByRole('button', { name: 'Keep theirs' }));
    expect(screen.queryByTestId('conflict-notice')).toBeNull();
    expect(server.writes()).toHaveLength(1);
    expect(server.categories().map((ref) => ref.id)).toEqual([SAWS.id, TOOLS.id]);
    const chips = within(screen.getByTestId('assigned-categories'));
    expect(chips.getByText('Tools')).toBeTruthy();
    expect(chips.queryByText('Glue')).toBeNull();
  });
});
