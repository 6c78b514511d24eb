/**
 * The products of one page. Each row carries its categories (no request per row); chips show
 * the most specific categories, named by enough of their path to be unambiguous ("Kitchen ›
 * Cleaners" when another "Cleaners" exists), and their full path on hover. Rows are selected with their
 * checkbox (Shift extends a range); the header checkbox selects the page.
 */
import { useState } from 'react';
import type { Product } from '@tag-manager/contract';
import { mostSpecific, sortByTree, type CategoryIndex } from '../../lib/category-index';

interface ProductTableProps {
  products: Product[];
  index: CategoryIndex | undefined;
  selected: ReadonlySet<string>;
  onToggle: (position: number, shiftKey: boolean) => void;
  onSelectPage: (select: boolean) => void;
  openProductId: string | null;
  onOpen: (productId: string) => void;
  loading: boolean;
  /** Shown in the empty state when filters are on: puts every filter back to its default. */
  onClearFilters?: () => void;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export function ProductTable({
  products,
  index,
  selected,
  onToggle,
  onSelectPage,
  openProductId,
  onOpen,
  loading,
  onClearFilters,
}: ProductTableProps) {
  const selectedOnPage = products.filter((product) => selected.has(product.product_id)).length;
  const allOnPage = products.length > 0 && selectedOnPage === products.length;
  return (
    <div className="table-wrap" aria-busy={loading}>
      <table className="product-table">
        <caption className="visually-hidden">Products</caption>
        <thead>
          <tr>
            <th scope="col" className="col-select">
              <input
                type="checkbox"
                aria-label="Select all products on this page"
                checked={allOnPage}
                ref={(input) => {
                  if (input) input.indeterminate = selectedOnPage > 0 && !allOnPage;
                }}
                onChange={(event) => onSelectPage(event.target.checked)}
                data-testid="select-page"
              />
            </th>
            <th scope="col" className="col-thumb">
              <span className="visually-hidden">Image</span>
            </th>
            <th scope="col" className="col-product">
              Product
            </th>
            <th scope="col" className="col-vendor">
              Vendor
            </th>
            <th scope="col" className="col-sku">
              SKU
            </th>
            <th scope="col" className="col-status">
              Status
            </th>
            <th scope="col" className="col-categories">
              Categories
            </th>
            <th scope="col" className="col-modified">
              Last modified
            </th>
          </tr>
        </thead>
        <tbody>
          {products.map((product, position) => {
            const isSelected = selected.has(product.product_id);
            const specific = new Set(
              mostSpecific(
                index,
                product.categories.map((ref) => ref.id),
              ),
            );
            const chips = sortByTree(index, product.categories).filter((category) =>
              specific.has(category.id),
            );
            return (
              <tr
                key={product.product_id}
                className={`${isSelected ? 'selected' : ''}${openProductId === product.product_id ? ' open' : ''}`}
                data-product-id={product.product_id}
              >
                <td className="col-select">
                  <input
                    type="checkbox"
                    aria-label={`Select ${product.product_name}`}
                    checked={isSelected}
                    onChange={() => {}}
                    onClick={(event) => onToggle(position, event.shiftKey)}
                  />
                </td>
                <td className="col-thumb">
                  <Thumbnail name={product.product_name} url={product.image_url} />
                </td>
                <td className="col-product">
                  <button
                    type="button"
                    className="product-link"
                    onClick={() => onOpen(product.product_id)}
                    title={product.product_name}
                  >
                    <span className="product-name">{product.product_name}</span>
                  </button>
                  <span className="handle">{product.product_id}</span>
                </td>
                <td className="col-vendor" title={product.vendor ?? undefined}>
                  {product.vendor ?? <span className="muted">—</span>}
                </td>
                <td className="col-sku mono nowrap">
                  {product.sku ?? <span className="muted">—</span>}
                </td>
                <td className="col-status">
                  <StatusBadge status={product.status} />
                </td>
                <td className="col-categories">
                  {chips.length === 0 ? (
                    <span className="muted">Uncategorised</span>
                  ) : (
                    <ul className="chips" aria-label={`Categories of ${product.product_name}`}>
                      {chips.map((category) => {
                        const path = index?.byId.get(category.id)?.path ?? category.name;
                        return (
                          <li
                            key={category.id}
                            className={`chip level-${category.level}`}
                            title={path}
                          >
                            <span className="visually-hidden">{path}</span>
                            <span aria-hidden="true">
                              {index?.byId.get(category.id)?.label ?? category.name}
                            </span>
                          </li>
                        );
                      })}
                    </ul>
                  )}
                </td>
                <td className="col-modified nowrap">
                  <time dateTime={product.last_modified}>
                    {dateFormat.format(new Date(product.last_modified))}
                  </time>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {products.length === 0 && !loading && (
        <div className="empty-state">
          <p>No products match these filters.</p>
          {onClearFilters && (
            <button type="button" className="button" onClick={onClearFilters}>
              Clear filters
            </button>
          )}
        </div>
      )}
    </div>
  );
}

export function StatusBadge({ status }: { status: Product['status'] }) {
  return <span className={`status status-${status}`}>{status}</span>;
}

export function initialsOf(name: string): string {
  const words = name
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  return ((words[0]?.[0] ?? '?') + (words[1]?.[0] ?? '')).toUpperCase();
}

export function Thumbnail({
  name,
  url,
  size = 'small',
}: {
  name: string;
  url: string | null;
  size?: 'small' | 'large';
}) {
  const [failed, setFailed] = useState(false);
  if (url && !failed) {
    return (
      <img
        className={`thumb thumb-${size}`}
        src={url}
        alt=""
        loading="lazy"
        onError={() => setFailed(true)}
      />
    );
  }
  return (
    <span className={`thumb thumb-${size} initials`} aria-hidden="true">
      {initialsOf(name)}
    </span>
  );
}

export function TableSkeleton({ rows }: { rows: number }) {
  return (
    <div className="table-wrap" aria-busy="true" aria-label="Loading products">
      {Array.from({ length: rows }, (_, row) => (
        <div key={row} className="skeleton-row">
          <span className="skeleton skeleton-thumb" />
          <span className="skeleton skeleton-text" />
          <span className="skeleton skeleton-short" />
        </div>
      ))}
    </div>
  );
}
