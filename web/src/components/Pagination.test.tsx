import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Pagination as PaginationData } from '@tag-manager/contract';
import { Pagination } from './Pagination';

const page = (overrides: Partial<PaginationData> = {}): PaginationData => ({
  page: 1,
  page_size: 50,
  total_items: 3000,
  total_pages: 60,
  has_next: true,
  has_previous: false,
  next_cursor: null,
  ...overrides,
});

function renderPagination(pagination: PaginationData, totalProducts = 3000) {
  const onPageChange = vi.fn();
  const onPageSizeChange = vi.fn();
  render(
    <Pagination
      pagination={pagination}
      totalProducts={totalProducts}
      pageSizes={[25, 50, 100]}
      onPageChange={onPageChange}
      onPageSizeChange={onPageSizeChange}
    />,
  );
  return { onPageChange, onPageSizeChange };
}

describe('Pagination', () => {
  it('shows "Page X of Y" and the range from the server metadata', () => {
    renderPagination(page());
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 1 of 60');
    expect(screen.getByTestId('pagination-summary')).toHaveTextContent(
      'Showing 1–50 of 3,000 products',
    );
  });

  it('disables Previous from has_previous and Next from has_next', () => {
    renderPagination(page());
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Next page' })).toBeEnabled();
  });

  it('follows the flags, not its own arithmetic', () => {
    // The server says there is no next page even though page < total_pages: trust it.
    renderPagination(page({ page: 3, has_next: false, has_previous: true }));
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeEnabled();
  });

  it('asks for the neighbouring pages', () => {
    const { onPageChange } = renderPagination(page({ page: 3, has_previous: true }));
    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(onPageChange).toHaveBeenLastCalledWith(4);
    fireEvent.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(onPageChange).toHaveBeenLastCalledWith(2);
  });

  it('changes the page size through a labelled select', () => {
    const { onPageSizeChange } = renderPagination(page());
    const select = screen.getByLabelText('Page size');
    expect(select).toHaveValue('50');
    fireEvent.change(select, { target: { value: '100' } });
    expect(onPageSizeChange).toHaveBeenCalledWith(100);
  });

  it('shows the catalog total from metadata.total_products when a filter narrows the list', () => {
    renderPagination(page({ page: 2, total_items: 120, total_pages: 3, has_previous: true }), 3000);
    expect(screen.getByTestId('pagination-summary')).toHaveTextContent(
      'Showing 51–100 of 120 (filtered from 3,000 products)',
    );
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 2 of 3');
  });

  it('says so when nothing matches, and still reads "Page 1 of 1"', () => {
    renderPagination(page({ total_items: 0, total_pages: 0, has_next: false }), 3000);
    expect(screen.getByTestId('pagination-summary')).toHaveTextContent('No products match');
    expect(screen.getByTestId('page-indicator')).toHaveTextContent('Page 1 of 1');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();
  });
});
