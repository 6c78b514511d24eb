/**
 * The Import & export screen: both exports offered with the right links, the assignment import's
 * report and its refusal (422 with lines) shown in the card itself, with the rejected rows as a
 * CSV download.
 */
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { jsonFetch, renderWithProviders } from '../../test/render';
import { DEFAULT_STATE } from '../../lib/url-state';
import { TransferView } from './TransferView';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

function chooseAndImport(kind: string, text: string) {
  const input = screen.getByTestId(`import-file-${kind}`);
  const file = new File([text], 'a.csv', { type: 'text/csv' });
  fireEvent.change(input, { target: { files: [file] } });
  fireEvent.click(screen.getByTestId(`import-submit-${kind}`));
}

describe('TransferView', () => {
  it('offers the spreadsheet export and the Shopify file, and no longer claims the first goes back to the store', () => {
    renderWithProviders(<TransferView state={DEFAULT_STATE} />);
    expect(screen.getByTestId('export-all')).toHaveAttribute('href', '/api/export/csv');
    expect(screen.getByTestId('export-shopify')).toHaveAttribute('href', '/api/export/shopify.csv');
    expect(document.body.textContent).not.toContain('ready to bring back into the store');
    expect(document.body.textContent).toContain('Shopify cannot import this file');
  });

  it('shows the assignment report in the card', async () => {
    const { fetchMock, calls } = jsonFetch(200, {
      success: true,
      data: {
        kind: 'assignments',
        format: 'shopify',
        records: 3,
        created: 0,
        updated: 2,
        unchanged: 1,
        rejected: [],
        rejected_total: 0,
        assignments_added: 5,
        assignments_removed: 1,
      },
      timestamp: '2026-12-02T00:00:00.000Z',
      request_id: 'r1',
    });
    vi.stubGlobal('fetch', fetchMock);
    renderWithProviders(<TransferView state={DEFAULT_STATE} />);
    chooseAndImport('assignments', 'Handle,Title,Tags\n');
    const report = await screen.findByTestId('import-report-assignments');
    expect(calls[0]!.url).toBe('/api/import/assignments');
    expect(within(screen.getByTestId('import-card-assignments')).getByRole('status')).toBe(report);
    expect(report.textContent).toContain('Changed2');
    expect(report.textContent).toContain('Shopify file: 5 assignments added, 1 removed');
  });

  it('shows a refused file line by line in the card, with the rejected rows as a CSV download', async () => {
    const { fetchMock } = jsonFetch(422, {
      success: false,
      error: '2 lines of the file cannot be imported; nothing was changed',
      code: 'VALIDATION_ERROR',
      details: {
        field_errors: [{ field: 'file', message: 'x' }],
        rejected: [
          { line: 2, reason: 'unknown product "nope"' },
          { line: 3, reason: 'unknown category path "=X"' },
        ],
        rejected_total: 2,
      },
      timestamp: '2026-12-02T00:00:00.000Z',
      request_id: 'r2',
    });
    vi.stubGlobal('fetch', fetchMock);
    let saved: Blob | undefined;
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      saved = blob as Blob;
      return 'blob:rejected';
    });
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    renderWithProviders(<TransferView state={DEFAULT_STATE} />);
    chooseAndImport('assignments', 'product_id,product_name,categories\nnope,x,A\n=p,x,=X\n');
    const refused = await screen.findByTestId('import-refused-assignments');
    expect(refused.textContent).toContain('nothing was changed');
    expect(refused.textContent).toContain('unknown product "nope"');
    // In the card, not in a corner toast.
    expect(within(screen.getByTestId('import-card-assignments')).getByRole('alert')).toBe(refused);
    expect(document.querySelector('.toast')).toBeNull();

    fireEvent.click(screen.getByTestId('download-rejected-assignments'));
    await waitFor(() => expect(click).toHaveBeenCalled());
    const text = await saved!.text();
    expect(text.replace(/^\uFEFF/, '').split('\r\n')).toEqual([
      '"line","reason","row"',
      '"2","unknown product ""nope""","nope,x,A"',
      `"3","unknown category path ""=X""","'=p,x,=X"`,
      '',
    ]);
  });
});
