/**
 * The History screen and a product's history, against a fake API at the fetch boundary: change
 * sets in words with category paths and product links; filters in the URL and in the request;
 * Undo is a dry run, then the confirmation; a 409 lists the conflicts and "Undo the rest" sends
 * `skip_conflicts`; an undo answered with a job shows its progress bar; the product panel's
 * history asks for that product's change sets only when opened.
 */
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChangeSet } from '@tag-manager/contract';
import { useUrlState } from '../../lib/url-state';
import { envelope, errorEnvelope, jobFixture } from '../../test/fixtures';
import { renderWithProviders } from '../../test/render';
import { forgetJobs } from '../jobs/jobs';
import { HistoryView } from './HistoryView';
import { ProductHistory } from './ProductHistory';

const TREE = [
  {
    id: 1,
    name: 'Sealants',
    level: 1,
    parent_id: null,
    product_count: 0,
    children: [{ id: 2, name: 'Silicone', level: 2, parent_id: 1, product_count: 0, children: [] }],
  },
];

const change = (id: number, overrides: Partial<ChangeSet>): ChangeSet => ({
  id,
  created_at: '2026-01-01T10:00:00.000Z',
  actor: 'alice',
  source: 'api',
  kind: 'bulk.assign',
  request_id: null,
  product_ids: [],
  category_ids: [],
  before: null,
  after: null,
  job_id: null,
  reverts: null,
  reversible: 'exact',
  ...overrides,
});

const BULK = change(12, {
  kind: 'bulk.assign',
  product_ids: [101, 102],
  category_ids: [1, 2],
  job_id: 7,
  after: {
    summary: { total_assigned: 2 },
    changed: [
      { product_id: 'gun-a', added: [2, 1] },
      { product_id: 'gun-b', added: [2] },
    ],
  },
});
const SINGLE = change(11, {
  kind: 'product.assign',
  actor: 'bob',
  product_ids: [101],
  category_ids: [1, 2],
  before: { product_id: 'gun-a', category_ids: [] },
  after: { product_id: 'gun-a', category_ids: [1, 2], added: [2], ancestors_added: [1] },
});

interface Request {
  method: string;
  url: URL;
  body: Record<string, unknown> | undefined;
}
let requests: Request[];
let undoReply: (body: Record<string, unknown>) => { status: number; body: unknown };

beforeEach(() => {
  forgetJobs();
  requests = [];
  window.history.replaceState(null, '', '/history');
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    requests.push({ method, url, body });
    const json = (status: number, payload: unknown) =>
      new Response(JSON.stringify(payload), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    if (url.pathname === '/api/categories/tree')
      return json(200, {
        ...envelope(TREE),
        metadata: { total_categories: 2, level_counts: { level_1: 1, level_2: 1, level_3: 0 } },
      });
    if (url.pathname === '/api/changes') {
      const rows = [BULK, SINGLE].filter(
        (row) =>
          (!url.searchParams.get('kind') || row.kind === url.searchParams.get('kind')) &&
          (!url.searchParams.get('job_id') ||
            String(row.job_id) === url.searchParams.get('job_id')),
      );
      return json(200, {
        ...envelope(rows),
        metadata: { total_changes: rows.length },
        pagination: {
          page: 1,
          page_size: 50,
          total_items: rows.length,
          total_pages: 1,
          has_next: false,
          has_previous: false,
          next_cursor: null,
        },
      });
    }
    const undo = /^\/api\/(changes|jobs)\/(\d+)\/undo$/.exec(url.pathname);
    if (undo && method === 'POST') {
      const reply = undoReply(body);
      return json(reply.status, reply.body);
    }
    if (url.pathname === '/api/jobs/9')
      return json(
        200,
        envelope(
          jobFixture(9, {
            kind: 'undo',
            progress: { done: 3, total: 10, unit: 'products', counters: {} },
          }),
        ),
      );
    return json(404, errorEnvelope('NOT_FOUND', `${method} ${url.pathname}`));
  });
});
afterEach(() => vi.unstubAllGlobals());

function History() {
  const [state, update] = useUrlState();
  return <HistoryView state={state} update={update} />;
}

const undoBodies = () =>
  requests.filter((request) => request.url.pathname.endsWith('/undo')).map((r) => r.body);

describe('History', () => {
  it('shows who, when, what in words with category paths, the products and the job', async () => {
    renderWithProviders(<History />);
    const rows = await screen.findAllByTestId('change-row');
    expect(rows).toHaveLength(2);
    const bulk = rows[0]!;
    expect(bulk).toHaveTextContent('Bulk assign');
    expect(bulk).toHaveTextContent('alice');
    expect(bulk).toHaveTextContent('2 products');
    await waitFor(() =>
      expect(bulk).toHaveTextContent('Assigned Sealants > Silicone to 2 products'),
    );
    expect(bulk).toHaveTextContent('Parents added— → becomes Sealants');
    expect(within(bulk).getByRole('link', { name: 'gun-a' })).toHaveAttribute(
      'href',
      '/?product=gun-a',
    );
    expect(within(bulk).getByRole('link', { name: 'Job 7: its change sets' })).toHaveAttribute(
      'href',
      '/history?job=7',
    );
    expect(rows[1]).toHaveTextContent('bob');
    expect(rows[1]).toHaveTextContent('CategoriesUncategorised → becomes Sealants > Silicone');
  });

  it('keeps its filters in the URL and sends them', async () => {
    renderWithProviders(<History />);
    await screen.findAllByTestId('change-row');
    fireEvent.change(screen.getByLabelText('Kind'), { target: { value: 'product.assign' } });
    await waitFor(() => expect(screen.getAllByTestId('change-row')).toHaveLength(1));
    expect(window.location.search).toBe('?kind=product.assign');
    expect(requests.at(-1)!.url.searchParams.get('kind')).toBe('product.assign');
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await waitFor(() => expect(screen.getAllByTestId('change-row')).toHaveLength(2));
    expect(window.location.search).toBe('');
  });

  it('undo: a dry run, then the confirmation', async () => {
    undoReply = (body) => ({
      status: 200,
      body: envelope({
        dry_run: body.dry_run === true,
        change_set_id: body.dry_run ? null : 13,
        undone_products: 2,
        undone_categories: 0,
        skipped: [],
      }),
    });
    renderWithProviders(<History />);
    const rows = await screen.findAllByTestId('change-row');
    fireEvent.click(within(rows[0]!).getByRole('button', { name: 'Undo change 12' }));
    const dialog = await screen.findByRole('dialog', { name: 'Undo change #12?' });
    const confirm = await within(dialog).findByRole('button', { name: 'Undo 2 products' });
    expect(undoBodies()).toEqual([{ dry_run: true, mode: 'strict' }]);
    fireEvent.click(confirm);
    expect(await within(dialog).findByTestId('undo-done')).toHaveTextContent(
      'Undone: 2 products restored.',
    );
    expect(undoBodies()).toEqual([{ dry_run: true, mode: 'strict' }, { mode: 'strict' }]);
  });

  it('undo with conflicts lists them, and "Undo the rest" skips them', async () => {
    const conflict = {
      product_id: 'gun-a',
      category_id: 2,
      change_set_id: 14,
      reason: 'removed later by change #14',
    };
    undoReply = (body) =>
      body.mode === 'strict'
        ? {
            status: 409,
            body: errorEnvelope('CONFLICT', 'A later change touched the same products', {
              conflicts: [conflict],
            }),
          }
        : {
            status: 200,
            body: envelope({
              dry_run: body.dry_run === true,
              change_set_id: body.dry_run ? null : 15,
              undone_products: 1,
              undone_categories: 0,
              skipped: [conflict],
            }),
          };
    renderWithProviders(<History />);
    const rows = await screen.findAllByTestId('change-row');
    fireEvent.click(within(rows[0]!).getByRole('button', { name: 'Undo change 12' }));
    const dialog = await screen.findByRole('dialog', { name: 'Undo change #12?' });
    const rest = await within(dialog).findByRole('button', { name: 'Undo the rest' });
    expect(dialog).toHaveTextContent('the rest (1 product) can be');
    const table = within(dialog).getByTestId('undo-conflicts');
    await waitFor(() =>
      expect(table).toHaveTextContent('gun-aSealants > Silicone#14removed later by change #14'),
    );
    expect(within(dialog).queryByTestId('undo-confirm')).toBeNull();
    fireEvent.click(rest);
    expect(await within(dialog).findByTestId('undo-done')).toHaveTextContent(
      'Undone: 1 product restored; 1 conflict left as they are.',
    );
    expect(undoBodies().at(-1)).toEqual({ mode: 'skip_conflicts' });
  });

  it('a large undo runs as a job: its progress bar is shown', async () => {
    undoReply = (body) =>
      body.dry_run
        ? {
            status: 200,
            body: envelope({
              dry_run: true,
              change_set_id: null,
              undone_products: 10,
              undone_categories: 0,
              skipped: [],
            }),
          }
        : { status: 202, body: envelope({ job: jobFixture(9, { kind: 'undo' }) }) };
    renderWithProviders(<History />);
    const rows = await screen.findAllByTestId('change-row');
    fireEvent.click(within(rows[0]!).getByRole('button', { name: 'Undo change 12' }));
    const dialog = await screen.findByRole('dialog', { name: 'Undo change #12?' });
    fireEvent.click(await within(dialog).findByRole('button', { name: 'Undo 10 products' }));
    const bar = await within(dialog).findByRole('progressbar', { name: 'Undo #9 progress' });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '3'));
    expect(within(dialog).getByRole('button', { name: 'Cancel job' })).toBeEnabled();
  });

  it('filtered by a job, undoes the whole job in one request (a dry run, then the undo)', async () => {
    window.history.replaceState(null, '', '/history?job=7');
    undoReply = (body) => ({
      status: 200,
      body: envelope({
        dry_run: body.dry_run === true,
        change_set_id: null,
        undone_products: 2,
        undone_categories: 0,
        skipped: [],
      }),
    });
    renderWithProviders(<History />);
    await waitFor(() => expect(screen.getAllByTestId('change-row')).toHaveLength(1));
    expect(
      requests.find((r) => r.url.pathname === '/api/changes')!.url.searchParams.get('job_id'),
    ).toBe('7');
    fireEvent.click(screen.getByTestId('undo-job'));
    const dialog = await screen.findByRole('dialog', { name: 'Undo job #7?' });
    fireEvent.click(await within(dialog).findByTestId('undo-confirm'));
    await within(dialog).findByTestId('undo-done');
    expect(
      requests.filter((r) => r.url.pathname.endsWith('/undo')).map((r) => r.url.pathname),
    ).toEqual(['/api/jobs/7/undo', '/api/jobs/7/undo']);
    expect(undoBodies()).toEqual([{ dry_run: true, mode: 'strict' }, { mode: 'strict' }]);
  });
});

describe('ProductHistory', () => {
  it('reads the product’s change sets only when opened', async () => {
    renderWithProviders(<ProductHistory productId="gun-a" />);
    expect(requests.filter((r) => r.url.pathname === '/api/changes')).toEqual([]);
    const details = screen.getByTestId('product-history') as HTMLDetailsElement;
    await act(async () => {
      details.open = true;
      details.dispatchEvent(new Event('toggle'));
    });
    await screen.findAllByTestId('change-row');
    const read = requests.find((r) => r.url.pathname === '/api/changes')!;
    expect(read.url.searchParams.get('product_id')).toBe('gun-a');
  });
});
