/**
 * The work queue (/queue): one product at a time from a filter ("uncategorised" by default),
 * keyboard first. `1`–`9` tick a suggestion, `/` finds any category by part of its path,
 * `Enter` assigns the ticked categories and shows the next product, `s` skips, `j`/`k` next and
 * previous, `u` undoes the last assignment. Every key has a button. The server leases the
 * shown product to this browser tab (its operator id), so two operators never see the same one.
 */
import type { CategoryWithPath, ProductDetail, QueueNext, Suggestion } from '@tag-manager/contract';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, ApiError, type QueueParams } from '../../api/client';
import { useLiveState } from '../../api/live-updates';
import { useCatalogValues, useCategoryTree } from '../../api/queries';
import { matchCategories, type CategoryIndex, type CategoryNode } from '../../lib/category-index';
import { isTypingTarget } from '../../lib/shortcuts';
import type { UpdateState, WorkspaceState } from '../../lib/url-state';
import './queue.css';

const SUGGESTION_LIMIT = 9;
const OPERATOR_KEY = 'tag-manager.queue-operator';
const numberFormat = new Intl.NumberFormat('en');

/** This tab's operator id: one per browser tab (sessionStorage), so two tabs are two operators. */
export function operatorId(): string {
  let id = window.sessionStorage.getItem(OPERATOR_KEY);
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    const bytes = new Uint8Array(12);
    crypto.getRandomValues(bytes);
    id = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
    window.sessionStorage.setItem(OPERATOR_KEY, id);
  }
  return id;
}

/** The queue's API filters from the URL state: uncategorised unless "incomplete" is chosen. */
export function queueFilters(state: WorkspaceState): Omit<QueueParams, 'operator'> {
  const filters: Omit<QueueParams, 'operator'> = {
    hide_allocated: !state.incomplete,
    incomplete: state.incomplete ? true : undefined,
  };
  if (state.vendor) filters.vendor = state.vendor;
  if (state.product_type) filters.product_type = state.product_type;
  if (state.search?.trim()) filters.search = state.search.trim();
  return filters;
}

/** A product shown in this sitting, and the `after` that fetched it from the queue. */
interface Shown {
  productId: string;
  after: string | undefined;
}

/** A product of the sitting shown again with k: read as it is now, not leased, maybe done. */
interface Review {
  /** Its place in the sitting's history. */
  position: number;
  product: ProductDetail;
}

/** "N left" or, when the server estimated the count, "about N left". */
export function remainingText(remaining: number, estimated: boolean): string {
  return `${estimated ? 'about ' : ''}${numberFormat.format(remaining)} left`;
}

/** "about 40 min" from the time spent per product so far. */
export function paceText(done: number, left: number, elapsedMs: number): string | null {
  if (done === 0 || left === 0) return null;
  const minutes = Math.round(((elapsedMs / done) * left) / 60_000);
  if (minutes < 1) return 'under a minute at this pace';
  if (minutes < 120) return `about ${minutes} min at this pace`;
  return `about ${numberFormat.format(Math.round(minutes / 60))} h at this pace`;
}

interface LastAssignment {
  productId: string;
  /** The after cursor that shows the product again; null: it was assigned while reviewed (k). */
  after: string | undefined | null;
  /** The categories the assignment added (with its ancestors), topmost first. */
  added: number[];
  names: string[];
}

interface Props {
  state: WorkspaceState;
  update: UpdateState;
}

export function QueueView({ state, update }: Props) {
  const operator = useMemo(operatorId, []);
  const filters = useMemo(() => queueFilters(state), [state]);
  const filterKey = JSON.stringify(filters);
  const { index } = useCategoryTree();

  const [answer, setAnswer] = useState<QueueNext | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  /**
   * Every product the queue showed in this sitting, oldest first: k walks back through it, to
   * the products just categorised or skipped too (which the queue itself no longer offers).
   */
  const [history, setHistory] = useState<Shown[]>([]);
  const [review, setReview] = useState<Review | null>(null);
  const [suggestions, setSuggestions] = useState<Suggestion[] | null>(null);
  const [ticked, setTicked] = useState<Map<number, string>>(new Map());
  const [finder, setFinder] = useState(false);
  const [last, setLast] = useState<LastAssignment | null>(null);
  const [sitting, setSitting] = useState({ done: 0, started: Date.now() });
  const [busy, setBusy] = useState(false);
  const busyRef = useRef(false);

  const load = useCallback(
    async (after: string | undefined, mode: 'forward' | 'again') => {
      setLoading(true);
      setError(null);
      try {
        const envelope = await api.queueNext({ ...filters, operator, after });
        const next = envelope.data;
        setAnswer(next);
        setReview(null);
        setTicked(new Map());
        setFinder(false);
        const shown = next.product ? { productId: next.product.product_id, after } : null;
        setHistory((current) => {
          if (!shown) return current;
          if (mode === 'again') {
            // Shown again (after an undo): the sitting goes on from it.
            const at = current.findLastIndex((entry) => entry.productId === shown.productId);
            if (at >= 0) return [...current.slice(0, at), shown];
          }
          return current.at(-1)?.productId === shown.productId ? current : [...current, shown];
        });
        if (next.released && !next.released.matches_filter) {
          setNotice(
            `${next.released.product_id} was categorised meanwhile and left the queue: nothing was changed.`,
          );
        }
      } catch (caught) {
        setError(caught instanceof ApiError ? caught.message : 'The queue could not be loaded');
      } finally {
        setLoading(false);
      }
    },
    // filterKey stands for filters (a new object each render, the same queue).
    [filterKey, operator],
  );

  // Live updates: whoever categorises products, the remaining count follows. For the default
  // queue (uncategorised only) it is the event's catalog count; for another filter it is
  // counted again, at most once a second.
  const { lastEvent } = useLiveState();
  const recount = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    if (!lastEvent || !lastEvent.effects.some((effect) => effect !== 'taxonomy')) return;
    const only = Object.entries(filters).filter(([, value]) => value !== undefined);
    if (only.length === 1 && filters.hide_allocated === true) {
      const remaining = lastEvent.catalog.uncategorized_products;
      setAnswer((current) =>
        current ? { ...current, remaining, remaining_estimated: false } : current,
      );
      return;
    }
    if (recount.current) return;
    recount.current = setTimeout(() => {
      recount.current = undefined;
      void api
        .listProducts({ ...filters, limit: 1 })
        .then((page) => {
          const remaining = page.pagination.total_items;
          const remaining_estimated = page.metadata.count_estimated;
          setAnswer((current) =>
            current ? { ...current, remaining, remaining_estimated } : current,
          );
        })
        .catch(() => undefined);
    }, 1000);
    // filterKey stands for filters (a new object each render, the same queue).
  }, [lastEvent, filterKey]);
  useEffect(() => () => clearTimeout(recount.current), []);

  // A new filter starts the queue over (and a new sitting).
  useEffect(() => {
    setHistory([]);
    setReview(null);
    setLast(null);
    setSitting({ done: 0, started: Date.now() });
    void load(undefined, 'forward');
  }, [load]);

  // Leaving the queue (another view, or closing the tab) gives the lease up, so the product is
  // free at once for others instead of at the lease's end.
  useEffect(() => {
    const onPageHide = () => void api.queueRelease(operator, true).catch(() => undefined);
    window.addEventListener('pagehide', onPageHide);
    return () => {
      window.removeEventListener('pagehide', onPageHide);
      void api.queueRelease(operator).catch(() => undefined);
    };
  }, [operator]);

  const live = answer?.product ?? null;
  const product = review ? review.product : live;
  const productId = product?.product_id ?? null;

  // Suggestions for the shown product; none (not an error) when the engine is not there.
  useEffect(() => {
    setSuggestions(null);
    if (!productId) return;
    const controller = new AbortController();
    api
      .getSuggestions(productId, SUGGESTION_LIMIT, controller.signal)
      .then((envelope) => setSuggestions(envelope.data.suggestions.slice(0, SUGGESTION_LIMIT)))
      .catch(() => {
        if (!controller.signal.aborted) setSuggestions([]);
      });
    return () => controller.abort();
  }, [productId]);

  const currentAfter = history.at(-1)?.after;
  /** The history's place of the live product (its newest entry), or past the end without one. */
  const newestShown = live ? history.length - 1 : history.length;

  const toggle = useCallback((id: number, name: string) => {
    setTicked((current) => {
      const next = new Map(current);
      if (next.has(id)) next.delete(id);
      else next.set(id, name);
      return next;
    });
  }, []);

  const run = useCallback(async (work: () => Promise<void>) => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    try {
      await work();
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  }, []);

  const assign = useCallback(
    () =>
      run(async () => {
        if (!product || !answer || ticked.size === 0) {
          if (product) setNotice('Tick a suggestion (1–9) or find a category (/) first.');
          return;
        }
        setNotice(null);
        try {
          const result = await api.assignCategories(product.product_id, [...ticked.keys()]);
          const added = [...result.data.ancestors_added, ...result.data.added].sort(
            (a, b) => a.level - b.level,
          );
          setLast({
            productId: product.product_id,
            after: review ? null : currentAfter,
            added: added.map((ref) => ref.id),
            names: [...ticked.values()],
          });
          if (!review || review.product.categories.length === 0) {
            setSitting((current) => ({ ...current, done: current.done + 1 }));
          }
          if (review) {
            // A correction: on to the product after it in the sitting (or back to the queue).
            await showFrom(review.position + 1);
            return;
          }
          await load(answer.cursor ?? undefined, 'forward');
        } catch (caught) {
          setError(caught instanceof ApiError ? caught.message : 'The assignment failed');
        }
      }),
    // showFrom (declared below) reads history and review, listed here.
    [answer, currentAfter, history, load, product, review, run, ticked],
  );

  /**
   * Shows the sitting's product at `position` as it is now (k, and j back towards the queue);
   * at the live product's place (or past the history) the queue's own product again.
   */
  async function showFrom(position: number) {
    const entry = history[position];
    if (position >= newestShown || !entry) {
      setReview(null);
      setTicked(new Map());
      setFinder(false);
      return;
    }
    try {
      const envelope = await api.getProduct(entry.productId);
      setReview({ position, product: envelope.data });
      setTicked(new Map());
      setFinder(false);
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : 'The product could not be loaded');
    }
  }

  const skip = useCallback(
    () =>
      run(async () => {
        setNotice(null);
        if (review) await showFrom(review.position + 1);
        else if (answer?.cursor) await load(answer.cursor, 'forward');
      }),
    // showFrom reads history and review, listed here.
    [answer, history, load, review, run],
  );

  const canGoBack = (review ? review.position : newestShown) > 0;
  const previous = useCallback(
    () =>
      run(async () => {
        setNotice(null);
        const position = review ? review.position - 1 : newestShown - 1;
        if (position < 0) return;
        await showFrom(position);
      }),
    // showFrom reads history and review, listed here.
    [history, newestShown, review, run],
  );

  const undo = useCallback(
    () =>
      run(async () => {
        if (!last) return;
        try {
          // Removing the topmost added category removes the added ones below it.
          const added = new Set(last.added);
          const tops = last.added.filter((id) => {
            const parent = index?.byId.get(id)?.parent_id;
            return parent === null || parent === undefined || !added.has(parent);
          });
          for (const id of tops) await api.removeCategory(last.productId, id);
          setLast(null);
          setSitting((current) => ({ ...current, done: Math.max(0, current.done - 1) }));
          setNotice(`Undone: ${last.names.join(', ')} removed from ${last.productId}.`);
          if (last.after !== null) await load(last.after, 'again');
          else if (review?.product.product_id === last.productId) await showFrom(review.position);
        } catch (caught) {
          setError(caught instanceof ApiError ? caught.message : 'The undo failed');
        }
      }),
    // showFrom reads history and review, listed here.
    [history, index, last, load, review, run],
  );

  // The keys (not while typing: the finder's field has its own).
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.metaKey || event.ctrlKey || event.altKey) return;
      if (isTypingTarget(event.target)) return;
      const key = event.key;
      if (/^[1-9]$/.test(key)) {
        const suggestion = suggestions?.[Number(key) - 1];
        if (suggestion) {
          event.preventDefault();
          toggle(suggestion.category.id, suggestion.category.name);
        }
        return;
      }
      const action: Record<string, (() => void) | undefined> = {
        '/': () => setFinder(true),
        Enter: () => void assign(),
        s: () => void skip(),
        j: () => void skip(),
        k: () => void previous(),
        u: () => void undo(),
      };
      const handler = action[key.length === 1 ? key.toLowerCase() : key];
      if (!handler || !product) {
        // At the end of the queue: u undoes, k goes back to the products of this sitting.
        if (key.toLowerCase() === 'u' && last) {
          event.preventDefault();
          void undo();
        } else if (key.toLowerCase() === 'k' && canGoBack) {
          event.preventDefault();
          void previous();
        }
        return;
      }
      // Enter on a focused button or link is that control's own click.
      if (
        key === 'Enter' &&
        event.target instanceof HTMLElement &&
        event.target.closest('button, a')
      )
        return;
      event.preventDefault();
      handler();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [assign, canGoBack, last, previous, product, skip, suggestions, toggle, undo]);

  const left = answer?.remaining ?? 0;
  const leftEstimated = answer?.remaining_estimated ?? false;
  const pace = paceText(sitting.done, left, Date.now() - sitting.started);
  const description = product?.description;

  return (
    <div className="page queue-page">
      <div className="queue-head">
        <h1>Work queue</h1>
        <QueueFilters state={state} update={update} />
      </div>
      <p className="queue-progress" aria-live="polite">
        <strong>{numberFormat.format(sitting.done)} done</strong>,{' '}
        {remainingText(left, leftEstimated)}
        {pace ? `, ${pace}` : ''}
      </p>
      {answer && answer.operators.length > 0 && (
        <p className="queue-others">
          Also on this queue:{' '}
          {answer.operators.map((other) => `${other.name} (on ${other.product_id})`).join(', ')}
        </p>
      )}
      {notice && (
        <p className="callout callout-warning" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p className="callout callout-error" role="alert">
          {error}
        </p>
      )}
      {!product && !loading && !error && (
        <div className="empty-state">
          <p>
            <strong>Nothing left in this queue.</strong>
          </p>
          <p className="muted">
            No product matching these filters is waiting (those other operators hold are not shown).
          </p>
          {last && (
            <button type="button" className="button" onClick={() => void undo()}>
              Undo the last assignment <kbd>u</kbd>
            </button>
          )}
        </div>
      )}
      {review && (
        <p className="callout queue-review" role="status">
          Back to a product of this sitting{' '}
          {review.product.categories.length > 0 ? '(categorised)' : '(skipped)'}: tick and press{' '}
          <kbd>Enter</kbd> to add categories, <kbd>u</kbd> undoes your last assignment, <kbd>j</kbd>{' '}
          goes on towards the queue.
        </p>
      )}
      {product && (
        <div className="queue-card" aria-busy={loading || busy}>
          <section className="queue-product" aria-label="Product">
            {product.image_url ? (
              <img className="queue-image" src={product.image_url} alt="" />
            ) : (
              <div className="queue-image queue-image-none" aria-hidden="true" />
            )}
            <div className="queue-facts">
              <h2
                className="queue-name"
                data-testid="queue-product"
                data-handle={product.product_id}
              >
                {product.product_name}
              </h2>
              <p className="handle mono">{product.product_id}</p>
              <dl className="facts">
                <dt>Type</dt>
                <dd>{product.product_type ?? '—'}</dd>
                <dt>Vendor</dt>
                <dd>{product.vendor ?? '—'}</dd>
                <dt>SKU</dt>
                <dd className="mono">{product.sku ?? '—'}</dd>
                <dt>Tags</dt>
                <dd>{product.tags.length > 0 ? product.tags.join(', ') : '—'}</dd>
                <dt>Categories</dt>
                <dd>
                  {product.categories.length > 0
                    ? product.categories
                        .map((category: CategoryWithPath) => category.path)
                        .join('; ')
                    : 'none yet'}
                </dd>
              </dl>
              {description && <p className="queue-description">{description.slice(0, 300)}</p>}
            </div>
          </section>
          <section className="queue-choices" aria-label="Categories to assign">
            <h3 className="section-title">Suggestions</h3>
            {suggestions === null ? (
              <p className="muted">Looking for suggestions…</p>
            ) : suggestions.length === 0 ? (
              <p className="muted">No suggestions for this product: find a category with /.</p>
            ) : (
              <ol className="queue-suggestions">
                {suggestions.map((suggestion, position) => (
                  <li key={suggestion.category.id}>
                    <label className="queue-suggestion">
                      <input
                        type="checkbox"
                        checked={ticked.has(suggestion.category.id)}
                        onChange={() => toggle(suggestion.category.id, suggestion.category.name)}
                      />
                      <kbd>{position + 1}</kbd>
                      <span className="queue-suggestion-text">
                        <span>{suggestion.category.path}</span>
                        <span className="muted">
                          {Math.round(suggestion.score * 100)}%
                          {suggestion.reasons[0] ? ` · ${suggestion.reasons[0].text}` : ''}
                        </span>
                      </span>
                    </label>
                  </li>
                ))}
              </ol>
            )}
            {finder && index ? (
              <CategoryFinder
                index={index}
                onPick={(node) => {
                  setTicked((current) => new Map(current).set(node.id, node.name));
                  setFinder(false);
                }}
                onClose={() => setFinder(false)}
              />
            ) : (
              <button type="button" className="button button-small" onClick={() => setFinder(true)}>
                Find a category <kbd>/</kbd>
              </button>
            )}
            {ticked.size > 0 && (
              <p className="queue-ticked">To assign: {[...ticked.values()].join(', ')}</p>
            )}
            <div className="queue-actions">
              <button
                type="button"
                className="button button-primary"
                disabled={ticked.size === 0 || busy}
                onClick={() => void assign()}
              >
                Assign and next <kbd>Enter</kbd>
              </button>
              <button type="button" className="button" disabled={busy} onClick={() => void skip()}>
                Skip <kbd>s</kbd>
              </button>
              <button
                type="button"
                className="button"
                disabled={busy || !canGoBack}
                onClick={() => void previous()}
              >
                Previous <kbd>k</kbd>
              </button>
              <button
                type="button"
                className="button"
                disabled={busy || !last}
                onClick={() => void undo()}
              >
                Undo <kbd>u</kbd>
              </button>
            </div>
            <p className="muted queue-keys">
              Keys: <kbd>1</kbd>–<kbd>9</kbd> tick, <kbd>/</kbd> find, <kbd>Enter</kbd> assign,{' '}
              <kbd>s</kbd> skip, <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>u</kbd> undo,{' '}
              <kbd>?</kbd> all keys
            </p>
          </section>
        </div>
      )}
    </div>
  );
}

/** `/`: type any part of a category's path; ↑ ↓ choose, Enter ticks, Esc closes. */
function CategoryFinder({
  index,
  onPick,
  onClose,
}: {
  index: CategoryIndex;
  onPick: (node: CategoryNode) => void;
  onClose: () => void;
}) {
  const [text, setText] = useState('');
  const [active, setActive] = useState(0);
  const hits = useMemo(() => matchCategories(index, text), [index, text]);
  const chosen = hits[Math.min(active, hits.length - 1)];
  return (
    <div className="queue-finder">
      <input
        className="input"
        autoFocus
        role="combobox"
        aria-expanded={hits.length > 0}
        aria-controls="queue-finder-list"
        aria-activedescendant={chosen ? `queue-finder-${chosen.id}` : undefined}
        aria-label="Find a category by any part of its path"
        placeholder="Find a category…"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setActive(0);
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') {
            event.preventDefault();
            setActive((current) => Math.min(current + 1, Math.max(0, hits.length - 1)));
          } else if (event.key === 'ArrowUp') {
            event.preventDefault();
            setActive((current) => Math.max(0, current - 1));
          } else if (event.key === 'Enter') {
            event.preventDefault();
            if (chosen) onPick(chosen);
          } else if (event.key === 'Escape') {
            event.preventDefault();
            onClose();
          }
        }}
        onBlur={() => {
          if (!text) onClose();
        }}
      />
      {hits.length > 0 && (
        <ul className="queue-finder-list" id="queue-finder-list" role="listbox">
          {hits.map((node) => (
            <li
              key={node.id}
              id={`queue-finder-${node.id}`}
              role="option"
              aria-selected={node === chosen}
              onMouseDown={(event) => {
                event.preventDefault();
                onPick(node);
              }}
            >
              {node.path}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** The queue's filter: uncategorised (default) or incomplete, narrowed by vendor, type, search. */
function QueueFilters({ state, update }: Props) {
  const vendors = useCatalogValues('vendor');
  const types = useCatalogValues('product_type');
  const [search, setSearch] = useState(state.search ?? '');
  useEffect(() => setSearch(state.search ?? ''), [state.search]);
  return (
    <form
      className="queue-filters"
      aria-label="Queue filter"
      onSubmit={(event) => {
        event.preventDefault();
        update({ search: search.trim() || undefined }, { replace: true });
      }}
    >
      <label className="filter">
        <span>Queue</span>
        <select
          className="input"
          value={state.incomplete ? 'incomplete' : 'uncategorised'}
          onChange={(event) =>
            update({ incomplete: event.target.value === 'incomplete' }, { replace: true })
          }
        >
          <option value="uncategorised">Uncategorised</option>
          <option value="incomplete">Incomplete (subcategory missing)</option>
        </select>
      </label>
      <ValueFilter
        label="Vendor"
        value={state.vendor}
        values={vendors.data?.data}
        onChange={(vendor) => update({ vendor }, { replace: true })}
      />
      <ValueFilter
        label="Type"
        value={state.product_type}
        values={types.data?.data}
        onChange={(product_type) => update({ product_type }, { replace: true })}
      />
      <label className="filter">
        <span>Search</span>
        <input
          className="input"
          type="search"
          value={search}
          onChange={(event) => setSearch(event.target.value)}
          onBlur={() => update({ search: search.trim() || undefined }, { replace: true })}
        />
      </label>
    </form>
  );
}

/** A filter over the catalog's values (vendors, types): "Any", then each value. */
function ValueFilter({
  label,
  value,
  values,
  onChange,
}: {
  label: string;
  value: string | undefined;
  values: { value: string }[] | undefined;
  onChange: (value: string | undefined) => void;
}) {
  return (
    <label className="filter">
      <span>{label}</span>
      <select
        className="input"
        value={value ?? ''}
        onChange={(event) => onChange(event.target.value || undefined)}
      >
        <option value="">Any</option>
        {values?.map((entry) => (
          <option key={entry.value} value={entry.value}>
            {entry.value}
          </option>
        ))}
      </select>
    </label>
  );
}
