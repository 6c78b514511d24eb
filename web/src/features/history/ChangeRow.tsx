/**
 * One change set as History shows it: what (the kind in words and what it did, with category
 * paths, before → after), who, when, how many products, links to them (opened in the products
 * screen), the job it belongs to, and Undo when it can be undone.
 */
import type { ChangeSet } from '@tag-manager/contract';
import type { CategoryIndex } from '../../lib/category-index';
import {
  DEFAULT_STATE,
  formatLocation,
  useUrlState,
  type WorkspaceState,
} from '../../lib/url-state';
import { describeChange, kindLabel } from './describe';

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
const LINKED_PRODUCTS = 5;

/** A link inside the app: a plain link (new tab works), navigated in place on a plain click. */
export function AppLink({
  to,
  children,
  className,
  label,
}: {
  to: WorkspaceState;
  children: React.ReactNode;
  className?: string;
  label?: string;
}) {
  const [, update] = useUrlState();
  return (
    <a
      className={className}
      href={formatLocation(to)}
      aria-label={label}
      onClick={(event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        update(to);
      }}
    >
      {children}
    </a>
  );
}

export function ChangeRow({
  change,
  index,
  onUndo,
  compact = false,
}: {
  change: ChangeSet;
  index: CategoryIndex | undefined;
  onUndo?: (change: ChangeSet) => void;
  compact?: boolean;
}) {
  const description = describeChange(change, index);
  const products = change.product_ids.length;
  const more = Math.max(0, products - Math.min(LINKED_PRODUCTS, description.handles.length));
  const history = (patch: Partial<WorkspaceState>): WorkspaceState => ({
    ...DEFAULT_STATE,
    view: 'history',
    ...patch,
  });
  return (
    <li
      className={`change${compact ? ' change-compact' : ''}`}
      data-testid="change-row"
      data-change-id={change.id}
    >
      <div className="change-head">
        <strong className="change-kind">{kindLabel(change.kind)}</strong>
        <span className="muted">#{change.id}</span>
        {change.reverts !== null && <span className="change-tag">undoes #{change.reverts}</span>}
        <span className="change-meta">
          <time dateTime={change.created_at}>{dateFormat.format(new Date(change.created_at))}</time>
          {' · '}
          <span title={`source: ${change.source}`}>{change.actor}</span>
          {' · '}
          {products.toLocaleString('en')} {products === 1 ? 'product' : 'products'}
          {change.job_id !== null && (
            <>
              {' · '}
              <AppLink
                to={history({ jobId: change.job_id })}
                label={`Job ${change.job_id}: its change sets`}
              >
                job #{change.job_id}
              </AppLink>
            </>
          )}
        </span>
      </div>
      <p className="change-summary">{description.summary}</p>
      {description.lines.length > 0 && (
        <dl className="change-lines">
          {description.lines.map((line) => (
            <div key={line.label}>
              <dt>{line.label}</dt>
              <dd>
                <span className="change-before">{line.before}</span>
                <span aria-hidden="true"> → </span>
                <span className="visually-hidden"> becomes </span>
                <span className="change-after">{line.after}</span>
              </dd>
            </div>
          ))}
        </dl>
      )}
      <div className="change-foot">
        {!compact && description.handles.length > 0 && (
          <ul className="change-products" aria-label={`Products of change ${change.id}`}>
            {description.handles.slice(0, LINKED_PRODUCTS).map((handle) => (
              <li key={handle}>
                <AppLink
                  to={{ ...DEFAULT_STATE, view: 'products', product: handle }}
                  className="mono"
                >
                  {handle}
                </AppLink>
              </li>
            ))}
            {more > 0 && <li className="muted">and {more.toLocaleString('en')} more</li>}
          </ul>
        )}
        <span className="bulk-spacer" />
        {onUndo && change.reversible !== 'none' && (
          <button
            type="button"
            className="button button-small"
            onClick={() => onUndo(change)}
            aria-label={`Undo change ${change.id}`}
            data-testid="undo-change"
          >
            {change.reversible === 'revoke' ? 'Revoke' : 'Undo'}
          </button>
        )}
      </div>
    </li>
  );
}
