/**
 * Bulk assign/remove of the ticked categories on the selected products, or on every product the
 * current filter matches ("Select all N matching"). Each write is previewed first (`dry_run`):
 * how many products match and will change, the parents added or subcategories removed, the
 * parents that stay, who becomes (un)categorised, and 10 products before → after. Confirming
 * runs it: up to BULK_MAX_PRODUCTS answer at once, with a result per product (the caches are
 * edited from it); more become a job, whose progress the dialog (and the header) shows.
 */
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { BulkAssignResult, BulkPreview, BulkRemoveResult, Job } from '@tag-manager/contract';
import { api, type BulkAnswer, type BulkTarget } from '../../api/client';
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
import { JobProgress } from '../jobs/JobProgress';
import { trackJob } from '../jobs/jobs';
import './bulk.css';

type BulkOutcome =
  { kind: 'assign'; result: BulkAssignResult } | { kind: 'remove'; result: BulkRemoveResult };
type Action = 'assign' | 'remove';

interface BulkActionsProps {
  productIds: string[];
  categoryIds: number[];
  index: CategoryIndex | undefined;
  /**
   * Every product the filter matches instead of the ticked ones ("Select all N matching"):
   * the filter fields of the product list, and the number of products it matched.
   */
  matching?: { filter: Exclude<BulkTarget, { product_ids: string[] }>['filter']; count: number };
  onClearSelection: () => void;
  /** Whether the result dialog is open (the bar stays while it is, even with nothing selected). */
  onResultShown?: (shown: boolean) => void;
}

const numberFormat = new Intl.NumberFormat('en');
const noun = (count: number, one: string, many: string) =>
  `${numberFormat.format(count)} ${count === 1 ? one : many}`;

export function BulkActions({
  productIds,
  categoryIds,
  index,
  matching,
  onClearSelection,
  onResultShown,
}: BulkActionsProps) {
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const [asked, setAsked] = useState<{
    action: Action;
    removeParents: boolean;
    preview: BulkPreview;
  } | null>(null);
  const [outcome, setOutcome] = useState<BulkOutcome | null>(null);
  const [job, setJob] = useState<{ action: Action; job: Job } | null>(null);
  const assignButton = useRef<HTMLButtonElement>(null);
  const resultShown = outcome !== null || job !== null || asked !== null;
  useEffect(() => onResultShown?.(resultShown), [onResultShown, resultShown]);

  const target: BulkTarget = matching ? { filter: matching.filter } : { product_ids: productIds };
  const count = matching ? matching.count : productIds.length;
  const failure = (action: Action) =>
    action === 'assign' ? 'Bulk assign failed' : 'Bulk remove failed';

  const addDelta = (deltas: Map<number, number>, ids: number[], delta: number) => {
    for (const id of ids) deltas.set(id, (deltas.get(id) ?? 0) + delta);
  };

  const applyAssign = (data: BulkAssignResult) => {
    const deltas = new Map<number, number>();
    for (const item of data.results) {
      const added = [...item.assigned, ...item.ancestors_added];
      if (added.length === 0) continue;
      addDelta(deltas, added, 1);
      const current = getProductCategories(queryClient, item.product_id);
      if (current)
        setProductCategories(queryClient, item.product_id, [...current, ...refsFor(index, added)]);
    }
    adjustTreeCounts(queryClient, deltas);
    markAssignmentsStale(queryClient);
  };

  const applyRemove = (data: BulkRemoveResult) => {
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
  };

  const preview = useMutation({
    mutationFn: (ask: { action: Action; removeParents: boolean }) =>
      api.bulkPreview(ask.action, target, categoryIds, {
        ...(ask.action === 'remove' ? { remove_unneeded_parents: ask.removeParents } : {}),
      }),
    onSuccess: ({ data }, ask) => setAsked({ ...ask, preview: data }),
    onError: (error, ask) => {
      setAsked(null);
      handleError(error, { action: failure(ask.action) });
    },
  });

  const run = useMutation({
    mutationFn: async (ask: {
      action: Action;
      removeParents: boolean;
    }): Promise<BulkAnswer<BulkAssignResult> | BulkAnswer<BulkRemoveResult>> =>
      ask.action === 'assign'
        ? api.bulkAssign(target, categoryIds)
        : api.bulkRemove(target, categoryIds, { remove_unneeded_parents: ask.removeParents }),
    onSuccess: (answer, ask) => {
      setAsked(null);
      if (answer.kind === 'job') {
        trackJob(queryClient, answer.job);
        setJob({ action: ask.action, job: answer.job });
        return;
      }
      if (ask.action === 'assign') {
        const result = answer.result as BulkAssignResult;
        applyAssign(result);
        setOutcome({ kind: 'assign', result });
      } else {
        const result = answer.result as BulkRemoveResult;
        applyRemove(result);
        setOutcome({ kind: 'remove', result });
      }
    },
    onError: (error, ask) => {
      setAsked(null);
      handleError(error, { action: failure(ask.action) });
    },
  });

  const categoryNames = categoryIds.map((id) => index?.byId.get(id)?.path ?? `#${id}`);
  const busy = preview.isPending || run.isPending;
  const ask = (action: Action, removeParents = false) => preview.mutate({ action, removeParents });
  const what = matching
    ? `all ${noun(count, 'matching product', 'matching products')}`
    : noun(count, 'product', 'products');

  return (
    <div className="bulk-bar" role="region" aria-label="Bulk actions" data-testid="bulk-bar">
      <strong>
        {matching
          ? `All ${noun(count, 'matching product', 'matching products')} selected`
          : `${noun(count, 'product', 'products')} selected`}
      </strong>
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
        onClick={() => ask('assign')}
        data-testid="bulk-assign"
      >
        {preview.isPending && preview.variables?.action === 'assign'
          ? 'Previewing…'
          : 'Assign to selected'}
      </button>
      <button
        type="button"
        className="button button-danger-outline"
        disabled={categoryIds.length === 0 || busy}
        onClick={() => ask('remove')}
        data-testid="bulk-remove"
      >
        {preview.isPending && preview.variables?.action === 'remove' && !asked
          ? 'Previewing…'
          : 'Remove from selected'}
      </button>
      <button type="button" className="button" onClick={onClearSelection}>
        Clear selection
      </button>

      {asked && (
        <Dialog
          title={asked.action === 'assign' ? 'Assign categories?' : 'Remove categories?'}
          size="large"
          onClose={() => setAsked(null)}
          footer={
            <>
              <button type="button" className="button" onClick={() => setAsked(null)}>
                Cancel
              </button>
              <button
                type="button"
                className={`button ${asked.action === 'assign' ? 'button-primary' : 'button-danger'}`}
                onClick={() =>
                  run.mutate({ action: asked.action, removeParents: asked.removeParents })
                }
                disabled={busy || asked.preview.will_change === 0}
                data-testid="bulk-confirm"
              >
                {run.isPending
                  ? asked.action === 'assign'
                    ? 'Assigning…'
                    : 'Removing…'
                  : `${asked.action === 'assign' ? 'Assign to' : 'Remove from'} ${noun(asked.preview.will_change, 'product', 'products')}`}
              </button>
            </>
          }
        >
          <p>
            {asked.action === 'assign' ? 'Assign' : 'Remove'}{' '}
            {categoryNames.length === 1 ? 'this category' : 'these categories'}{' '}
            {asked.action === 'assign' ? 'to' : 'from'} {what}
            {asked.action === 'remove' ? ' (their subcategories go with them)' : ''}:
          </p>
          <ul className="plain-list">
            {categoryNames.map((name) => (
              <li key={name}>{name}</li>
            ))}
          </ul>
          {asked.action === 'remove' && (
            <label className="filter-check bulk-option">
              <input
                type="checkbox"
                checked={asked.removeParents}
                disabled={busy}
                onChange={(event) => ask('remove', event.target.checked)}
                data-testid="remove-unneeded-parents"
              />
              Also remove parents that no other assigned category needs
            </label>
          )}
          <BulkPreviewView preview={asked.preview} action={asked.action} busy={preview.isPending} />
        </Dialog>
      )}

      {job && (
        <Dialog
          title={job.action === 'assign' ? 'Bulk assign running' : 'Bulk remove running'}
          onClose={() => setJob(null)}
          footer={
            <button type="button" className="button button-primary" onClick={() => setJob(null)}>
              Close
            </button>
          }
        >
          <p>
            This change is large, so it runs as a job. You can close this dialog: the job keeps
            running, and <strong>Jobs</strong> in the header shows it.
          </p>
          <JobProgress jobId={job.job.id} />
        </Dialog>
      )}

      {outcome && (
        <BulkResultDialog outcome={outcome} index={index} onClose={() => setOutcome(null)} />
      )}
    </div>
  );
}

/** What a bulk write would do, from its dry run. */
export function BulkPreviewView({
  preview,
  action,
  busy = false,
}: {
  preview: BulkPreview;
  action: Action;
  busy?: boolean;
}) {
  const isAssign = action === 'assign';
  const shares = (title: string, entries: BulkPreview['categories'], testId: string) =>
    entries.length > 0 && (
      <div className="preview-section" data-testid={testId}>
        <h3 className="section-title">{title}</h3>
        <ul className="plain-list">
          {entries.map((entry) => (
            <li key={entry.category_id}>
              {entry.path}{' '}
              <span className="muted">— {noun(entry.products, 'product', 'products')}</span>
            </li>
          ))}
        </ul>
      </div>
    );
  return (
    <div className="bulk-preview" aria-busy={busy} data-testid="bulk-preview">
      <div className="summary-grid">
        <Figure label="Matched" value={preview.matched} />
        <Figure label="Will change" value={preview.will_change} />
        <Figure
          label="Unchanged"
          value={preview.unchanged}
          hint={isAssign ? 'already have them' : 'do not have them'}
        />
      </div>
      {preview.become_categorized > 0 && (
        <p className="callout callout-warning" data-testid="become-categorized">
          {noun(preview.become_categorized, 'uncategorised product', 'uncategorised products')} will
          become categorised.
        </p>
      )}
      {preview.become_uncategorized > 0 && (
        <p className="callout callout-warning" data-testid="become-uncategorized">
          {noun(preview.become_uncategorized, 'product', 'products')} will become uncategorised.
        </p>
      )}
      {preview.runs_as_job && (
        <p className="callout" data-testid="runs-as-job">
          This many products run as a background job, with a progress bar; it can be cancelled, and
          what it did can be undone from History.
        </p>
      )}
      {shares(
        isAssign ? 'Per category: products that gain it' : 'Per category: products that lose it',
        preview.categories,
        'preview-categories',
      )}
      {shares('Parents added', preview.ancestors_added, 'preview-ancestors')}
      {shares('Subcategories removed', preview.descendants_removed, 'preview-descendants')}
      {shares(
        'Parents removed (nothing else needs them)',
        preview.parents_removed,
        'preview-parents-removed',
      )}
      {shares('Parents that stay assigned', preview.parents_kept, 'preview-parents-kept')}
      {preview.sample.length > 0 && (
        <div
          className="table-wrap result-table"
          tabIndex={0}
          role="region"
          aria-label="Sample of products, before and after"
        >
          <table>
            <caption className="visually-hidden">Sample of products, before and after</caption>
            <thead>
              <tr>
                <th scope="col">Product</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
              </tr>
            </thead>
            <tbody>
              {preview.sample.map((item) => (
                <tr key={item.product_id}>
                  <td>
                    {item.product_name}
                    <span className="handle">{item.product_id}</span>
                  </td>
                  <td>{pathList(item.before)}</td>
                  <td>{pathList(item.after)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

const pathList = (paths: string[]) =>
  paths.length === 0 ? (
    <span className="muted">Uncategorised</span>
  ) : (
    <ul className="plain-list">
      {paths.map((path) => (
        <li key={path}>{path}</li>
      ))}
    </ul>
  );

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
