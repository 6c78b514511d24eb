/**
 * Imports and exports as jobs in the Import & export screen: the product import reserves its
 * job, uploads with `job_id`, and shows a progress bar with rows read and products written while
 * the upload runs; the export reserves its job and shows rows written. The API is faked at the
 * network boundary; the upload answers only when the test lets it.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '@tag-manager/contract';
import { DEFAULT_STATE } from '../../lib/url-state';
import { envelope } from '../../test/fixtures';
import { renderWithProviders } from '../../test/render';
import { estimateRows } from './JobProgress';
import { TransferView } from './TransferView';

afterEach(() => {
  vi.unstubAllGlobals();
});

const job = (overrides: Partial<Job>): Job => ({
  id: 7,
  kind: 'import.products',
  state: 'running',
  params: {},
  progress: { done: 0, total: null, unit: 'rows', counters: {} },
  actor: 'anonymous',
  created_at: '2026-12-02T00:00:00.000Z',
  started_at: '2026-12-02T00:00:00.000Z',
  finished_at: null,
  cancel_requested: false,
  result: null,
  error: null,
  change_set_ids: [],
  ...overrides,
});

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('job progress on the Import & export screen', () => {
  it('shows rows read and products written while the product upload runs', async () => {
    let current = job({});
    let finishUpload: () => void = () => {};
    const requests: string[] = [];
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://localhost');
      const key = `${init?.method ?? 'GET'} ${url.pathname}${url.search}`;
      requests.push(key);
      if (key === 'POST /api/transfer-jobs') return json(201, envelope(current));
      if (key === 'GET /api/jobs/7') return json(200, envelope(current));
      if (key === 'POST /api/import/products?job_id=7')
        return new Promise<Response>((resolve) => {
          finishUpload = () =>
            resolve(
              json(
                200,
                envelope({
                  kind: 'products',
                  records: 4500,
                  created: 4500,
                  updated: 0,
                  unchanged: 0,
                  rejected: [],
                  rejected_total: 0,
                }),
              ),
            );
        });
      return json(404, { success: false, error: 'not faked', code: 'NOT_FOUND', details: {} });
    });
    renderWithProviders(<TransferView state={DEFAULT_STATE} />);
    const header = 'Handle,Title\n';
    const file = new File([header + 'a,A\n'.repeat(4500)], 'big.csv', { type: 'text/csv' });
    fireEvent.change(screen.getByTestId('import-file-products'), {
      target: { files: [file] },
    });
    fireEvent.click(screen.getByTestId('import-submit-products'));

    const bar = await screen.findByRole('progressbar', { name: 'Import progress' });
    current = job({
      progress: {
        done: 2000,
        total: null,
        unit: 'rows',
        counters: { rows_read: 2000, products_written: 2000 },
      },
    });
    const counters = await screen.findByTestId('job-counters');
    await waitFor(() => expect(counters).toHaveTextContent('Rows read2,000 of ≈4,500'));
    expect(counters).toHaveTextContent('Products written2,000');
    expect(Number(bar.getAttribute('aria-valuenow'))).toBe(44);
    expect(screen.getByTestId('import-submit-products')).toHaveTextContent('Importing…');

    current = job({
      state: 'succeeded',
      progress: {
        done: 4500,
        total: null,
        unit: 'rows',
        counters: { rows_read: 4500, products_written: 4500 },
      },
    });
    finishUpload();
    await screen.findByTestId('import-report-products');
    await waitFor(() => expect(counters).toHaveTextContent('Rows read4,500'));
    expect(bar).toHaveAttribute('aria-valuenow', '100');
    // (The sample-data check before a product import is left aside.)
    expect(requests.filter((key) => key.startsWith('POST'))).toEqual([
      'POST /api/transfer-jobs',
      'POST /api/import/products?job_id=7',
    ]);
  });

  it('an export reserves its job, downloads with job_id, and shows rows written', async () => {
    const current = job({
      kind: 'export.csv',
      id: 9,
      state: 'succeeded',
      progress: { done: 1200, total: null, unit: 'rows', counters: { rows_written: 1200 } },
    });
    vi.stubGlobal('fetch', async (input: RequestInfo | URL, init?: RequestInit) => {
      const url = new URL(String(input), 'http://localhost');
      const key = `${init?.method ?? 'GET'} ${url.pathname}`;
      if (key === 'POST /api/transfer-jobs')
        return json(201, envelope({ ...current, state: 'running' }));
      if (key === 'GET /api/jobs/9') return json(200, envelope(current));
      return json(404, { success: false, error: 'not faked', code: 'NOT_FOUND', details: {} });
    });
    const clicked: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (
      this: HTMLAnchorElement,
    ) {
      clicked.push(this.getAttribute('href') ?? '');
    });
    renderWithProviders(<TransferView state={DEFAULT_STATE} />);
    fireEvent.click(screen.getByTestId('export-all'));
    const progress = await screen.findByTestId('job-progress');
    await waitFor(() =>
      expect(within(progress).getByTestId('job-counters')).toHaveTextContent('Rows written1,200'),
    );
    expect(clicked).toEqual(['/api/export/csv?job_id=9']);
    expect(within(progress).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '100');
  });

  it('estimates a file’s rows from its first part', async () => {
    const file = new File(['Handle,Title\n' + 'a,A\n'.repeat(100)], 'f.csv');
    expect(await estimateRows(file)).toBe(100);
    expect(await estimateRows(new File([''], 'e.csv'))).toBeNull();
  });
});
