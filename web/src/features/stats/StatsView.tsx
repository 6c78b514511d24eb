/**
 * Statistics: catalog totals, the categorised share, categories per level, the most-used
 * categories of each level. "Uncategorised" links to the products list showing just those.
 */
import type { MouseEvent } from 'react';
import { PRODUCT_STATUSES } from '@tag-manager/contract';
import { useStats } from '../../api/queries';
import { describeLoadError, isRetryable } from '../../lib/error-handler';
import { DEFAULT_STATE, formatLocation } from '../../lib/url-state';

const numberFormat = new Intl.NumberFormat('en');
const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });

/** The products list filtered to uncategorised products (a real link: it opens in a new tab too). */
const UNCATEGORISED_HREF = formatLocation({ ...DEFAULT_STATE, hide_allocated: true });

export function StatsView({
  onShowCategory,
  onShowUncategorised,
}: {
  onShowCategory: (categoryId: number) => void;
  onShowUncategorised?: () => void;
}) {
  const stats = useStats();
  if (stats.isError) {
    return (
      <div className="page">
        <h1>Statistics</h1>
        <div className="callout callout-error" role="alert">
          <p>The statistics could not be loaded: {describeLoadError(stats.error).message}</p>
          {isRetryable(stats.error) && (
            <button type="button" className="button" onClick={() => void stats.refetch()}>
              Try again
            </button>
          )}
        </div>
      </div>
    );
  }
  const data = stats.data?.data;
  if (!data) {
    return (
      <div className="page" aria-busy="true">
        <h1>Statistics</h1>
        <div className="skeleton skeleton-block" aria-label="Loading statistics" />
      </div>
    );
  }
  const byLevel = data.top_categories_by_level;
  const levels = ([1, 2, 3] as const).map((level) => ({
    level,
    top: byLevel[`level_${level}`],
  }));
  const anyUsed = levels.some(({ top }) => top.length > 0);
  const share = data.categorized_share;
  return (
    <div className="page stats" data-testid="stats-view">
      <h1>Statistics</h1>
      <div className="summary-grid">
        <Card label="Products" value={data.total_products} />
        <Card label="Categorised" value={data.categorized_products} tone="good" />
        <Card
          label="Uncategorised"
          value={data.uncategorized_products}
          tone="warn"
          href={UNCATEGORISED_HREF}
          title="Show the uncategorised products"
          onFollow={onShowUncategorised}
        />
        <Card label="Categories" value={data.total_categories} />
        <Card label="Assignments" value={data.total_assignments} />
      </div>

      <section className="card" aria-labelledby="share-title">
        <h2 id="share-title">Categorised share</h2>
        <div
          className="progress"
          role="progressbar"
          aria-labelledby="share-title"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(share * 1000) / 10}
          aria-valuetext={`${percent.format(share)} of products are categorised`}
        >
          <div className="progress-fill" style={{ width: `${share * 100}%` }} />
        </div>
        <p className="progress-label">
          <strong>{percent.format(share)}</strong> categorised ·{' '}
          {numberFormat.format(data.categorized_products)} of{' '}
          {numberFormat.format(data.total_products)} products ·{' '}
          {numberFormat.format(data.uncategorized_products)} still to do
        </p>
      </section>

      <div className="stats-columns">
        <section className="card" aria-labelledby="levels-title">
          <h2 id="levels-title">Categories per level</h2>
          <ul className="level-list">
            {([1, 2, 3] as const).map((level) => (
              <li key={level} className={`level-row level-${level}`}>
                <span className={`level-badge level-${level}`}>L{level}</span>
                <span>Level {level}</span>
                <strong>{numberFormat.format(data.categories_by_level[`level_${level}`])}</strong>
              </li>
            ))}
          </ul>
          <h3 className="section-title">Products by status</h3>
          <ul className="level-list">
            {PRODUCT_STATUSES.map((status) => (
              <li key={status} className="level-row">
                <span className={`status status-${status}`}>{status}</span>
                <span />
                <strong>{numberFormat.format(data.products_by_status[status])}</strong>
              </li>
            ))}
          </ul>
        </section>

        <section className="card" aria-labelledby="top-title">
          <h2 id="top-title">Most-used categories</h2>
          {!anyUsed ? (
            <p className="empty-state">No category is assigned yet.</p>
          ) : (
            <table className="top-table" data-testid="top-categories">
              <caption className="visually-hidden">Most-used categories of each level</caption>
              <thead>
                <tr>
                  <th scope="col">Category</th>
                  <th scope="col" className="numeric">
                    Products
                  </th>
                </tr>
              </thead>
              {levels.map(({ level, top }) => {
                const maxCount = Math.max(1, ...top.map((category) => category.product_count));
                return (
                  <tbody key={level} data-testid={`top-level-${level}`}>
                    <tr>
                      <th scope="rowgroup" colSpan={2} className="top-level-heading">
                        Level {level}
                      </th>
                    </tr>
                    {top.length === 0 && (
                      <tr>
                        <td colSpan={2} className="muted">
                          No level {level} category is assigned yet.
                        </td>
                      </tr>
                    )}
                    {top.map((category) => (
                      <tr key={category.id}>
                        <td>
                          <button
                            type="button"
                            className="product-link"
                            onClick={() => onShowCategory(category.id)}
                            title={`Show the products of ${category.path}`}
                          >
                            <span
                              className={`level-badge level-${category.level}`}
                              aria-hidden="true"
                            >
                              L{category.level}
                            </span>{' '}
                            {category.path}
                          </button>
                          <div className="bar" aria-hidden="true">
                            <div
                              className={`bar-fill level-${category.level}`}
                              style={{ width: `${(category.product_count / maxCount) * 100}%` }}
                            />
                          </div>
                        </td>
                        <td className="numeric">{numberFormat.format(category.product_count)}</td>
                      </tr>
                    ))}
                  </tbody>
                );
              })}
            </table>
          )}
        </section>
      </div>
    </div>
  );
}

function Card({
  label,
  value,
  tone,
  href,
  title,
  onFollow,
}: {
  label: string;
  value: number;
  tone?: 'good' | 'warn';
  /** Makes the figure a link (a plain click is handed to onFollow, the app's navigation). */
  href?: string;
  title?: string;
  onFollow?: () => void;
}) {
  const className = `figure${tone ? ` figure-${tone}` : ''}`;
  const content = (
    <>
      <span className="figure-value">{numberFormat.format(value)}</span>
      <span className="figure-label">{label}</span>
    </>
  );
  if (!href) return <div className={className}>{content}</div>;
  const follow = (event: MouseEvent) => {
    if (!onFollow || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onFollow();
  };
  return (
    <a className={`${className} figure-link`} href={href} title={title} onClick={follow}>
      {content}
    </a>
  );
}
