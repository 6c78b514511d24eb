/**
 * Bulk by filter (issue 13), against a fake API at the fetch boundary: ticking the page offers
 * "Select all N matching"; the bulk request then names the filter (not the ticked handles),
 * previews first (`dry_run`) and says what would change; a remove's "also remove parents"
 * option is previewed again when toggled; a 202 shows the job's progress bar, read with
 * If-None-Match (304 while unchanged), with Cancel; when the job ends the list is read again.
 */
import { QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { useCallback, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { BulkPreview, Product } from '@tag-manager/contract';
import { createQueryClient } from '../../api/queries';
import { ToastProvider } from '../../components/Toasts';
import { DEFAULT_STATE, type UpdateState, type WorkspaceState } from '../../lib/url-state';
import {
  bulkPreviewFixture,
  envelope,
  errorEnvelope,
  jobFixture,
  productFixture,
} from '../../test/fixtures';
import { forgetJobs } from '../jobs/jobs';
import { ProductsWorkspace } from './ProductsWorkspace';

const TREE = [
  {
    id: 1,
    name: 'Sealants',
    level: 1,
    parent_id: null,
    product_count: 0,
    children: [
      {
        id: 2,
        name: 'Silicone',
        level: 2,
        parent_id: 1,
        product_count: 0,
        children: [],
      },
    ],
  },
];
const PAGE: Product[] = [
  productFixture('a', 'Adheseal A', [], { vendor: 'Adheseal' }),
  productFixture('b', 'Adheseal B', [], { vendor: 'Adheseal' }),
];
const MATCHING = 1233;

interface Request {
  method: string;
  path: string;
  url: URL;
  body: Record<string, unknown> | undefined;
  headers: Record<string, string>;
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

let requests: Request[];
let jobReplies: Reply[];
let bulkReply: (request: Request) => Reply;

function listBody() {
  return {
    ...envelope(PAGE),
    metadata: {
      total_products: 3000,
      filtered_products: MATCHING,
      count_estimated: false,
      filters: {},
      sort: 'product_name',
    },
    pagination: {
      page: 1,
      page_size: 50,
      total_items: MATCHING,
      total_pages: 25,
      has_next: true,
      has_previous: false,
      next_cursor: null,
    },
  };
}

beforeEach(() => {
  forgetJobs();
  requests = [];
  jobReplies = [];
  vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const method = init?.method ?? 'GET';
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    const request = {
      method,
      path: url.pathname,
      url,
      body,
      headers: (init?.headers ?? {}) as Record<string, string>,
    };
    requests.push(request);
    let reply: Reply;
    if (method === 'GET' && url.pathname === '/api/products')
      reply = { status: 200, body: listBody() };
    else if (url.pathname === '/api/categories/tree')
      reply = {
        status: 200,
        body: {
          ...envelope(TREE),
          metadata: { total_categories: 2, level_counts: { level_1: 1, level_2: 1, level_3: 0 } },
        },
      };
    else if (url.pathname === '/api/vendors' || url.pathname === '/api/product-types')
      reply = { status: 200, body: envelope([]) };
    else if (url.pathname.startsWith('/api/bulk/')) reply = bulkReply(request);
    else if (method === 'GET' && url.pathname === '/api/jobs/7')
      reply = jobReplies.length > 1 ? jobReplies.shift()! : jobReplies[0]!;
    else if (method === 'POST' && url.pathname === '/api/jobs/7/cancel')
      reply = { status: 200, body: envelope(jobFixture(7, { cancel_requested: true })) };
    else reply = { status: 404, body: errorEnvelope('NOT_FOUND', `${method} ${url.pathname}`) };
    return new Response(reply.status === 304 ? null : JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json', ...reply.headers },
    });
  });
});
afterEach(() => vi.unstubAllGlobals());

function Workspace() {
  const [state, setState] = useState<WorkspaceState>({ ...DEFAULT_STATE, vendor: 'Adheseal' });
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

async function renderWorkspace() {
  const queryClient = createQueryClient();
  render(
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <Workspace />
      </ToastProvider>
    </QueryClientProvider>,
  );
  await screen.findByRole('button', { name: 'Adheseal A' });
  await screen.findByRole('tree', { name: 'Category tree' });
  return queryClient;
}

async function selectAllMatching() {
  fireEvent.click(screen.getByTestId('select-page'));
  const banner = screen.getByTestId('select-all-banner');
  expect(banner).toHaveTextContent('All 2 products on this page are selected.');
  fireEvent.click(within(banner).getByRole('button', { name: 'Select all 1,233 matching' }));
  expect(screen.getByTestId('bulk-bar')).toHaveTextContent('All 1,233 matching products selected');
  fireEvent.click(screen.getByRole('button', { name: 'Expand all categories' }));
  fireEvent.click(screen.getByTestId('tick-2'));
}

const bulkRequests = () => requests.filter((request) => request.path.startsWith('/api/bulk/'));
/** The list's filter, defaults left out (the server applies them), as the list sends it. */
const FILTER = { vendor: 'Adheseal' };

const preview = (overrides: Partial<BulkPreview>) =>
  ({ status: 200, body: envelope(bulkPreviewFixture(overrides)) }) satisfies Reply;

describe('bulk by filter', { timeout: 30_000 }, () => {
  it('"select all N matching" sends the filter, previews, and runs as a job with a progress bar', async () => {
    bulkReply = (request) =>
      request.body?.dry_run
        ? preview({
            matched: MATCHING,
            will_change: 1200,
            unchanged: 33,
            categories: [{ category_id: 2, path: 'Sealants > Silicone', products: 1200 }],
            ancestors_added: [{ category_id: 1, path: 'Sealants', products: 1100 }],
            become_categorized: 1100,
            runs_as_job: true,
            sample: [
              {
                product_id: 'a',
                product_name: 'Adheseal A',
                before: [],
                after: ['Sealants', 'Sealants > Silicone'],
              },
            ],
          })
        : { status: 202, body: envelope({ job: jobFixture(7, { state: 'queued' }) }) };
    jobReplies = [
      {
        status: 200,
        body: envelope(
          jobFixture(7, {
            progress: { done: 500, total: 1233, unit: 'products', counters: { changed: 480 } },
          }),
        ),
        headers: { etag: '"j7-1"' },
      },
      { status: 304, headers: { etag: '"j7-1"' } },
      {
        status: 200,
        body: envelope(
          jobFixture(7, {
            state: 'succeeded',
            progress: { done: 1233, total: 1233, unit: 'products', counters: { changed: 1200 } },
            change_set_ids: [41, 42, 43],
          }),
        ),
        headers: { etag: '"j7-2"' },
      },
    ];
    await renderWorkspace();
    await selectAllMatching();
    fireEvent.click(screen.getByTestId('bulk-assign'));

    const dialog = await screen.findByRole('dialog', { name: 'Assign categories?' });
    expect(bulkRequests().map((request) => request.body)).toEqual([
      { filter: FILTER, category_ids: [2], dry_run: true },
    ]);
    const shown = within(dialog).getByTestId('bulk-preview');
    expect(shown).toHaveTextContent('1,233Matched');
    expect(shown).toHaveTextContent('1,200Will change');
    expect(shown).toHaveTextContent('33Unchanged');
    expect(within(dialog).getByTestId('become-categorized')).toHaveTextContent(
      '1,100 uncategorised products will become categorised.',
    );
    expect(within(dialog).getByTestId('preview-ancestors')).toHaveTextContent(
      'Parents addedSealants — 1,100 products',
    );
    expect(within(dialog).getByTestId('runs-as-job')).toBeInTheDocument();
    const sample = within(dialog).getByRole('region', {
      name: 'Sample of products, before and after',
    });
    expect(within(sample).getAllByRole('row')[1]).toHaveTextContent(
      'Adheseal AaUncategorisedSealantsSealants > Silicone',
    );

    const listsBefore = requests.filter((request) => request.path === '/api/products').length;
    fireEvent.click(within(dialog).getByRole('button', { name: 'Assign to 1,200 products' }));
    const running = await screen.findByRole('dialog', { name: 'Bulk assign running' });
    expect(bulkRequests().at(-1)!.body).toEqual({ filter: FILTER, category_ids: [2] });
    const bar = within(running).getByRole('progressbar', { name: 'Bulk assign #7 progress' });
    await waitFor(() => expect(bar).toHaveAttribute('aria-valuenow', '500'));
    expect(bar).toHaveAttribute('aria-valuemax', '1233');
    expect(within(running).getByTestId('job-progress')).toHaveTextContent('changed: 480');
    await waitFor(
      () =>
        expect(within(running).getByTestId('job-progress')).toHaveAttribute(
          'data-state',
          'succeeded',
        ),
      { timeout: 10_000 },
    );
    expect(within(running).getByRole('status')).toHaveTextContent('Finished');
    // Polled with the ETag of the read before: a 304 costs nothing, and changed nothing.
    const reads = requests.filter((request) => request.path === '/api/jobs/7');
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads[0]!.headers['if-none-match']).toBeUndefined();
    expect(reads[1]!.headers['if-none-match']).toBe('"j7-1"');
    // The job ended: the list is read again.
    await waitFor(() =>
      expect(requests.filter((request) => request.path === '/api/products').length).toBeGreaterThan(
        listsBefore,
      ),
    );
    expect(within(running).getByRole('link', { name: 'Show in History' })).toHaveAttribute(
      'href',
      '/history?job=7',
    );
  });

  it('Cancel asks the server to cancel the running job', async () => {
    bulkReply = (request) =>
      request.body?.dry_run
        ? preview({ matched: MATCHING, will_change: MATCHING, runs_as_job: true })
        : { status: 202, body: envelope({ job: jobFixture(7) }) };
    jobReplies = [{ status: 200, body: envelope(jobFixture(7)), headers: { etag: '"x"' } }];
    await renderWorkspace();
    await selectAllMatching();
    fireEvent.click(screen.getByTestId('bulk-assign'));
    const dialog = await screen.findByRole('dialog', { name: 'Assign categories?' });
    fireEvent.click(within(dialog).getByTestId('bulk-confirm'));
    const running = await screen.findByRole('dialog', { name: 'Bulk assign running' });
    fireEvent.click(await within(running).findByRole('button', { name: 'Cancel job' }));
    await waitFor(() =>
      expect(
        requests.some(
          (request) => request.method === 'POST' && request.path === '/api/jobs/7/cancel',
        ),
      ).toBe(true),
    );
    expect(await within(running).findByRole('button', { name: 'Cancelling…' })).toBeDisabled();
  });

  it('remove: says which parents stay, and previews again with "also remove parents"', async () => {
    bulkReply = (request) =>
      request.body?.remove_unneeded_parents
        ? preview({
            matched: MATCHING,
            will_change: 10,
            parents_removed: [{ category_id: 1, path: 'Sealants', products: 10 }],
            become_uncategorized: 10,
          })
        : preview({
            matched: MATCHING,
            will_change: 10,
            parents_kept: [{ category_id: 1, path: 'Sealants', products: 10 }],
          });
    await renderWorkspace();
    await selectAllMatching();
    fireEvent.click(screen.getByTestId('bulk-remove'));
    const dialog = await screen.findByRole('dialog', { name: 'Remove categories?' });
    expect(within(dialog).getByTestId('preview-parents-kept')).toHaveTextContent('Sealants');
    expect(within(dialog).queryByTestId('become-uncategorized')).toBeNull();
    fireEvent.click(
      within(dialog).getByRole('checkbox', {
        name: 'Also remove parents that no other assigned category needs',
      }),
    );
    expect(await within(dialog).findByTestId('become-uncategorized')).toHaveTextContent(
      '10 products will become uncategorised.',
    );
    expect(within(dialog).getByTestId('preview-parents-removed')).toHaveTextContent('Sealants');
    expect(bulkRequests().map((request) => request.body)).toEqual([
      { filter: FILTER, category_ids: [2], dry_run: true, remove_unneeded_parents: false },
      { filter: FILTER, category_ids: [2], dry_run: true, remove_unneeded_parents: true },
    ]);
  });

  it('unticking a row leaves "all matching": the ticked handles are sent again', async () => {
    bulkReply = () => preview({ matched: 1, will_change: 1 });
    await renderWorkspace();
    await selectAllMatching();
    fireEvent.click(screen.getByRole('checkbox', { name: 'Select Adheseal B' }));
    expect(screen.getByTestId('bulk-bar')).toHaveTextContent('1 product selected');
    fireEvent.click(screen.getByTestId('bulk-assign'));
    await screen.findByRole('dialog', { name: 'Assign categories?' });
    expect(bulkRequests()[0]!.body).toEqual({
      product_ids: ['a'],
      category_ids: [2],
      dry_run: true,
    });
  });
});
