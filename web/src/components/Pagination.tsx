/**
 * Paging controls driven by the API's `pagination` and `metadata`: Previous/Next follow
 * `has_previous`/`has_next`, "Page X of Y" and the totals come from the server, never from counting.
 */
import { useId } from 'react';
import type { Pagination as PaginationData } from '@tag-manager/contract';

interface PaginationProps {
  pagination: PaginationData;
  /** `metadata.total_products`: the catalog size, shown next to the filtered count. */
  totalProducts: number;
  /** `metadata.count_estimated`: the total is an estimate ("about 61,800"). */
  estimated?: boolean;
  pageSizes: readonly number[];
  onPageChange: (page: number) => void;
  onPageSizeChange: (pageSize: number) => void;
  busy?: boolean;
}

const numberFormat = new Intl.NumberFormat('en');

export function Pagination({
  pagination,
  totalProducts,
  estimated = false,
  pageSizes,
  onPageChange,
  onPageSizeChange,
  busy = false,
}: PaginationProps) {
  const sizeId = useId();
  const {
    page,
    page_size: pageSize,
    total_items: totalItems,
    total_pages: totalPages,
  } = pagination;
  const first = totalItems === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(page * pageSize, totalItems);
  const sizes = pageSizes.includes(pageSize)
    ? pageSizes
    : [...pageSizes, pageSize].sort((a, b) => a - b);
  return (
    <nav className="pagination" aria-label="Pagination" aria-busy={busy}>
      <p className="pagination-summary" data-testid="pagination-summary">
        {totalItems === 0 ? (
          'No products match'
        ) : (
          <>
            Showing {numberFormat.format(first)}–{numberFormat.format(last)} of{' '}
            {estimated ? (
              <abbr title="Estimated from a sample of the catalog: counting every match of a common search term would make each page slow">
                about {numberFormat.format(totalItems)}
              </abbr>
            ) : (
              numberFormat.format(totalItems)
            )}
          </>
        )}
        {totalItems !== totalProducts && (
          <> (filtered from {numberFormat.format(totalProducts)} products)</>
        )}
        {totalItems === totalProducts && totalItems > 0 && <> products</>}
      </p>
      <div className="pagination-controls">
        <label htmlFor={sizeId} className="pagination-size">
          Page size
        </label>
        <select
          id={sizeId}
          value={pageSize}
          onChange={(event) => onPageSizeChange(Number(event.target.value))}
        >
          {sizes.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
        <button
          type="button"
          className="button"
          disabled={!pagination.has_previous}
          onClick={() => onPageChange(page - 1)}
          aria-label="Previous page"
        >
          ‹ Previous
        </button>
        <span className="pagination-page" aria-live="polite" data-testid="page-indicator">
          Page {numberFormat.format(page)} of {estimated ? 'about ' : ''}
          {numberFormat.format(Math.max(totalPages, 1))}
        </span>
        <button
          type="button"
          className="button"
          disabled={!pagination.has_next}
          onClick={() => onPageChange(page + 1)}
          aria-label="Next page"
        >
          Next ›
        </button>
      </div>
    </nav>
  );
}
