/**
 * The queue's keys, against a fake API at the fetch boundary: `1` + Enter assigns suggestion 1
 * and shows the next product; `/` finds a category by any part of its path (arrows, Enter);
 * `s` skips with the cursor; `u` removes what was just assigned; without a suggestion engine
 * (404) the screen says there are no suggestions.
 */
import { act, cleanup, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProductDetail, QueueNext } from '@tag-manager/contract';
import { envelope, errorEnvelope, productFixture } from '../../test/fixtures';
import { renderWithProviders } from '../../test/render';
import { DEFAULT_STATE } from '../../lib/url-state';
import { paceText, QueueView } from './QueueView';
import { buildCategoryIndex, matchCategories } from '../../lib/category-index';

const node = (id: number, name: string, level: number, parent: number | null, children = []) => ({
  id,
  name,
  level,
  parent_id: parent,
  product_count: 0,
  children,
});
const tree = [
  {
    ...node(1, 'Tools', 1, null),
    children: [
      {
        ...node(2, 'Caulking Guns', 2, 1),
        children: [node(3, 'Manual Guns', 3, 2), node(4, 'Battery Guns', 3, 2)],
      },
    ],
  },
  { ...node(5, 'Sealants', 1, null), children: [node(6, 'Silicone', 2, 5)] },
];

const detail = (handle: string, name: string): ProductDetail => ({
  ...productFixture(handle, name, [], { product_type: 'Guns', tags: ['trade'] }),
  categories: [],
  created_at: '2026-01-01T00:00:00.000Z',
  description: `${name}: a description long enough to be cut on the queue screen.`,
});

const answer = (product: ProductDetail | null, cursor: string | null): QueueNext => ({
  product,
  cursor,
  lease: product ? { expires_at: '2026-01-01T00:02:00.000Z', seconds: 120 } : null,
  remaining: 2,
  remaining_estimated: false,
  operators: [{ name: 'Operator ab12', product_id: 'other', expires_at: '2026-01-01T00:02:00Z' }],
  released: null,
});

interface Call {
  method: string;
  url: URL;
  body: unknown;
}
let calls: Call[];
let suggestionsStatus: number;

function fakeApi() {
  calls = [];
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://app.test');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body });
    const json = (status: number, payload: unknown) =>
      new Response(JSON.stringify(payload), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    const path = url.pathname;
    if (path === '/api/queue/next') {
      const after = url.searchParams.get('after');
      if (!after) return json(200, envelope(answer(detail('drill', 'Drill'), 'c-drill')));
      if (after === 'c-drill') return json(200, envelope(answer(detail('gun', 'Gun'), 'c-gun')));
      return json(200, envelope(answer(null, null)));
    }
    if (path === '/api/categories/tree') return json(200, envelope(tree));
    if (path === '/api/vendors' || path === '/api/product-types') return json(200, envelope([]));
    if (path.endsWith('/suggestions')) {
      if (suggestionsStatus !== 200) return json(404, errorEnvelope('NOT_FOUND', 'No route'));
      return json(
        200,
        envelope({
          product_id: 'x',
          suggestions: [
            {
              category: {
                id: 3,
                name: 'Manual Guns',
                level: 3,
                path: 'Tools > Caulking Guns > Manual Guns',
              },
              score: 0.82,
              reasons: [{ signal: 'type', text: "Type is 'Guns'", weight: 1 }],
            },
          ],
        }),
      );
    }
    if (path === '/api/products/drill/categories' && method === 'POST') {
      const ids = (body as { category_ids: number[] }).category_ids;
      return json(
        201,
        envelope({
          product_id: 'drill',
          added: ids.map((id) => ({ id, name: `c${id}`, level: 3 })),
          ancestors_added: [
            { id: 1, name: 'Tools', level: 1 },
            { id: 2, name: 'Caulking Guns', level: 2 },
          ],
          already_assigned: [],
          categories: [],
        }),
      );
    }
    if (path.startsWith('/api/products/drill/categories/') && method === 'DELETE') {
      return json(
        200,
        envelope({ product_id: 'drill', removed: [], descendants_removed: [], categories: [] }),
      );
    }
    if (path === '/api/queue/lease') return json(200, envelope({ released: null }));
    if (path === '/api/products/gun' && method === 'GET') {
      return json(200, envelope(detail('gun', 'Gun')));
    }
    if (path === '/api/products/drill' && method === 'GET') {
      // As it is now: categorised by the test's Enter (when it pressed it).
      const assigned = calls.some(
        (call) => call.method === 'POST' && call.url.pathname === '/api/products/drill/categories',
      );
      return json(
        200,
        envelope({
          ...detail('drill', 'Drill'),
          categories: assigned
            ? [
                {
                  id: 3,
                  name: 'Manual Guns',
                  level: 3,
                  parent_id: 2,
                  path: 'Tools > Caulking Guns > Manual Guns',
                  path_ids: [1, 2, 3],
                },
              ]
            : [],
        }),
      );
    }
    return json(404, errorEnvelope('NOT_FOUND', `no fake for ${method} ${path}`));
  };
}

beforeEach(() => {
  suggestionsStatus = 200;
  vi.stubGlobal('fetch', fakeApi());
  window.sessionStorage.clear();
});
afterEach(() => {
  // Unmounting gives the lease up (a request): while the fake API is still in place.
  cleanup();
  vi.unstubAllGlobals();
});

const renderQueue = () =>
  renderWithProviders(<QueueView state={{ ...DEFAULT_STATE, view: 'queue' }} update={vi.fn()} />);
const key = (name: string) => act(() => void fireEvent.keyDown(window, { key: name }));
const queueCalls = () => calls.filter((call) => call.url.pathname === '/api/queue/next');

describe('QueueView keys', () => {
  it('assigns suggestion 1 with two keys (1, Enter) and shows the next product', async () => {
    renderQueue();
    expect(await screen.findByRole('heading', { name: 'Drill' })).toBeInTheDocument();
    expect(await screen.findByText('Tools > Caulking Guns > Manual Guns')).toBeInTheDocument();
    expect(screen.getByText(/82%/)).toHaveTextContent("Type is 'Guns'");
    expect(screen.getByText(/Also on this queue/)).toHaveTextContent('Operator ab12');
    // The queue is "uncategorised" and this tab's operator id is sent.
    const first = queueCalls()[0]!.url.searchParams;
    expect(first.get('hide_allocated')).toBe('true');
    expect(first.get('operator')).toMatch(/^[0-9a-f]{24}$/);

    await key('1');
    expect(screen.getByRole('checkbox')).toBeChecked();
    await key('Enter');
    expect(await screen.findByRole('heading', { name: 'Gun' })).toBeInTheDocument();
    const assign = calls.find(
      (call) => call.method === 'POST' && call.url.pathname.endsWith('/categories'),
    );
    expect(assign?.body).toEqual({ category_ids: [3] });
    expect(queueCalls().at(-1)!.url.searchParams.get('after')).toBe('c-drill');
    expect(screen.getByText(/1 done/)).toBeInTheDocument();
  });

  it('finds a category by any part of its path with /, arrows and Enter', async () => {
    suggestionsStatus = 404;
    renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    expect(await screen.findByText(/No suggestions for this product/)).toBeInTheDocument();
    await key('/');
    const input = await screen.findByRole('combobox', { name: /Find a category/ });
    fireEvent.change(input, { target: { value: 'caulk gun' } });
    // "caulk gun" is in three paths: the category whose own name holds both words comes first.
    const options = within(screen.getByRole('listbox')).getAllByRole('option');
    expect(options.map((option) => option.textContent)).toEqual([
      'Tools > Caulking Guns',
      'Tools > Caulking Guns > Manual Guns',
      'Tools > Caulking Guns > Battery Guns',
    ]);
    fireEvent.keyDown(input, { key: 'ArrowDown' });
    expect(within(screen.getByRole('listbox')).getAllByRole('option')[1]).toHaveAttribute(
      'aria-selected',
      'true',
    );
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(screen.getByText(/To assign: Manual Guns/)).toBeInTheDocument();
    await key('Enter');
    await screen.findByRole('heading', { name: 'Gun' });
    const assign = calls.find(
      (call) => call.method === 'POST' && call.url.pathname.endsWith('/categories'),
    );
    expect(assign?.body).toEqual({ category_ids: [3] });
  });

  it('skips with s (the cursor moves on, nothing is written)', async () => {
    renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    await key('s');
    await screen.findByRole('heading', { name: 'Gun' });
    expect(
      calls.some((call) => call.method === 'POST' && call.url.pathname.endsWith('/categories')),
    ).toBe(false);
    // k goes back to the product before.
    await key('k');
    await screen.findByRole('heading', { name: 'Drill' });
  });

  it('goes back with k to the product just categorised (no longer in the queue), and on with j', async () => {
    renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    await screen.findByText('Tools > Caulking Guns > Manual Guns');
    await key('1');
    await key('Enter');
    await screen.findByRole('heading', { name: 'Gun' });
    const queueCallsBefore = queueCalls().length;
    await key('k');
    expect(await screen.findByRole('heading', { name: 'Drill' })).toBeInTheDocument();
    // Read as it is now (with the category just assigned), not asked from the queue again.
    expect(
      screen.getByText(/Back to a product of this sitting \(categorised\)/),
    ).toBeInTheDocument();
    expect(screen.getAllByText('Tools > Caulking Guns > Manual Guns').length).toBeGreaterThan(0);
    expect(queueCalls()).toHaveLength(queueCallsBefore);
    expect(screen.getByRole('button', { name: /Previous/ })).toBeDisabled();
    await key('j');
    expect(await screen.findByRole('heading', { name: 'Gun' })).toBeInTheDocument();
    expect(screen.queryByText(/Back to a product of this sitting/)).toBeNull();
    // Gun is still the leased product: j did not skip it.
    expect(queueCalls()).toHaveLength(queueCallsBefore);
    expect(screen.getByText(/1 done/)).toBeInTheDocument();
  });

  it('goes back with k from the end of the queue to the last product of the sitting', async () => {
    renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    await key('s');
    await screen.findByRole('heading', { name: 'Gun' });
    await key('s');
    expect(await screen.findByText('Nothing left in this queue.')).toBeInTheDocument();
    await key('k');
    expect(await screen.findByRole('heading', { name: 'Gun' })).toBeInTheDocument();
    expect(screen.getByText(/Back to a product of this sitting \(skipped\)/)).toBeInTheDocument();
    await key('j');
    expect(await screen.findByText('Nothing left in this queue.')).toBeInTheDocument();
  });

  it('shows an estimated remaining count as "about N left"', async () => {
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://app.test');
      if (url.pathname === '/api/queue/next') {
        return new Response(
          JSON.stringify(
            envelope({
              ...answer(detail('drill', 'Drill'), 'c-drill'),
              remaining: 23_100,
              remaining_estimated: true,
            }),
          ),
          { status: 200, headers: { 'content-type': 'application/json' } },
        );
      }
      return fakeApi()(input, init);
    });
    renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    expect(screen.getByText(/about 23,100 left/)).toBeInTheDocument();
  });

  it('undoes the last assignment with u: removes the topmost category it added, shows it again', async () => {
    renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    await screen.findByText('Tools > Caulking Guns > Manual Guns');
    await key('1');
    await key('Enter');
    await screen.findByRole('heading', { name: 'Gun' });
    await key('u');
    await screen.findByRole('heading', { name: 'Drill' });
    await waitFor(() =>
      expect(
        calls
          .filter((call) => call.method === 'DELETE' && call.url.pathname.includes('/categories/'))
          .map((call) => call.url.pathname),
      ).toEqual(['/api/products/drill/categories/1']),
    );
    expect(screen.getByText(/0 done/)).toBeInTheDocument();
    expect(screen.getByText(/Undone/)).toBeInTheDocument();
  });

  it('does nothing on Enter without a ticked category, and says why', async () => {
    renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    await key('Enter');
    expect(await screen.findByText(/Tick a suggestion/)).toBeInTheDocument();
    expect(
      calls.some((call) => call.method === 'POST' && call.url.pathname.endsWith('/categories')),
    ).toBe(false);
  });
});

describe('QueueView leases', () => {
  it('gives the lease up when the screen is left', async () => {
    const { unmount } = renderQueue();
    await screen.findByRole('heading', { name: 'Drill' });
    const operator = queueCalls()[0]!.url.searchParams.get('operator');
    unmount();
    await waitFor(() =>
      expect(
        calls
          .find((call) => call.method === 'DELETE' && call.url.pathname === '/api/queue/lease')
          ?.url.searchParams.get('operator'),
      ).toBe(operator),
    );
  });
});

describe('queue helpers', () => {
  it('estimates the time left from the pace so far', () => {
    expect(paceText(0, 100, 60_000)).toBeNull();
    expect(paceText(37, 1196, 37 * 2_000)).toBe('about 40 min at this pace');
    expect(paceText(10, 5, 10_000)).toBe('under a minute at this pace');
  });

  it('matches every typed word anywhere in the path, deepest first', () => {
    const index = buildCategoryIndex(tree as never);
    expect(matchCategories(index, 'seal sil').map((hit) => hit.id)).toEqual([6]);
    expect(matchCategories(index, '   ')).toEqual([]);
    // A name holding the words comes before a path that only holds them higher up.
    expect(matchCategories(index, 'guns').map((hit) => hit.id)).toEqual([3, 4, 2]);
    expect(matchCategories(index, 'caulk').map((hit) => hit.id)).toEqual([2, 3, 4]);
  });
});
