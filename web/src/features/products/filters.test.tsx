/**
 * The products screen's filter controls offer the catalog's real values: the vendor datalist
 * and the product type select are filled from GET /api/vendors and /api/product-types, and
 * choosing one writes the filter into the URL state.
 */
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_STATE } from '../../lib/url-state';
import { renderWithProviders } from '../../test/render';
import { ProductsWorkspace } from './ProductsWorkspace';

const stamp = { timestamp: '2026-01-01T00:00:00.000Z', request_id: 'req-1' };
const ANSWERS: Record<string, unknown> = {
  '/api/products': {
    success: true,
    data: [],
    metadata: {
      total_products: 0,
      filtered_products: 0,
      count_estimated: false,
      filters: {},
      sort: 'product_name',
    },
    pagination: {
      page: 1,
      page_size: 50,
      total_items: 0,
      total_pages: 0,
      has_next: false,
      has_previous: false,
      next_cursor: null,
    },
    ...stamp,
  },
  '/api/categories/tree': { success: true, data: [], metadata: {}, ...stamp },
  '/api/vendors': {
    success: true,
    data: [
      { value: 'Sika', product_count: 3 },
      { value: 'Ardex', product_count: 2 },
    ],
    ...stamp,
  },
  '/api/product-types': {
    success: true,
    data: [
      { value: 'Sealant', product_count: 4 },
      { value: 'Membrane', product_count: 1 },
    ],
    ...stamp,
  },
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('the product filters', () => {
  it('offer the vendors and product types the API lists, with counts', async () => {
    const requested: string[] = [];
    vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
      const url = new URL(String(input), 'http://app.test');
      requested.push(url.pathname + url.search);
      const body = ANSWERS[url.pathname];
      return new Response(JSON.stringify(body ?? { success: false }), {
        status: body ? 200 : 404,
        headers: { 'content-type': 'application/json' },
      });
    });
    const update = vi.fn();
    const { container } = renderWithProviders(
      <ProductsWorkspace state={DEFAULT_STATE} update={update} />,
    );

    const type = await screen.findByLabelText('Type');
    await waitFor(() =>
      expect([...(type as HTMLSelectElement).options].map((option) => option.text)).toEqual([
        'Any type',
        'Sealant (4)',
        'Membrane (1)',
      ]),
    );
    const vendorInput = screen.getByLabelText('Vendor');
    const datalist = container.querySelector(`#${CSS.escape(vendorInput.getAttribute('list')!)}`);
    expect([...datalist!.querySelectorAll('option')].map((option) => option.value)).toEqual([
      'Sika',
      'Ardex',
    ]);
    expect(requested).toContain('/api/vendors?limit=1000');
    expect(requested).toContain('/api/product-types?limit=1000');

    fireEvent.change(type, { target: { value: 'Sealant' } });
    expect(update).toHaveBeenCalledWith(
      expect.objectContaining({ product_type: 'Sealant', page: 1 }),
      expect.anything(),
    );
  });
});
