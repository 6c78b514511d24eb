/** Statistics: catalog totals, the categorised share, categories per level, most-used categories. */
import { PRODUCT_STATUSES } from '@tag-manager/contract';
import { useStats } from '../../api/queries';

const numberFormat = new Intl.NumberFormat('en');
const percent = new Intl.NumberFormat('en', { style: 'percent', maximumFractionDigits: 1 });

export function StatsView({ onShowCategory }: { onShowCategory: (categoryId: number) => void }) {
  const stats = useStats();
  if (stats.isError) {
    return (
      <div className="page">
        <h1>Statistics</h1>
        <div className="callout callout-error" role="alert">
          <p>The statistics could not be loaded: {stats.error.message}</p>
          <button type="button" className="button" onClick={() => void stats.refetch()}>
            Try again
          </button>
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
  const top = data.top_categories;
  const maxCount = Math.max(1, ...top.map((category) => category.product_count));
  const share = data.categorized_share;
  return (
    <div className="page stats" data-testid="stats-view">
      <h1>Statistics</h1>
      <div className="summary-grid">
        <Card label="Products" value={data.total_products} />
        <Card label="Categorised" value={data.categorized_products} tone="good" />
        <Card label="Uncategorised" value={data.uncategorized_products} tone="warn" />
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
          {top.length === 0 ? (
            <p className="empty-state">No category is assigned yet.</p>
          ) : (
            <table className="top-table">
              <caption className="visually-hidden">Most-used categories</caption>
              <thead>
                <tr>
                  <th scope="col">Category</th>
                  <th scope="col" className="numeric">
                    Products
                  </th>
                </tr>
              </thead>
              <tbody>
                {top.map((category) => (
                  <tr key={category.id}>
                    <td>
                      <button
                        type="button"
                        className="product-link"
                        onClick={() => onShowCategory(category.id)}
                        title="Show its products"
                      >
                        <span className={`level-badge level-${category.level}`} aria-hidden="true">
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
            </table>
          )}
        </section>
      </div>
    </div>
  );
}

function Card({ label, value, tone }: { label: string; value: number; tone?: 'good' | 'warn' }) {
  return (
    <div className={`figure${tone ? ` figure-${tone}` : ''}`}>
      <span className="figure-value">{numberFormat.format(value)}</span>
      <span className="figure-label">{label}</span>
    </div>
  );
}
