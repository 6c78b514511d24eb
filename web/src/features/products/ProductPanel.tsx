/**
 * One product: its fields and its categories as paths. Assigning the ticked categories is one
 * request whose answer carries the product's resulting categories, written straight into the
 * caches; removing a chip is optimistic and rolled back if the server refuses. Removing a chip
 * that has assigned subcategories takes them too, so it asks first and names them; a chip
 * without any goes in one click.
 *
 * Every write is conditional on the read the panel shows (If-Match with the GET's ETag). When
 * someone else changed the product meanwhile the server answers 412 with the product as it is
 * now: the panel shows before → now and offers to re-apply the change on top of it (sent with
 * the ETag of that state) or to keep theirs.
 */
import { useEffect, useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { CategoryRef, ProductDetail } from '@tag-manager/contract';
import { api, ApiError } from '../../api/client';
import { liveStore, useLiveState, type LiveStore } from '../../api/live-updates';
import {
  adjustTreeCounts,
  getProductCategories,
  markAssignmentsStale,
  queryKeys,
  setProductCategories,
  setProductDetail,
  useProduct,
  type PanelProduct,
} from '../../api/queries';
import { descendantsOf, sortByTree, type CategoryIndex } from '../../lib/category-index';
import { useErrorHandler } from '../../lib/error-handler';
import { StatusBadge, Thumbnail } from './ProductTable';
import { ProductHistory } from '../history/ProductHistory';

interface ProductPanelProps {
  productId: string;
  index: CategoryIndex | undefined;
  selectedCategories: ReadonlySet<number>;
  onClose: () => void;
  /** Live updates' state (tests pass their own). */
  live?: LiveStore;
}

type Outcome =
  | { kind: 'assigned'; added: CategoryRef[]; ancestors: CategoryRef[]; already: CategoryRef[] }
  | { kind: 'removed'; removed: CategoryRef[]; descendants: CategoryRef[] };

/** The write the operator asked for, kept to be sent again after a 412. */
type Change = { kind: 'assign'; categoryIds: number[] } | { kind: 'remove'; categoryId: number };

/** A write refused because the product changed since it was read (412 PRECONDITION_FAILED). */
export interface EditConflict {
  change: Change;
  before: CategoryRef[];
  current: ProductDetail;
  etag: string | null;
}

/** The 412 of a stale If-Match, as the server describes the product now; else undefined. */
export function staleProduct(error: unknown): { current: ProductDetail; etag: string } | undefined {
  if (!(error instanceof ApiError) || error.code !== 'PRECONDITION_FAILED') return undefined;
  const { current, etag } = error.details as { current?: ProductDetail; etag?: string };
  return current && typeof etag === 'string' ? { current, etag } : undefined;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

export function ProductPanel({
  productId,
  index,
  selectedCategories,
  onClose,
  live = liveStore,
}: ProductPanelProps) {
  const queryClient = useQueryClient();
  // Someone else changed this product since it was read (a live event): flagged, not replaced.
  const remoteChange = useLiveState(live).changedProducts.get(productId);
  const reloadRemoteChange = () => {
    live.clearProduct(productId);
    setOutcome(null);
    setConflict(null);
    void queryClient.refetchQueries({ queryKey: queryKeys.product(productId), exact: true });
  };
  const handleError = useErrorHandler();
  const product = useProduct(productId);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [confirming, setConfirming] = useState<number | null>(null);
  const [conflict, setConflict] = useState<EditConflict | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    setOutcome(null);
    setConflict(null);
    headingRef.current?.focus();
    // Opening a product reads it: what was flagged before is in that read.
    live.clearProduct(productId);
  }, [productId, live]);

  /**
   * The ETag of what the panel shows: from the product's read, or from the panel's own last
   * write (its `product_etag`). After someone else's bulk write in this tab the detail is read
   * again; a write before that read arrives waits for it.
   */
  const currentEtag = async (): Promise<string | null> => {
    const key = queryKeys.product(productId);
    const known = queryClient.getQueryData<PanelProduct>(key)?.etag;
    if (known) return known;
    await queryClient.refetchQueries({ queryKey: key, exact: true });
    return queryClient.getQueryData<PanelProduct>(key)?.etag ?? null;
  };

  /** A 412: the product as it is now replaces what the panel showed; the change waits. */
  const onStale = (error: unknown, change: Change, before: CategoryRef[] | undefined) => {
    const stale = staleProduct(error);
    if (!stale) return false;
    setOutcome(null);
    setConflict({ change, before: before ?? [], current: stale.current, etag: stale.etag });
    setProductDetail(queryClient, stale.current, stale.etag);
    return true;
  };

  const countDeltas = (refs: CategoryRef[], delta: number) =>
    new Map(refs.map((ref) => [ref.id, delta]));

  const assign = useMutation({
    mutationFn: async ({ categoryIds, etag }: { categoryIds: number[]; etag?: string | null }) =>
      api.assignCategories(productId, categoryIds, etag ?? (await currentEtag())),
    onMutate: () => ({ before: getProductCategories(queryClient, productId) }),
    onSuccess: ({ data }) => {
      setProductCategories(queryClient, productId, data.categories, { etag: data.product_etag });
      adjustTreeCounts(queryClient, countDeltas([...data.added, ...data.ancestors_added], 1));
      markAssignmentsStale(queryClient);
      setOutcome({
        kind: 'assigned',
        added: data.added,
        ancestors: data.ancestors_added,
        already: data.already_assigned,
      });
    },
    onError: (error, { categoryIds }, context) => {
      if (onStale(error, { kind: 'assign', categoryIds }, context?.before)) return;
      handleError(error, { action: 'Could not assign the categories', topic: 'product.assign' });
    },
  });

  const remove = useMutation({
    mutationFn: async ({ categoryId, etag }: { categoryId: number; etag?: string | null }) =>
      api.removeCategory(productId, categoryId, etag ?? (await currentEtag())),
    onMutate: async ({ categoryId }) => {
      const previous = getProductCategories(queryClient, productId);
      if (previous && index) {
        const gone = new Set(descendantsOf(index, categoryId));
        // Shown at once; the write is still based on the read the panel showed (its ETag).
        setProductCategories(
          queryClient,
          productId,
          previous.filter((category) => !gone.has(category.id)),
          'kept',
        );
      }
      return { previous };
    },
    onSuccess: ({ data }) => {
      setProductCategories(queryClient, productId, data.categories, { etag: data.product_etag });
      adjustTreeCounts(
        queryClient,
        countDeltas([...data.removed, ...data.descendants_removed], -1),
      );
      markAssignmentsStale(queryClient);
      setOutcome({ kind: 'removed', removed: data.removed, descendants: data.descendants_removed });
    },
    onError: (error, { categoryId }, context) => {
      if (onStale(error, { kind: 'remove', categoryId }, context?.previous)) return;
      if (context?.previous) setProductCategories(queryClient, productId, context.previous, 'kept');
      handleError(error, { action: 'Could not remove the category', topic: 'product.remove' });
    },
  });

  const data = product.data;
  const selected = [...selectedCategories];
  const categories = data ? sortByTree(index, data.categories) : [];
  const assignedIds = new Set(categories.map((category) => category.id));
  const newOnes = selected.filter((id) => !assignedIds.has(id));
  /** The assigned categories below one (what removing it takes too), in tree order. */
  const assignedBelow = (id: number) => {
    const below = new Set(index ? descendantsOf(index, id) : [id]);
    below.delete(id);
    return categories.filter((category) => below.has(category.id));
  };
  const pathOf = (ref: CategoryRef) => index?.byId.get(ref.id)?.path ?? ref.name;
  const askedFor = categories.find((category) => category.id === confirming);
  const askedBelow = askedFor ? assignedBelow(askedFor.id) : [];
  const removeChip = (category: CategoryRef) => {
    if (assignedBelow(category.id).length > 0) setConfirming(category.id);
    else remove.mutate({ categoryId: category.id });
  };
  const closeConfirmation = (removeIt: boolean) => {
    const id = confirming;
    setConfirming(null);
    if (id === null) return;
    if (removeIt) remove.mutate({ categoryId: id });
    else document.querySelector<HTMLElement>(`[data-remove-id="${id}"]`)?.focus();
  };

  return (
    <aside
      className="product-panel"
      aria-labelledby="product-panel-title"
      data-testid="product-panel"
    >
      <div className="panel-header">
        <h2 id="product-panel-title" ref={headingRef} tabIndex={-1}>
          {data?.product_name ?? (product.isError ? 'Product not found' : 'Loading…')}
        </h2>
        <button
          type="button"
          className="icon-button"
          aria-label="Close product details"
          onClick={onClose}
        >
          ×
        </button>
      </div>
      {product.isPending && (
        <div className="skeleton skeleton-block" aria-label="Loading product" />
      )}
      {product.isError && (
        <p className="empty-state">This product could not be loaded: {product.error.message}</p>
      )}
      {data && remoteChange && (
        <div
          className="callout callout-warning remote-change"
          role="status"
          data-testid="remote-change"
        >
          <p>
            Changed by {remoteChange.actor} since you opened it. What you see is not the latest;
            your next change would be refused until you reload.
          </p>
          <button type="button" className="button button-small" onClick={reloadRemoteChange}>
            Reload
          </button>
        </div>
      )}
      {data && (
        <>
          <div className="product-summary">
            <Thumbnail name={data.product_name} url={data.image_url} size="large" />
            <dl className="facts">
              <dt>Handle</dt>
              <dd className="mono">{data.product_id}</dd>
              <dt>Vendor</dt>
              <dd>{data.vendor ?? '—'}</dd>
              <dt>Type</dt>
              <dd>{data.product_type ?? '—'}</dd>
              <dt>SKU</dt>
              <dd className="mono">{data.sku ?? '—'}</dd>
              <dt>Status</dt>
              <dd>
                <StatusBadge status={data.status} />
              </dd>
              <dt>Modified</dt>
              <dd>{dateFormat.format(new Date(data.last_modified))}</dd>
              {data.tags.length > 0 && (
                <>
                  <dt>Tags</dt>
                  <dd>{data.tags.join(', ')}</dd>
                </>
              )}
            </dl>
          </div>

          <h3 className="section-title">
            Categories <span className="muted">({categories.length})</span>
          </h3>
          {categories.length === 0 ? (
            <p className="empty-state small">
              Uncategorised. Tick categories in the tree and assign them.
            </p>
          ) : (
            <ul
              className="path-chips"
              aria-label="Assigned categories"
              data-testid="assigned-categories"
            >
              {categories.map((category) => {
                const path = index?.byId.get(category.id)?.path ?? category.name;
                return (
                  <li key={category.id} className={`path-chip level-${category.level}`}>
                    <span className="path-text">{path}</span>
                    <button
                      type="button"
                      className="chip-remove"
                      aria-label={`Remove ${path}`}
                      title={`Remove ${path} (and its subcategories)`}
                      disabled={remove.isPending}
                      data-remove-id={category.id}
                      onClick={() => removeChip(category)}
                    >
                      ×
                    </button>
                  </li>
                );
              })}
            </ul>
          )}

          {askedFor && (
            <div
              className="callout callout-warning"
              role="alertdialog"
              aria-labelledby="remove-confirm-title"
              aria-describedby="remove-confirm-list"
              data-testid="remove-confirm"
              onKeyDown={(event) => {
                if (event.key !== 'Escape') return;
                event.stopPropagation();
                closeConfirmation(false);
              }}
            >
              <p id="remove-confirm-title">
                <strong>
                  Remove “{pathOf(askedFor)}” and{' '}
                  {askedBelow.length === 1
                    ? 'its subcategory'
                    : `its ${askedBelow.length} subcategories`}
                  ?
                </strong>
              </p>
              <ul id="remove-confirm-list">
                {askedBelow.map((category) => (
                  <li key={category.id}>{pathOf(category)}</li>
                ))}
              </ul>
              <div className="button-row">
                <button
                  type="button"
                  className="button button-danger"
                  autoFocus
                  onClick={() => closeConfirmation(true)}
                >
                  Remove {askedBelow.length + 1} categories
                </button>{' '}
                <button type="button" className="button" onClick={() => closeConfirmation(false)}>
                  Cancel
                </button>
              </div>
            </div>
          )}

          <div className="assign-box">
            <button
              type="button"
              className="button button-primary"
              disabled={newOnes.length === 0 || assign.isPending}
              onClick={() => {
                setConflict(null);
                assign.mutate({ categoryIds: newOnes });
              }}
              data-testid="assign-selected"
            >
              {assign.isPending
                ? 'Assigning…'
                : newOnes.length === 0
                  ? 'Assign ticked categories'
                  : `Assign ${newOnes.length} ticked ${newOnes.length === 1 ? 'category' : 'categories'}`}
            </button>
            {selected.length === 0 && (
              <p className="field-hint">Tick categories in the tree (Space) to assign them here.</p>
            )}
            {selected.length > 0 && newOnes.length === 0 && (
              <p className="field-hint">All ticked categories are already assigned.</p>
            )}
          </div>

          {conflict && (
            <ConflictNotice
              conflict={conflict}
              index={index}
              onReapply={() => {
                const { change, etag } = conflict;
                setConflict(null);
                // Sent with the ETag of the state the notice showed: if that changed too, the
                // server says so again.
                if (change.kind === 'assign')
                  assign.mutate({ categoryIds: change.categoryIds, etag });
                else remove.mutate({ categoryId: change.categoryId, etag });
              }}
              onKeepTheirs={() => setConflict(null)}
            />
          )}
          {outcome && <OutcomeNote outcome={outcome} index={index} />}
          <ProductHistory productId={productId} />
        </>
      )}
    </aside>
  );
}

function names(index: CategoryIndex | undefined, refs: CategoryRef[]) {
  return refs.map((ref) => index?.byId.get(ref.id)?.path ?? ref.name).join('; ');
}

function OutcomeNote({ outcome, index }: { outcome: Outcome; index: CategoryIndex | undefined }) {
  return (
    <div className="callout callout-success" role="status" data-testid="assign-outcome">
      {outcome.kind === 'assigned' ? (
        <>
          <p>
            <strong>Assigned:</strong>{' '}
            {outcome.added.length > 0 ? names(index, outcome.added) : 'nothing new'}
          </p>
          {outcome.ancestors.length > 0 && (
            <p>
              <strong>Parents added too:</strong> {names(index, outcome.ancestors)}
            </p>
          )}
          {outcome.already.length > 0 && (
            <p>
              <strong>Already assigned:</strong> {names(index, outcome.already)}
            </p>
          )}
        </>
      ) : (
        <>
          <p>
            <strong>Removed:</strong> {names(index, outcome.removed)}
          </p>
          {outcome.descendants.length > 0 && (
            <p>
              <strong>Subcategories removed too:</strong> {names(index, outcome.descendants)}
            </p>
          )}
        </>
      )}
    </div>
  );
}

/** What someone else changed (before → now), and the two ways on. */
function ConflictNotice({
  conflict,
  index,
  onReapply,
  onKeepTheirs,
}: {
  conflict: EditConflict;
  index: CategoryIndex | undefined;
  onReapply: () => void;
  onKeepTheirs: () => void;
}) {
  const beforeIds = new Set(conflict.before.map((category) => category.id));
  const now = conflict.current.categories;
  const nowIds = new Set(now.map((category) => category.id));
  const pathOf = (ref: CategoryRef & { path?: string }) =>
    index?.byId.get(ref.id)?.path ?? ref.path ?? ref.name;
  const mine =
    conflict.change.kind === 'assign'
      ? `assign ${names(
          index,
          conflict.change.categoryIds.map((id) => ({ id, name: String(id), level: 1 })),
        )}`
      : `remove ${names(index, [{ id: conflict.change.categoryId, name: String(conflict.change.categoryId), level: 1 }])}`;
  const chips = (refs: (CategoryRef & { path?: string })[], mark: (id: number) => string) =>
    refs.length === 0 ? (
      <span className="muted">no categories</span>
    ) : (
      <ul className="path-chips">
        {refs.map((ref) => (
          <li key={ref.id} className={`path-chip level-${ref.level} ${mark(ref.id)}`}>
            <span className="path-text">{pathOf(ref)}</span>
          </li>
        ))}
      </ul>
    );
  return (
    <div
      className="callout callout-warning"
      role="alert"
      aria-labelledby="conflict-title"
      data-testid="conflict-notice"
    >
      <p id="conflict-title">
        <strong>Someone else changed this product after you opened it.</strong> Your change ({mine})
        was not applied.
      </p>
      <div data-testid="conflict-before">
        <p className="field-hint">Before (what you saw):</p>
        {chips(conflict.before, (id) => (nowIds.has(id) ? '' : 'chip-removed'))}
      </div>
      <div data-testid="conflict-now">
        <p className="field-hint">Now:</p>
        {chips(now, (id) => (beforeIds.has(id) ? '' : 'chip-added'))}
      </div>
      <div className="button-row">
        <button type="button" className="button button-primary" onClick={onReapply}>
          Re-apply my change
        </button>{' '}
        <button type="button" className="button" onClick={onKeepTheirs}>
          Keep theirs
        </button>
      </div>
    </div>
  );
}
