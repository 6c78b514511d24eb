import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SampleDataCounts } from '@tag-manager/contract';
import { DEFAULT_STATE } from '../../lib/url-state';
import { renderWithProviders } from '../../test/render';
import { TransferView } from '../transfer/TransferView';
import { SampleDataBanner } from './SampleDataBanner';

const envelope = (data: unknown) => ({
  success: true,
  data,
  timestamp: '2026-01-01T00:00:00.000Z',
  request_id: 'req-1',
});
const forbidden = {
  success: false,
  error: "This token's role (editor) cannot do this: DELETE here needs the admin role",
  code: 'FORBIDDEN',
  details: { token_role: 'editor', required_role: 'admin' },
  timestamp: '2026-01-01T00:00:00.000Z',
  request_id: 'req-2',
};
const ONLY_SAMPLE: SampleDataCounts = {
  sample_products: 3000,
  sample_categories: 191,
  real_products: 0,
  real_categories: 0,
};
const NONE: SampleDataCounts = {
  sample_products: 0,
  sample_categories: 0,
  real_products: 0,
  real_categories: 0,
};
const report = {
  kind: 'products',
  records: 2,
  created: 2,
  updated: 0,
  unchanged: 0,
  rejected: [],
  rejected_total: 0,
};

/** A server holding `counts`: DELETE empties it (or is refused), imports answer a report. */
function fakeServer(start: SampleDataCounts, options: { removal?: 'allowed' | 'forbidden' } = {}) {
  let counts = start;
  const calls: string[] = [];
  const fetchMock = async (input: RequestInfo | URL, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const path = new URL(String(input), 'http://app.test').pathname;
    calls.push(`${method} ${path}`);
    const json = (status: number, body: unknown) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    if (path === '/api/sample-data' && method === 'GET') return json(200, envelope(counts));
    if (path === '/api/sample-data' && method === 'DELETE') {
      if (options.removal === 'forbidden') return json(403, forbidden);
      const removed = {
        removed_products: counts.sample_products,
        removed_categories: counts.sample_categories,
        removed_assignments: 1800,
        kept_categories: [],
        remaining: { ...counts, sample_products: 0, sample_categories: 0 },
      };
      counts = removed.remaining;
      return json(200, envelope(removed));
    }
    if (path === '/api/import/products') {
      counts = { ...counts, real_products: counts.real_products + 2 };
      return json(200, envelope(report));
    }
    return json(200, envelope([]));
  };
  vi.stubGlobal('fetch', fetchMock);
  return { calls };
}

afterEach(() => vi.unstubAllGlobals());

const renderBanner = () =>
  renderWithProviders(<SampleDataBanner importHref="/?view=transfer" onImport={vi.fn()} />);

describe('SampleDataBanner', () => {
  it('says the catalog is sample data, links the import and offers the removal', async () => {
    fakeServer(ONLY_SAMPLE);
    renderBanner();
    const banner = await screen.findByRole('region', { name: 'Sample data' });
    expect(banner).toHaveTextContent(
      'You are looking at sample data — Import your Shopify export · Remove sample data',
    );
    expect(
      within(banner).getByRole('link', { name: 'Import your Shopify export' }),
    ).toHaveAttribute('href', '/?view=transfer');
  });

  it('is not shown when there is no sample data', async () => {
    const { calls } = fakeServer(NONE);
    renderBanner();
    await waitFor(() => expect(calls).toContain('GET /api/sample-data'));
    expect(screen.queryByRole('region', { name: 'Sample data' })).not.toBeInTheDocument();
  });

  it('removes the sample data after a confirmation, reports it, and goes away', async () => {
    const { calls } = fakeServer(ONLY_SAMPLE);
    renderBanner();
    fireEvent.click(await screen.findByRole('button', { name: 'Remove sample data' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove sample data?' });
    expect(dialog).toHaveTextContent('3,000 sample products and 191 sample categories');
    expect(calls).not.toContain('DELETE /api/sample-data');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove sample data' }));
    expect(
      await screen.findByText('Removed 3,000 sample products and 191 sample categories'),
    ).toBeInTheDocument();
    await waitFor(() =>
      expect(screen.queryByRole('region', { name: 'Sample data' })).not.toBeInTheDocument(),
    );
    expect(calls.filter((call) => call === 'DELETE /api/sample-data')).toHaveLength(1);
  });

  it('tells a non-admin that the removal needs an admin', async () => {
    fakeServer(ONLY_SAMPLE, { removal: 'forbidden' });
    renderBanner();
    fireEvent.click(await screen.findByRole('button', { name: 'Remove sample data' }));
    const dialog = screen.getByRole('dialog', { name: 'Remove sample data?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove sample data' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Removing sample data needs an admin',
    );
    expect(within(dialog).queryByRole('button', { name: 'Remove sample data' })).toBeNull();
    expect(screen.getByRole('region', { name: 'Sample data' })).toBeInTheDocument();
  });
});

async function uploadProducts() {
  renderWithProviders(<TransferView state={DEFAULT_STATE} />);
  const file = new File(['Handle,Title\na,A\nb,B\n'], 'products.csv', { type: 'text/csv' });
  const card = screen.getByRole('region', { name: 'Import products' });
  fireEvent.change(within(card).getByLabelText('CSV file'), { target: { files: [file] } });
  fireEvent.click(within(card).getByRole('button', { name: 'Import' }));
}

describe('the first product import over sample data', () => {
  it('asks whether to remove the samples first, and removes them before importing', async () => {
    const { calls } = fakeServer(ONLY_SAMPLE);
    await uploadProducts();
    const dialog = await screen.findByRole('dialog', { name: 'Remove the sample data first?' });
    expect(calls).not.toContain('POST /api/import/products');
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Remove sample data, then import' }),
    );
    expect(await screen.findByTestId('import-report-products')).toBeInTheDocument();
    const removal = calls.indexOf('DELETE /api/sample-data');
    expect(removal).toBeGreaterThan(-1);
    expect(calls.indexOf('POST /api/import/products')).toBeGreaterThan(removal);
  });

  it('imports and keeps the samples when asked to', async () => {
    const { calls } = fakeServer(ONLY_SAMPLE);
    await uploadProducts();
    const dialog = await screen.findByRole('dialog', { name: 'Remove the sample data first?' });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Import and keep the sample data' }),
    );
    expect(await screen.findByTestId('import-report-products')).toBeInTheDocument();
    expect(calls).not.toContain('DELETE /api/sample-data');
  });

  it('does not ask once the catalog holds real products', async () => {
    const { calls } = fakeServer({ ...ONLY_SAMPLE, real_products: 5 });
    await uploadProducts();
    expect(await screen.findByTestId('import-report-products')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(calls).not.toContain('DELETE /api/sample-data');
  });
});
