/**
 * The operator's main screen: category tree | filters, bulk bar, product table, pagination |
 * product panel. Filters, sort, page, page size and the open product live in the URL.
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import {
  ProductFilterFields,
  type Category,
  type ProductListMetadata,
} from '@tag-manager/contract';
import { searchKind } from '@tag-manager/contract/search';
import {
  insertTreeCategory,
  useCatalogValues,
  useCategoryTree,
  useProductList,
} from '../../api/queries';
import { ApiError } from '../../api/client';
import { ExportLink } from '../../components/ExportLink';
import { Pagination } from '../../components/Pagination';
import { SidebarResizer, useSidebarWidth } from '../../components/SidebarResizer';
import { useToasts } from '../../components/Toasts';
import type { CategoryNode } from '../../lib/category-index';
import { useDebouncedCallback } from '../../lib/debounce';
import { describeLoadError } from '../../lib/error-handler';
import { pasteWhole, tooLongMessage } from '../../lib/length-limit';
import { searchHintFor } from '../../lib/search-hint';
import { useMediaQuery } from '../../lib/media-query';
import { isTypingTarget } from '../../lib/shortcuts';
import {
  CLEARED_FILTERS,
  PAGE_SIZES,
  PRODUCT_SORT_OPTIONS,
  PRODUCT_STATUS_OPTIONS,
  previousPage,
  rememberPageCursor,
  toFilterParams,
  toListParams,
  type UpdateState,
  type WorkspaceState,
} from '../../lib/url-state';
import { CategoryTree } from '../categories/CategoryTree';
import { CreateCategoryDialog } from '../categories/CreateCategoryDialog';
import { DeleteCategoryDialog } from '../categories/DeleteCategoryDialog';
import { RestructureDialog, type RestructureMode } from '../categories/RestructureDialog';
import { BulkActions } from './BulkActions';
import { ProductPanel } from './ProductPanel';
import { ProductTable, TableSkeleton } from './ProductTable';
import { CategorySelect } from '../../components/CategorySelect';

/** The search's limit, from the contract (the server refuses a longer one). */
const SEARCH_MAX_LENGTH = (ProductFilterFields.search as { maxLength?: number }).maxLength ?? 200;
const numberFormat = new Intl.NumberFormat('en');

interface WorkspaceProps {
  state: WorkspaceState;
  update: UpdateState;
}

export function ProductsWorkspace({ state, update }: WorkspaceProps) {
  const queryClient = useQueryClient();
  const { show } = useToasts();
  const listParams = useMemo(() => toListParams(state), [state]);
  const products = useProductList(listParams, { prefetchNext: true });
  const tree = useCategoryTree();
  const index = tree.index;

  const [selectedProducts, setSelectedProducts] = useState<Set<string>>(() => new Set());
  const [selectedCategories, setSelectedCategories] = useState<Set<number>>(() => new Set());
  const [creating, setCreating] = useState<{ parentId: number | null } | null>(null);
  const [deleting, setDeleting] = useState<CategoryNode | null>(null);
  const [restructuring, setRestructuring] = useState<{
    node: CategoryNode;
    mode: RestructureMode;
    targetId: number | null;
  } | null>(null);
  const [revealId, setRevealId] = useState<number | null>(null);
  const forgetReveal = useCallback(() => setRevealId(null), []);
  const anchor = useRef<number | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  // Layout (issue 11): the tree's width, and whether its drawer is open on narrow screens.
  const [treeWidth, setTreeWidth] = useSidebarWidth();
  const [treeOpen, setTreeOpen] = useState(false);
  const treeToggleRef = useRef<HTMLButtonElement>(null);
  // What covers the list (breakpoints as in styles.css): the open tree drawer, or the product
  // panel on a phone. What is covered is made inert, so Tab and screen readers stay in front.
  const narrow = useMediaQuery('(max-width: 899.98px)');
  const medium = useMediaQuery('(max-width: 1199.98px)');
  const phone = useMediaQuery('(max-width: 639.98px)');
  const listCovered =
    (treeOpen && (narrow || (medium && state.product !== null))) ||
    (phone && state.product !== null);
  const restoreTreeFocus = useRef(false);
  const closeTree = useCallback(() => {
    restoreTreeFocus.current = true;
    setTreeOpen(false);
  }, []);
  // After the render that opened or closed the drawer (the list is no longer inert by then).
  useEffect(() => {
    if (treeOpen)
      document.querySelector<HTMLElement>('.workspace-tree [role="tree"] [tabindex="0"]')?.focus();
    else if (restoreTreeFocus.current) {
      restoreTreeFocus.current = false;
      treeToggleRef.current?.focus();
    }
  }, [treeOpen]);
  // Closing the product panel gives focus back to the product's row when it was in the panel.
  const lastProduct = useRef(state.product);
  useEffect(() => {
    const previous = lastProduct.current;
    lastProduct.current = state.product;
    if (!previous || state.product) return;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    [...document.querySelectorAll<HTMLElement>('tr[data-product-id]')]
      .find((row) => row.dataset.productId === previous)
      ?.querySelector<HTMLElement>('.product-link')
      ?.focus();
  }, [state.product]);

  const rows = products.data?.data ?? [];
  const pagination = products.data?.pagination;

  // A page beyond the end, or left empty (after a write or a filter shrank the list), moves to
  // the last page, by offset. A page reached by cursor takes the page number the server gives.
  useEffect(() => {
    if (!pagination || products.isPlaceholderData) return;
    const last = Math.max(1, pagination.total_pages);
    if (state.page > last || (state.page > 1 && rows.length === 0)) {
      update({ page: last, after: null }, { replace: true });
    } else if (state.after && pagination.page !== state.page) {
      update({ page: pagination.page, after: state.after }, { replace: true });
    }
  }, [pagination, products.isPlaceholderData, rows.length, state.page, state.after, update]);

  // A cursor the server refuses (a link edited by hand, filters changed under it): the same
  // page by offset instead.
  const refusedCursor =
    products.error instanceof ApiError && products.error.status === 422 && state.after !== null;
  useEffect(() => {
    if (refusedCursor) update({ after: null }, { replace: true });
  }, [refusedCursor, update]);

  // The cursor of each page seen, for "Previous".
  useEffect(() => rememberPageCursor(state), [state]);

  // Products that a write took out of the list on screen (its refetch no longer has them) are
  // no longer selected: they cannot be seen, so they must not ride along in the next bulk write.
  const shown = useRef<{ key: string; ids: string[] }>({ key: '', ids: [] });
  const [bulkResultShown, setBulkResultShown] = useState(false);
  // "Select all N matching" (issue 13): the selection is the filter itself, as long as the
  // filter stays the same and every row of the page stays ticked.
  const [matchingKey, setMatchingKey] = useState<string | null>(null);
  const listKey = JSON.stringify(listParams);
  useEffect(() => {
    if (!products.data || products.isPlaceholderData) return;
    const ids = products.data.data.map((product) => product.product_id);
    const before = shown.current;
    shown.current = { key: listKey, ids };
    if (before.key !== listKey) return;
    const kept = new Set(ids);
    const gone = before.ids.filter((id) => !kept.has(id));
    if (gone.length === 0) return;
    setSelectedProducts((current) => {
      if (!gone.some((id) => current.has(id))) return current;
      const next = new Set(current);
      for (const id of gone) next.delete(id);
      return next;
    });
  }, [products.data, products.isPlaceholderData, listKey]);

  /**
   * Next continues right after the last product of the page shown (its keyset cursor), so
   * products that left the filter meanwhile shift nothing; Previous returns to the cursor it
   * came from. Any other page (none today) goes by offset.
   */
  const goToPage = useCallback(
    (target: number) => {
      anchor.current = null;
      const current = pagination?.page ?? state.page;
      if (target === current + 1 && pagination?.next_cursor) {
        update({ page: target, after: pagination.next_cursor });
      } else if (target === current - 1) {
        update(previousPage({ ...state, page: current }));
      } else {
        update({ page: target, after: null });
      }
    },
    [pagination, state, update],
  );

  const toggleCategory = useCallback((id: number) => {
    setSelectedCategories((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  }, []);

  const toggleRow = (position: number, shiftKey: boolean) => {
    const product = rows[position];
    if (!product) return;
    const from = anchor.current;
    setSelectedProducts((current) => {
      const next = new Set(current);
      const select = !current.has(product.product_id);
      if (shiftKey && from !== null) {
        const anchorProduct = rows[from];
        const rangeSelect = anchorProduct ? current.has(anchorProduct.product_id) : true;
        for (const row of rows.slice(Math.min(from, position), Math.max(from, position) + 1)) {
          if (rangeSelect) next.add(row.product_id);
          else next.delete(row.product_id);
        }
      } else if (select) {
        next.add(product.product_id);
      } else {
        next.delete(product.product_id);
      }
      return next;
    });
    anchor.current = position;
  };

  const selectPage = useCallback(
    (select: boolean) =>
      setSelectedProducts((current) => {
        const next = new Set(current);
        for (const row of rows) {
          if (select) next.add(row.product_id);
          else next.delete(row.product_id);
        }
        return next;
      }),
    [rows],
  );

  const changeFilters = (change: Partial<WorkspaceState>, replace = false) => {
    anchor.current = null;
    update({ ...change, page: 1, after: null }, { replace });
  };

  const onCreated = (category: Category) => {
    insertTreeCategory(queryClient, category);
    setCreating(null);
    setRevealId(category.id);
    show({
      kind: 'success',
      title: `Created “${category.name}”`,
      message: category.path,
      topic: 'category.create',
    });
  };

  const filterParams = useMemo(() => toFilterParams(state), [state]);
  const filtered = Object.keys(filterParams).some((key) => key !== 'sort');
  const clearFilters = () => changeFilters(CLEARED_FILTERS);
  const loadError = products.isError ? describeLoadError(products.error) : null;
  // What the export holds: the list's filters, so the label says how many products. The
  // counts of the last answer for these filters are kept while another page loads.
  const filterKey = JSON.stringify(filterParams);
  const counted = useRef<{ key: string; metadata: ProductListMetadata } | null>(null);
  if (products.data && !products.isPlaceholderData) {
    counted.current = { key: filterKey, metadata: products.data.metadata };
  }
  const exportCount = counted.current?.key === filterKey ? counted.current.metadata : undefined;
  const allOnPage = rows.length > 0 && rows.every((row) => selectedProducts.has(row.product_id));
  const matchingCount = exportCount?.filtered_products ?? 0;
  const selectingMatching = matchingKey === filterKey && allOnPage && exportCount !== undefined;
  const offerMatching =
    !selectingMatching && allOnPage && exportCount !== undefined && matchingCount > rows.length;
  const bulkFilter = { ...filterParams };
  delete bulkFilter.sort;
  const clearSelection = () => {
    setMatchingKey(null);
    setSelectedProducts(new Set());
  };
  const exportLabel = !exportCount
    ? 'Export CSV'
    : filtered
      ? `Export CSV (current filter: ${exportCount.count_estimated ? 'about ' : ''}${numberFormat.format(exportCount.filtered_products)} products)`
      : `Export CSV (all ${numberFormat.format(exportCount.total_products)} products)`;

  // Page shortcuts; the tree and dialogs handle their own keys.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (
        event.defaultPrevented ||
        event.ctrlKey ||
        event.metaKey ||
        event.altKey ||
        isTypingTarget(event.target)
      )
        return;
      if (
        (event.target as HTMLElement | null)?.closest?.('[role="tree"]') &&
        event.key !== 'Escape'
      ) {
        if (!['/', 'n', 'p', 'c', 'a', 'x'].includes(event.key)) return;
      }
      const run = (action: () => void) => {
        event.preventDefault();
        action();
      };
      switch (event.key) {
        case '/':
          return run(() => searchRef.current?.focus());
        case 'n':
          return pagination?.has_next && run(() => goToPage(pagination.page + 1));
        case 'p':
          return pagination?.has_previous && run(() => goToPage(pagination.page - 1));
        case 'c':
          return index && run(() => setCreating({ parentId: null }));
        case 't':
          return run(() => {
            const item = document.querySelector<HTMLElement>('[role="tree"] [tabindex="0"]');
            item?.focus();
            // In its drawer (narrow screens) the tree is hidden until opened.
            if (item && document.activeElement !== item) setTreeOpen(true);
          });
        case 'x':
          return run(() => selectPage(!rows.every((row) => selectedProducts.has(row.product_id))));
        case 'a':
          return run(() =>
            document
              .querySelector<HTMLButtonElement>(
                state.product ? '[data-testid="assign-selected"]' : '[data-testid="bulk-assign"]',
              )
              ?.click(),
          );
        case 'Escape':
          if (treeOpen) return run(closeTree);
          return state.product && run(() => update({ product: null }));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [
    pagination,
    goToPage,
    state.product,
    update,
    index,
    rows,
    selectedProducts,
    selectPage,
    treeOpen,
    closeTree,
  ]);

  return (
    <div
      className={`workspace${state.product ? ' with-panel' : ''}${treeOpen ? ' tree-open' : ''}`}
      style={{ '--tree-width': `${treeWidth}px` } as React.CSSProperties}
    >
      {treeOpen && (
        <button
          type="button"
          className="drawer-backdrop"
          aria-label="Close categories"
          tabIndex={-1}
          onClick={closeTree}
        />
      )}
      <div className="workspace-tree" id="workspace-tree">
        <div className="drawer-bar">
          <button type="button" className="button button-small" onClick={closeTree}>
            Close <kbd>Esc</kbd>
          </button>
        </div>
        {index ? (
          <CategoryTree
            index={index}
            selected={selectedCategories}
            onToggle={toggleCategory}
            onClearSelection={() => setSelectedCategories(new Set())}
            filterCategoryId={state.category_id ?? null}
            onFilter={(id) => changeFilters({ category_id: id ?? undefined })}
            onCreate={(parentId) => setCreating({ parentId })}
            onDelete={setDeleting}
            onRestructure={(node, mode, targetId) =>
              setRestructuring({ node, mode, targetId: targetId ?? null })
            }
            revealId={revealId}
            onRevealed={forgetReveal}
          />
        ) : tree.isError ? (
          <p className="empty-state">The categories could not be loaded: {tree.error.message}</p>
        ) : (
          <div className="skeleton skeleton-block" aria-label="Loading categories" />
        )}
      </div>
      <SidebarResizer
        width={treeWidth}
        onChange={setTreeWidth}
        label="Resize categories"
        controls="workspace-tree"
      />

      <section className="workspace-main" aria-labelledby="products-title" inert={listCovered}>
        <div className="panel-header">
          <h1 id="products-title">Products</h1>
          <div className="products-actions">
            <button
              ref={treeToggleRef}
              type="button"
              className="button tree-toggle"
              aria-expanded={treeOpen}
              aria-controls="workspace-tree"
              onClick={() => (treeOpen ? closeTree() : setTreeOpen(true))}
              data-testid="tree-toggle"
            >
              Categories
            </button>
            <ExportLink className="button" filters={filterParams} testId="export-csv">
              {exportLabel}
            </ExportLink>
          </div>
        </div>
        <Filters state={state} onChange={changeFilters} index={index} searchRef={searchRef} />
        {(selectedProducts.size > 0 || bulkResultShown) && (
          <BulkActions
            productIds={[...selectedProducts]}
            categoryIds={[...selectedCategories]}
            index={index}
            matching={selectingMatching ? { filter: bulkFilter, count: matchingCount } : undefined}
            onClearSelection={clearSelection}
            onResultShown={setBulkResultShown}
          />
        )}
        {(offerMatching || selectingMatching) && (
          <p className="select-all-banner" data-testid="select-all-banner">
            {selectingMatching ? (
              <>
                <span>
                  All {exportCount?.count_estimated ? 'about ' : ''}
                  {numberFormat.format(matchingCount)} products matching{' '}
                  {filtered ? 'the filter' : 'the catalog'} are selected.
                </span>
                <button type="button" className="link-button" onClick={clearSelection}>
                  Clear selection
                </button>
              </>
            ) : (
              <>
                <span>
                  All {numberFormat.format(rows.length)} products on this page are selected.
                </span>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => setMatchingKey(filterKey)}
                  data-testid="select-all-matching"
                >
                  Select all {exportCount?.count_estimated ? 'about ' : ''}
                  {numberFormat.format(matchingCount)} matching
                </button>
              </>
            )}
          </p>
        )}
        {products.isError && !products.data ? (
          <div className="callout callout-error" role="alert">
            <p>The products could not be loaded: {loadError!.message}</p>
            {loadError!.retryable ? (
              <button type="button" className="button" onClick={() => void products.refetch()}>
                Try again
              </button>
            ) : (
              filtered && (
                <button type="button" className="button" onClick={clearFilters}>
                  Clear filters
                </button>
              )
            )}
          </div>
        ) : !products.data ? (
          <TableSkeleton rows={10} />
        ) : (
          <>
            <ProductTable
              products={rows}
              index={index}
              selected={selectedProducts}
              onToggle={toggleRow}
              onSelectPage={selectPage}
              openProductId={state.product}
              onOpen={(productId) => update({ product: productId })}
              loading={products.isFetching}
              onClearFilters={filtered ? clearFilters : undefined}
            />
            {pagination && (
              <Pagination
                pagination={pagination}
                totalProducts={products.data.metadata.total_products}
                estimated={products.data.metadata.count_estimated}
                pageSizes={PAGE_SIZES}
                busy={products.isPlaceholderData}
                onPageChange={goToPage}
                onPageSizeChange={(pageSize) => changeFilters({ pageSize })}
              />
            )}
          </>
        )}
      </section>

      {state.product && (
        <ProductPanel
          key={state.product}
          productId={state.product}
          index={index}
          selectedCategories={selectedCategories}
          onClose={() => update({ product: null })}
        />
      )}

      {creating && index && (
        <CreateCategoryDialog
          index={index}
          defaultParentId={creating.parentId}
          onClose={() => setCreating(null)}
          onCreated={onCreated}
        />
      )}
      {restructuring && index && (
        <RestructureDialog
          index={index}
          node={restructuring.node}
          mode={restructuring.mode}
          initialTargetId={restructuring.targetId}
          onClose={() => setRestructuring(null)}
          onDone={(result) => {
            // A merged category is gone: its tick and filter follow to the target.
            const gone = new Set(result.categories_deleted);
            if (gone.size === 0) return;
            setSelectedCategories((current) => new Set([...current].filter((id) => !gone.has(id))));
            if (state.category_id !== undefined && gone.has(state.category_id))
              changeFilters({ category_id: result.target_id });
          }}
        />
      )}
      {deleting && (
        <DeleteCategoryDialog
          node={deleting}
          onClose={() => setDeleting(null)}
          onDeleted={(id) => {
            setSelectedCategories((current) => {
              const next = new Set(current);
              next.delete(id);
              return next;
            });
            if (state.category_id === id) changeFilters({ category_id: undefined });
          }}
        />
      )}
    </div>
  );
}

interface FiltersProps {
  state: WorkspaceState;
  onChange: (change: Partial<WorkspaceState>, replace?: boolean) => void;
  index: ReturnType<typeof useCategoryTree>['index'];
  searchRef: React.RefObject<HTMLInputElement | null>;
}

function Filters({ state, onChange, index, searchRef }: FiltersProps) {
  const id = useId();
  const [search, setSearch] = useState(state.search ?? '');
  const [vendor, setVendor] = useState(state.vendor ?? '');
  const [tag, setTag] = useState(state.tag ?? '');
  const vendors = useCatalogValues('vendor').data?.data ?? [];
  const productTypes = useCatalogValues('product_type').data?.data ?? [];

  // The URL wins when it changes from outside (back/forward, a shared link).
  useEffect(() => setSearch(state.search ?? ''), [state.search]);
  useEffect(() => setVendor(state.vendor ?? ''), [state.vendor]);
  useEffect(() => setTag(state.tag ?? ''), [state.tag]);

  // A term without a letter or digit cannot be searched (the server answers 422): it is not
  // sent, and the hint below says why. Short terms are sent and match whole values.
  const applySearch = useDebouncedCallback((value: string) => {
    if (tooLongMessage('', value, SEARCH_MAX_LENGTH)) return; // said below, not sent
    if (searchKind(value.trim()) !== 'unsearchable' || value.trim() === '') {
      onChange({ search: value }, true);
    }
  }, 300);
  const changeSearch = (value: string) => {
    setSearch(value);
    applySearch(value);
  };
  const searchTooLong = tooLongMessage('A search', search, SEARCH_MAX_LENGTH);
  const searchHint = searchTooLong ?? searchHintFor(search.trim());
  const applyVendor = useDebouncedCallback(
    (value: string) => onChange({ vendor: value.trim() }, true),
    400,
  );
  const applyTag = useDebouncedCallback(
    (value: string) => onChange({ tag: value.trim() }, true),
    400,
  );

  return (
    <div className="filters" role="search" aria-label="Product filters">
      <div className="filter filter-search">
        <label htmlFor={`${id}-search`}>Search</label>
        <input
          ref={searchRef}
          id={`${id}-search`}
          type="search"
          placeholder="Name, SKU, vendor, type…  ( / )"
          value={search}
          maxLength={SEARCH_MAX_LENGTH}
          aria-invalid={searchTooLong ? true : undefined}
          aria-describedby={searchHint ? `${id}-search-hint` : undefined}
          onPaste={(event) => pasteWhole(event, SEARCH_MAX_LENGTH, changeSearch)}
          onChange={(event) => changeSearch(event.target.value)}
        />
        {searchHint && (
          <p id={`${id}-search-hint`} className="hint" role="status">
            {searchHint}
          </p>
        )}
      </div>
      <div className="filter">
        <label htmlFor={`${id}-vendor`}>Vendor</label>
        <input
          id={`${id}-vendor`}
          list={`${id}-vendors`}
          value={vendor}
          placeholder="Any vendor"
          onChange={(event) => {
            setVendor(event.target.value);
            applyVendor(event.target.value);
          }}
        />
        <datalist id={`${id}-vendors`}>
          {vendors.map(({ value, product_count }) => (
            <option key={value} value={value}>
              {`${value} (${product_count})`}
            </option>
          ))}
        </datalist>
      </div>
      <div className="filter">
        <label htmlFor={`${id}-product-type`}>Type</label>
        <select
          id={`${id}-product-type`}
          value={state.product_type ?? ''}
          onChange={(event) => onChange({ product_type: event.target.value || undefined })}
        >
          <option value="">Any type</option>
          {state.product_type !== undefined &&
            !productTypes.some(({ value }) => value === state.product_type) && (
              <option value={state.product_type}>{state.product_type}</option>
            )}
          {productTypes.map(({ value, product_count }) => (
            <option key={value} value={value}>
              {`${value} (${product_count})`}
            </option>
          ))}
        </select>
      </div>
      <div className="filter">
        <label htmlFor={`${id}-tag`}>Tag</label>
        <input
          id={`${id}-tag`}
          value={tag}
          placeholder="Any tag"
          onChange={(event) => {
            setTag(event.target.value);
            applyTag(event.target.value);
          }}
        />
      </div>
      <div className="filter">
        <label htmlFor={`${id}-status`}>Status</label>
        <select
          id={`${id}-status`}
          value={state.status ?? ''}
          onChange={(event) =>
            onChange({ status: (event.target.value || undefined) as WorkspaceState['status'] })
          }
        >
          <option value="">Any status</option>
          {PRODUCT_STATUS_OPTIONS.map((status) => (
            <option key={status} value={status}>
              {status[0]!.toUpperCase() + status.slice(1)}
            </option>
          ))}
        </select>
      </div>
      <div className="filter filter-category">
        <label htmlFor={`${id}-category`}>Category</label>
        <CategorySelect
          id={`${id}-category`}
          value={state.category_id}
          index={index}
          onChange={(categoryId) => onChange({ category_id: categoryId })}
        />
      </div>
      {state.category_id !== undefined && (
        <label className="filter-check">
          <input
            type="checkbox"
            checked={state.include_descendants}
            onChange={(event) => onChange({ include_descendants: event.target.checked })}
          />
          Include subcategories
        </label>
      )}
      <div className="filter">
        <label htmlFor={`${id}-sort`}>Sort</label>
        <select
          id={`${id}-sort`}
          value={state.sort}
          onChange={(event) => onChange({ sort: event.target.value as WorkspaceState['sort'] })}
        >
          {PRODUCT_SORT_OPTIONS.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      <label className="filter-check">
        <input
          type="checkbox"
          checked={state.hide_allocated}
          onChange={(event) => onChange({ hide_allocated: event.target.checked })}
          data-testid="hide-allocated"
        />
        Uncategorised only
      </label>
      <label
        className="filter-check"
        title="Assigned a category that has subcategories, but none of them"
      >
        <input
          type="checkbox"
          checked={state.incomplete === true}
          onChange={(event) => onChange({ incomplete: event.target.checked })}
        />
        Subcategory missing
      </label>
    </div>
  );
}
