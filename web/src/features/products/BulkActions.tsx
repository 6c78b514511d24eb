/**
 * Bulk assign/remove of the ticked categories on the selected products: one request each way,
 * removal confirmed first, then a result summary per product (assigned or removed, parents added
 * or subcategories removed, skipped, errors). The caches are edited from the result.
 */
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BulkAssignResult, BulkRemoveResult } from '@tag-manager/contract';
import { api } from '../../api/client';
import {
  adjustTreeCounts,
  getProductCategories,
  markAssignmentsStale,
  refsFor,
  setProductCategories,
} from '../../api/queries';
import { Dialog } from '../../components/Dialog';
import type { CategoryIndex } from '../../lib/category-index';
import { useErrorHandler } from '../../lib/error-handler';

type BulkOutcome =
  { kind: 'assign'; result: BulkAssignResult } | { kind: 'remove'; result: BulkRemoveResult };

interface BulkActionsProps {
  productIds: string[];
  categoryIds: number[];
  index: CategoryIndex | undefined;
  onClearSelection: () => void;
  /** Whether the result dialog is open (the bar stays while it is, even with nothing selected). */
  onResultShown?: (shown: boolean) => void;
}

export function BulkActions({
  productIds,
  categoryIds,
  index,
  onClearSelection,
  onResultShown,
}: BulkActionsProps) {
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [outcome, setOutcome] = useState<BulkOutcome | null>(null);
  const assignButton = useRef<HTMLButtonElement>(null);
  const resultShown = outcome !== null;
  useEffect(() => onResultShown?.(resultShown), [onResultShown, resultShown]);

  const addDelta = (deltas: Map<number, number>, ids: number[], delta: number) => {
    for (const id of ids) deltas.set(id, (deltas.get(id) ?? 0) + delta);
  };

  const assign = useMutation({
    mutationFn: () => api.bulkAssign(productIds, categoryIds),
    onSuccess: ({ data }) => {
      const deltas = new Map<number, number>();
      for (const item of data.results) {
        const added = [...item.assigned, ...item.ancestors_added];
        if (added.length === 0) continue;
        addDelta(deltas, added, 1);
        const current = getProductCategories(queryClient, item.product_id);
        if (current)
          setProductCategories(queryClient, item.product_id, [
            ...current,
            ...refsFor(index, added),
          ]);
      }
      adjustTreeCounts(queryClient, deltas);
      markAssignmentsStale(queryClient);
      setOutcome({ kind: 'assign', result: data });
    },
    onError: (error) => handleError(error, { action: 'Bulk assign failed' }),
  });

  const remove = useMutation({
    mutationFn: () => api.bulkRemove(productIds, categoryIds),
    onSuccess: ({ data }) => {
      const deltas = new Map<number, number>();
      for (const item of data.results) {
        const gone = [...item.removed, ...item.descendants_removed];
        if (gone.length === 0) continue;
        addDelta(deltas, gone, -1);
        const current = getProductCategories(queryClient, item.product_id);
        const goneSet = new Set(gone);
        if (current)
          setProductCategories(
            queryClient,
            item.product_id,
            current.filter((ref) => !goneSet.has(ref.id)),
          );
      }
      adjustTreeCounts(queryClient, deltas);
      markAssignmentsStale(queryClient);
      setConfirmRemove(false);
      setOutcome({ kind: 'remove', result: data });
    },
    onError: (error) => {
      setConfirmRemove(false);
      handleError(error, { action: 'Bulk remove failed' });
    },
  });

  const categoryNames = categoryIds.map((id) => index?.byId.get(id)?.path ?? `#${id}`);
  const busy = assign.isPending || remove.isPending;
  const noun = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

  return (
    <div className="bulk-bar" role="region" aria-label="Bulk actions" data-testid="bulk-bar">
      <strong>{noun(productIds.length, 'product', 'products')} selected</strong>
      <span className="muted">·</span>
      {categoryIds.length === 0 ? (
        <span className="muted">Tick categories in the tree to assign or remove them.</span>
      ) : (
        <span className="muted" title={categoryNames.join('\n')}>
          {noun(categoryIds.length, 'ticked category', 'ticked categories')}
        </span>
      )}
      <span className="bulk-spacer" />
      <button
        ref={assignButton}
        type="button"
        className="button button-primary"
        disabled={categoryIds.length === 0 || busy}
        onClick={() => assign.mutate()}
        data-testid="bulk-assign"
      >
        {assign.isPending ? 'Assigning…' : 'Assign to selected'}
      </button>
      <button
        type="button"
        className="button button-danger-outline"
        disabled={categoryIds.length === 0 || busy}
        onClick={() => setConfirmRemove(true)}
        data-testid="bulk-remove"
      >
        Remove from selected
      </button>
      <button type="button" className="button" onClick={onClearSelection}>
        Clear selection
      </button>

      {confirmRemove && (
        <Dialog
          title="Remove categories?"
          size="small"
          onClose={() => setConfirmRemove(false)}
          footer={
            <>
              <button type="button" className="button" onClick={() => setConfirmRemove(false)}>
                Cancel
              </button>
              <button
                type="button"
                className="button button-danger"
                onClick={() => remove.mutate()}
                disabled={remove.isPending}
              >
                {remove.isPending
                  ? 'Removing…'
                  : `Remove from ${noun(productIds.length, 'product', 'products')}`}
              </button>
            </>
          }
        >
          <p>
            Remove these categories from{' '}
            {noun(productIds.length, 'selected product', 'selected products')}? Their subcategories
            are removed from those products too.
          </p>
          <ul className="plain-list">
            {categoryNames.map((name) => (
              <li key={name}>{name}</li>
            ))}
          </ul>
        </Dialog>
      )}

      {outcome && (
        <BulkResultDialog outcome={outcome} index={index} onClose={() => setOutcome(null)} />
      )}
    </div>
  );
}

function BulkResultDialog({
  outcome,
  index,
  onClose,
}: {
  outcome: BulkOutcome;
  index: CategoryIndex | undefined;
  onClose: () => void;
}) {
  const nameOf = (id: number | null) =>
    id === null ? 'product' : (index?.byId.get(id)?.name ?? `#${id}`);
  const list = (ids: number[]) =>
    ids.length === 0 ? <span className="muted">—</span> : ids.map(nameOf).join(', ');
  const { summary } = outcome.result;
  const isAssign = outcome.kind === 'assign';
  const changed = isAssign
    ? outcome.result.summary.total_assigned
    : outcome.result.summary.total_removed;
  const extra = isAssign
    ? outcome.result.summary.total_ancestors_added
    : outcome.result.summary.total_descendants_removed;
  return (
    <Dialog
      title={isAssign ? 'Bulk assign result' : 'Bulk remove result'}
      onClose={onClose}
      size="large"
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      }
    >
      <div className="summary-grid" data-testid="bulk-summary">
        <Figure label="Products processed" value={summary.products_processed} />
        <Figure label={isAssign ? 'Assigned' : 'Removed'} value={changed} />
        <Figure label={isAssign ? 'Parents added' : 'Subcategories removed'} value={extra} />
        <Figure
          label="Skipped"
          value={summary.total_skipped}
          hint={isAssign ? 'already assigned' : 'not assigned'}
        />
        <Figure
          label="Errors"
          value={summary.total_errors}
          tone={summary.total_errors > 0 ? 'bad' : undefined}
        />
      </div>
      <div
        className="table-wrap result-table"
        tabIndex={0}
        role="region"
        aria-label="Result per product"
      >
        <table>
          <caption className="visually-hidden">Result per product</caption>
          <thead>
            <tr>
              <th scope="col">Product</th>
              <th scope="col">{isAssign ? 'Assigned' : 'Removed'}</th>
              <th scope="col">{isAssign ? 'Parents added' : 'Subcategories removed'}</th>
              <th scope="col">Skipped</th>
              <th scope="col">Errors</th>
            </tr>
          </thead>
          <tbody>
            {(outcome.kind === 'assign'
              ? outcome.result.results.map((item) => ({
                  item,
                  changed: item.assigned,
                  related: item.ancestors_added,
                }))
              : outcome.result.results.map((item) => ({
                  item,
                  changed: item.removed,
                  related: item.descendants_removed,
                }))
            ).map(({ item, changed, related }) => (
              <tr key={item.product_id}>
                <td className="mono">{item.product_id}</td>
                <td>{list(changed)}</td>
                <td>{list(related)}</td>
                <td>{list(item.skipped)}</td>
                <td>
                  {item.errors.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    item.errors
                      .map((error) => `${nameOf(error.category_id)}: ${error.reason}`)
                      .join('; ')
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </Dialog>
  );
}

function Figure({
  label,
  value,
  hint,
  tone,
}: {
  label: string;
  value: number;
  hint?: string;
  tone?: 'bad';
}) {
  return (
    <div className={`figure${tone ? ` figure-${tone}` : ''}`}>
      <span className="figure-value">{value.toLocaleString('en')}</span>
      <span className="figure-label">{label}</span>
      {hint && <span className="figure-hint">{hint}</span>}
    </div>
  );
}
