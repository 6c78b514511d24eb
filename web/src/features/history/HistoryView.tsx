/**
 * The History screen (/history): the change sets, newest first, filtered by product, category,
 * kind, actor and job (all in the URL: `product`, `category`, `kind`, `actor`, `job`). Each row
 * says who, when, what, how many products, before → after, links to the products, and offers
 * Undo (dry run first, then the confirmation; conflicts listed). Filtered by a job, the whole job
 * can be undone at once.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState } from 'react';
import { api } from '../../api/client';
import { queryKeys, useCategoryTree } from '../../api/queries';
import { useDebouncedCallback } from '../../lib/debounce';
import { describeLoadError } from '../../lib/error-handler';
import {
  CLEARED_HISTORY_FILTERS,
  type UpdateState,
  type WorkspaceState,
} from '../../lib/url-state';
import { ChangeRow } from './ChangeRow';
import { CHANGE_KIND_LABELS } from './describe';
import { UndoDialog, type UndoTarget } from './UndoDialog';
import './history.css';
import { CategorySelect } from '../../components/CategorySelect';

const PAGE_SIZE = 50;
const numberFormat = new Intl.NumberFormat('en');

export function changeQuery(state: WorkspaceState, page: number) {
  return {
    limit: PAGE_SIZE,
    offset: (page - 1) * PAGE_SIZE,
    product_id: state.product ?? undefined,
    category_id: state.category_id,
    kind: state.changeKind ?? undefined,
    actor: state.actor ?? undefined,
    job_id: state.jobId ?? undefined,
  };
}

export function HistoryView({ state, update }: { state: WorkspaceState; update: UpdateState }) {
  const id = useId();
  const { index } = useCategoryTree();
  const query = changeQuery(state, state.page);
  const changes = useQuery({
    queryKey: [...queryKeys.changes, query],
    queryFn: ({ signal }) => api.listChanges(query, signal),
    placeholderData: keepPreviousData,
    staleTime: 0,
  });
  const [undoing, setUndoing] = useState<{ title: string; target: UndoTarget } | null>(null);
  const [product, setProduct] = useState(state.product ?? '');
  const [actor, setActor] = useState(state.actor ?? '');
  useEffect(() => setProduct(state.product ?? ''), [state.product]);
  useEffect(() => setActor(state.actor ?? ''), [state.actor]);
  const change = (patch: Partial<WorkspaceState>, replace = false) =>
    update({ ...patch, page: 1 }, { replace });
  const applyProduct = useDebouncedCallback(
    (value: string) => change({ product: value.trim() || null }, true),
    400,
  );
  const applyActor = useDebouncedCallback(
    (value: string) => change({ actor: value.trim() || null }, true),
    400,
  );

  const rows = changes.data?.data ?? [];
  const pagination = changes.data?.pagination;
  const filtered =
    state.product !== null ||
    state.category_id !== undefined ||
    state.changeKind !== null ||
    state.actor !== null ||
    state.jobId !== null;
  const loadError = changes.isError ? describeLoadError(changes.error) : null;
  // Filtered by a job (and nothing else): its change sets, all pages of them.
  const jobTotal =
    state.jobId !== null && changes.data && !changes.isPlaceholderData
      ? changes.data.metadata.total_changes
      : 0;

  return (
    <div className="page history-page">
      <div className="panel-header">
        <h1 id="history-title">History</h1>
        {changes.data && (
          <p className="muted" role="status">
            {numberFormat.format(changes.data.metadata.total_changes)}{' '}
            {changes.data.metadata.total_changes === 1 ? 'change' : 'changes'}
            {filtered ? ' match the filters' : ''}
          </p>
        )}
      </div>
      <div className="filters" role="search" aria-label="History filters">
        <div className="filter">
          <label htmlFor={`${id}-product`}>Product</label>
          <input
            id={`${id}-product`}
            value={product}
            placeholder="Any product (handle)"
            maxLength={255}
            onChange={(event) => {
              setProduct(event.target.value);
              applyProduct(event.target.value);
            }}
          />
        </div>
        <div className="filter filter-category">
          <label htmlFor={`${id}-category`}>Category</label>
          <CategorySelect
            id={`${id}-category`}
            value={state.category_id}
            index={index}
            onChange={(categoryId) => change({ category_id: categoryId })}
          />
        </div>
        <div className="filter">
          <label htmlFor={`${id}-kind`}>Kind</label>
          <select
            id={`${id}-kind`}
            value={state.changeKind ?? ''}
            onChange={(event) => change({ changeKind: event.target.value || null })}
          >
            <option value="">Any kind</option>
            {state.changeKind && !(state.changeKind in CHANGE_KIND_LABELS) && (
              <option value={state.changeKind}>{state.changeKind}</option>
            )}
            {Object.entries(CHANGE_KIND_LABELS).map(([kind, label]) => (
              <option key={kind} value={kind}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="filter">
          <label htmlFor={`${id}-actor`}>Who</label>
          <input
            id={`${id}-actor`}
            value={actor}
            placeholder="Anyone"
            maxLength={255}
            onChange={(event) => {
              setActor(event.target.value);
              applyActor(event.target.value);
            }}
          />
        </div>
        {state.jobId !== null && (
          <p className="filter-chip">
            Job #{state.jobId}
            <button
              type="button"
              className="icon-button"
              aria-label="Show every job"
              onClick={() => change({ jobId: null })}
            >
              ×
            </button>
          </p>
        )}
        {filtered && (
          <button type="button" className="button" onClick={() => update(CLEARED_HISTORY_FILTERS)}>
            Clear filters
          </button>
        )}
      </div>
      {jobTotal > 0 && (
        <div className="callout history-job">
          <span>
            Job #{state.jobId}: {numberFormat.format(jobTotal)}{' '}
            {jobTotal === 1 ? 'change set' : 'change sets'} (one per batch).
          </span>
          <button
            type="button"
            className="button button-danger-outline"
            onClick={() =>
              setUndoing({
                title: `Undo job #${state.jobId}?`,
                target: { jobId: state.jobId!, changeCount: jobTotal },
              })
            }
            data-testid="undo-job"
          >
            Undo the whole job
          </button>
        </div>
      )}
      {changes.isError && !changes.data ? (
        <div className="callout callout-error" role="alert">
          <p>The history could not be loaded: {loadError!.message}</p>
          {loadError!.retryable && (
            <button type="button" className="button" onClick={() => void changes.refetch()}>
              Try again
            </button>
          )}
        </div>
      ) : !changes.data ? (
        <div className="skeleton skeleton-block" aria-label="Loading history" />
      ) : rows.length === 0 ? (
        <p className="empty-state">
          {filtered ? 'No change matches these filters.' : 'Nothing has been changed yet.'}
        </p>
      ) : (
        <ol className="change-list" aria-labelledby="history-title" aria-busy={changes.isFetching}>
          {rows.map((row) => (
            <ChangeRow
              key={row.id}
              change={row}
              index={index}
              onUndo={(target) =>
                setUndoing({ title: `Undo change #${target.id}?`, target: { changes: [target] } })
              }
            />
          ))}
        </ol>
      )}
      {pagination && pagination.total_pages > 1 && (
        <nav className="pagination" aria-label="History pages">
          <button
            type="button"
            className="button"
            disabled={!pagination.has_previous}
            onClick={() => update({ page: state.page - 1 })}
          >
            Previous
          </button>
          <span className="pagination-page">
            Page {pagination.page} of {numberFormat.format(pagination.total_pages)}
          </span>
          <button
            type="button"
            className="button"
            disabled={!pagination.has_next}
            onClick={() => update({ page: state.page + 1 })}
          >
            Next
          </button>
        </nav>
      )}
      {undoing && (
        <UndoDialog
          title={undoing.title}
          target={undoing.target}
          onClose={() => setUndoing(null)}
        />
      )}
    </div>
  );
}
