/**
 * The category tree: all three levels from one request, colour-coded by level, with product
 * counts, a search that keeps the matches' ancestors visible, expand/collapse, and ticks that
 * select categories for assignment.
 *
 * Keyboard (WAI-ARIA tree pattern): ↑/↓ move, → expands or enters, ← collapses or goes to the
 * parent, Home/End, Space ticks, Enter filters the products by the category, F2 renames.
 * The actions (new, rename, move, merge, delete, filter) sit in a toolbar above the tree and act
 * on the focused category, so no control is nested inside a tree item.
 *
 * Restructuring (issue 14): a level 2 or 3 row can be dragged onto a category one level up to
 * move it there; "Move to…" and "Merge into…" in the toolbar are the keyboard way. Both open the
 * dialog that previews the change before anything is written (RestructureDialog).
 */
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { CATEGORY_NAME_MAX_LENGTH } from '@tag-manager/contract';
import { api } from '../../api/client';
import { queryKeys, renameTreeCategory } from '../../api/queries';
import {
  CategoryConflictNotice,
  staleCategory,
  useCategoryEtag,
  type CategoryConflict,
} from './category-conflict';
import type { CategoryIndex, CategoryNode } from '../../lib/category-index';
import { useErrorHandler } from '../../lib/error-handler';
import { pasteWhole, tooLongMessage } from '../../lib/length-limit';
import { useToasts } from '../../components/Toasts';

interface CategoryTreeProps {
  index: CategoryIndex;
  selected: ReadonlySet<number>;
  onToggle: (id: number) => void;
  onClearSelection: () => void;
  filterCategoryId: number | null;
  onFilter: (id: number | null) => void;
  onCreate: (parentId: number | null) => void;
  onDelete: (node: CategoryNode) => void;
  /** Move (or merge) `node`: opens the preview dialog, with the target when it was dropped on one. */
  onRestructure?: (node: CategoryNode, mode: 'move' | 'merge', targetId?: number) => void;
  /** A category to show (after it was created): its parents open, scrolled to, focused. */
  revealId?: number | null;
  /** Called once the revealed row has the focus (the caller can forget `revealId`). */
  onRevealed?: () => void;
}

interface VisibleRow {
  node: CategoryNode;
  expanded: boolean;
  position: number;
  setSize: number;
}

const numberFormat = new Intl.NumberFormat('en');

export function CategoryTree({
  index,
  selected,
  onToggle,
  onClearSelection,
  filterCategoryId,
  onFilter,
  onCreate,
  onDelete,
  onRestructure,
  revealId = null,
  onRevealed,
}: CategoryTreeProps) {
  const searchId = useId();
  const [query, setQuery] = useState('');
  const [expanded, setExpanded] = useState<Set<number>>(() => new Set());
  const [activeId, setActiveId] = useState<number | null>(index.roots[0] ?? null);
  const [renaming, setRenaming] = useState<number | null>(null);
  const treeRef = useRef<HTMLUListElement>(null);
  const focusWithin = useRef(false);
  const revealed = useRef<number | null>(null);
  const pendingFocus = useRef<number | null>(null);
  const [revealing, setRevealing] = useState<number | null>(null);
  const [dragging, setDragging] = useState<CategoryNode | null>(null);
  const [dropTarget, setDropTarget] = useState<number | null>(null);
  /** Where the dragged category may go: a category one level up that is not its parent now. */
  const canDropOn = (node: CategoryNode) =>
    dragging !== null && node.level === dragging.level - 1 && node.id !== dragging.parent_id;
  const endDrag = () => {
    setDragging(null);
    setDropTarget(null);
  };

  const rows = useMemo(() => visibleRows(index, expanded, query), [index, expanded, query]);
  const active =
    activeId !== null && rows.some((row) => row.node.id === activeId)
      ? activeId
      : (rows[0]?.node.id ?? null);
  const activeNode = active !== null ? index.byId.get(active) : undefined;

  useEffect(() => {
    if (!focusWithin.current || active === null || renaming !== null) return;
    treeRef.current?.querySelector<HTMLElement>(`[data-id="${active}"]`)?.focus();
  }, [active, renaming]);

  // Reveal a new category once: open its parents, make it the active row (a search that hides
  // it is cleared), then scroll it into view and focus it when its row is rendered.
  useEffect(() => {
    const node = revealId !== null ? index.byId.get(revealId) : undefined;
    if (!node || revealed.current === node.id) return;
    revealed.current = node.id;
    setExpanded((current) => new Set([...current, ...node.path_ids.slice(0, -1)]));
    setQuery((current) =>
      current && !node.name.toLowerCase().includes(current.trim().toLowerCase()) ? '' : current,
    );
    setActiveId(node.id);
    setRevealing(node.id);
    pendingFocus.current = node.id;
  }, [revealId, index]);
  useEffect(() => {
    // Once, when the row is rendered: later changes of the rows must not pull the focus back.
    const id = pendingFocus.current;
    const row = id !== null && treeRef.current?.querySelector<HTMLElement>(`[data-id="${id}"]`);
    if (!row) return;
    pendingFocus.current = null;
    row.scrollIntoView?.({ block: 'nearest' });
    row.focus();
    onRevealed?.();
  }, [revealing, rows, onRevealed]);

  const setExpandedFor = (id: number, open: boolean) =>
    setExpanded((current) => {
      const next = new Set(current);
      if (open) next.add(id);
      else next.delete(id);
      return next;
    });

  const onKeyDown = (event: React.KeyboardEvent, row: VisibleRow, position: number) => {
    const { node } = row;
    const move = (target: number) => {
      const next = rows[Math.max(0, Math.min(rows.length - 1, target))];
      if (next) setActiveId(next.node.id);
    };
    switch (event.key) {
      case 'ArrowDown':
        move(position + 1);
        break;
      case 'ArrowUp':
        move(position - 1);
        break;
      case 'Home':
        move(0);
        break;
      case 'End':
        move(rows.length - 1);
        break;
      case 'ArrowRight':
        if (node.children.length === 0) return;
        if (!row.expanded) setExpandedFor(node.id, true);
        else move(position + 1);
        break;
      case 'ArrowLeft':
        if (row.expanded && !query) setExpandedFor(node.id, false);
        else if (node.parent_id !== null) setActiveId(node.parent_id);
        break;
      case ' ':
        onToggle(node.id);
        break;
      case 'Enter':
        onFilter(filterCategoryId === node.id ? null : node.id);
        break;
      case 'F2':
        setRenaming(node.id);
        break;
      case 'Delete':
        onDelete(node);
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  const expandAll = () =>
    setExpanded(
      new Set(index.ordered.filter((node) => node.children.length > 0).map((node) => node.id)),
    );

  return (
    <section className="category-panel" aria-labelledby={`${searchId}-title`}>
      <div className="panel-header">
        <h2 id={`${searchId}-title`}>Categories</h2>
        <button
          type="button"
          className="button button-primary button-small"
          onClick={() => onCreate(null)}
        >
          + New
        </button>
      </div>
      <div className="tree-search">
        <label htmlFor={searchId} className="visually-hidden">
          Search categories
        </label>
        <input
          id={searchId}
          type="search"
          placeholder="Search categories…"
          maxLength={CATEGORY_NAME_MAX_LENGTH}
          value={query}
          onChange={(event) => setQuery(event.target.value)}
          data-shortcut="tree-search"
        />
      </div>
      <div className="tree-toolbar" role="toolbar" aria-label="Category actions">
        <button
          type="button"
          className="link-button"
          onClick={expandAll}
          aria-label="Expand all categories"
        >
          Expand
        </button>
        <button
          type="button"
          className="link-button"
          onClick={() => setExpanded(new Set())}
          aria-label="Collapse all categories"
        >
          Collapse
        </button>
        <span className="tree-toolbar-spacer" />
        <button
          type="button"
          className="link-button"
          disabled={!activeNode || activeNode.level >= 3}
          onClick={() => activeNode && onCreate(activeNode.id)}
          title={activeNode ? `New category under ${activeNode.path}` : undefined}
        >
          Add child
        </button>
        <button
          type="button"
          className="link-button"
          disabled={!activeNode}
          onClick={() => activeNode && setRenaming(activeNode.id)}
        >
          Rename
        </button>
        {onRestructure && (
          <>
            <button
              type="button"
              className="link-button"
              disabled={!activeNode || activeNode.level === 1}
              onClick={() => activeNode && onRestructure(activeNode, 'move')}
              title={
                activeNode?.level === 1
                  ? 'A level 1 category cannot move; merge it instead'
                  : 'Move under another parent (or drag it onto one)'
              }
            >
              Move to…
            </button>
            <button
              type="button"
              className="link-button"
              disabled={!activeNode}
              onClick={() => activeNode && onRestructure(activeNode, 'merge')}
            >
              Merge into…
            </button>
          </>
        )}
        <button
          type="button"
          className="link-button danger"
          disabled={!activeNode}
          onClick={() => activeNode && onDelete(activeNode)}
        >
          Delete
        </button>
      </div>
      {selected.size > 0 && (
        <p className="tree-selection" role="status">
          {selected.size} selected{' '}
          <button type="button" className="link-button" onClick={onClearSelection}>
            Clear
          </button>
        </p>
      )}
      {rows.length === 0 ? (
        <p className="empty-state">
          {query ? `No category matches “${query}”.` : 'No categories yet.'}
        </p>
      ) : (
        <ul
          ref={treeRef}
          className="tree"
          role="tree"
          aria-label="Category tree"
          aria-multiselectable="true"
          onFocus={() => (focusWithin.current = true)}
          onBlur={(event) => {
            if (!event.currentTarget.contains(event.relatedTarget as Node | null))
              focusWithin.current = false;
          }}
        >
          {rows.map((row, position) => {
            const { node } = row;
            const isChecked = selected.has(node.id);
            const isActive = node.id === active;
            return (
              <li
                key={node.id}
                data-id={node.id}
                role="treeitem"
                aria-level={node.level}
                aria-setsize={row.setSize}
                aria-posinset={row.position}
                aria-expanded={node.children.length > 0 ? row.expanded : undefined}
                aria-checked={isChecked}
                tabIndex={isActive ? 0 : -1}
                className={`tree-row level-${node.level}${isActive ? ' active' : ''}${isChecked ? ' checked' : ''}${filterCategoryId === node.id ? ' filtering' : ''}${revealing === node.id ? ' revealed' : ''}${dropTarget === node.id ? ' drop-target' : ''}${dragging?.id === node.id ? ' dragging' : ''}`}
                draggable={onRestructure !== undefined && node.level > 1 && renaming === null}
                onDragStart={(event) => {
                  event.dataTransfer.setData('text/plain', node.path);
                  event.dataTransfer.effectAllowed = 'move';
                  setDragging(node);
                }}
                onDragEnd={endDrag}
                onDragOver={(event) => {
                  if (!canDropOn(node)) return;
                  event.preventDefault();
                  event.dataTransfer.dropEffect = 'move';
                  if (dropTarget !== node.id) setDropTarget(node.id);
                }}
                onDragLeave={() => dropTarget === node.id && setDropTarget(null)}
                onDrop={(event) => {
                  if (!dragging || !canDropOn(node)) return;
                  event.preventDefault();
                  onRestructure?.(dragging, 'move', node.id);
                  endDrag();
                }}
                style={{ paddingLeft: `${(node.level - 1) * 1.1 + 0.25}rem` }}
                onKeyDown={(event) => renaming === null && onKeyDown(event, row, position)}
                onClick={() => {
                  setActiveId(node.id);
                  setRevealing(null);
                }}
                onDoubleClick={() => onFilter(filterCategoryId === node.id ? null : node.id)}
                title={node.path}
              >
                <span
                  className={`twisty${node.children.length === 0 ? ' leaf' : ''}`}
                  aria-hidden="true"
                  onClick={(event) => {
                    event.stopPropagation();
                    if (node.children.length > 0 && !query) setExpandedFor(node.id, !row.expanded);
                    setActiveId(node.id);
                  }}
                >
                  {node.children.length === 0 ? '' : row.expanded ? '▾' : '▸'}
                </span>
                <span
                  className={`tick${isChecked ? ' on' : ''}`}
                  aria-hidden="true"
                  data-testid={`tick-${node.id}`}
                  onClick={(event) => {
                    event.stopPropagation();
                    setActiveId(node.id);
                    onToggle(node.id);
                  }}
                >
                  {isChecked ? '✓' : ''}
                </span>
                <span className={`level-badge level-${node.level}`} aria-hidden="true">
                  L{node.level}
                </span>
                {renaming === node.id ? (
                  <RenameField
                    node={node}
                    onDone={(returnFocus) => {
                      // Back to the tree item (Enter, Escape); a click elsewhere keeps its target.
                      if (returnFocus) focusWithin.current = true;
                      setRenaming(null);
                    }}
                  />
                ) : (
                  <span className="tree-name" title={node.path}>
                    {highlight(node.name, query)}
                  </span>
                )}
                <span className="visually-hidden">
                  {`, level ${node.level}${filterCategoryId === node.id ? ', filtering the products' : ''}, `}
                </span>
                <span className="count">
                  {numberFormat.format(node.product_count)}
                  <span className="visually-hidden"> products</span>
                </span>
              </li>
            );
          })}
        </ul>
      )}
      <p className="hint">
        Space ticks · Enter filters products · F2 renames · drag a row onto a new parent to move it
      </p>
    </section>
  );
}

/**
 * The inline rename. While the request runs the input stays focused (read-only, not disabled:
 * a disabled input drops the focus); a refusal is shown under it and the focus stays, so the
 * name can be corrected; Escape cancels, keeps the old name and returns to the tree item.
 */
function RenameField({
  node,
  onDone,
}: {
  node: CategoryNode;
  onDone: (returnFocus: boolean) => void;
}) {
  const [name, setName] = useState(node.name);
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<(CategoryConflict & { value: string }) | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const { show } = useToasts();
  const errorId = useId();
  // The read the rename is based on (If-Match); read as the field opens.
  const etag = useCategoryEtag(node.id);
  const rename = useMutation({
    mutationFn: ({ value, ifMatch }: { value: string; ifMatch: string | null }) =>
      api.renameCategory(node.id, value, ifMatch),
    onSuccess: ({ data }) => {
      setConflict(null);
      renameTreeCategory(queryClient, data.id, data.name);
      show({ kind: 'success', title: `Renamed to “${data.name}”`, topic: 'category.rename' });
      onDone(true);
    },
    onError: (failure, { value }) => {
      const stale = staleCategory(failure);
      if (stale) {
        setConflict({ ...stale, value });
        return;
      }
      handleError(failure, {
        action: 'Could not rename the category',
        topic: 'category.rename',
        fields: ['name'],
        onFieldErrors: (errors) => setError(errors.name ?? null),
      });
      inputRef.current?.focus();
    },
  });
  const changeName = (value: string) => {
    setName(value);
    setError(tooLongMessage('A name', value, CATEGORY_NAME_MAX_LENGTH));
  };
  const submit = () => {
    if (rename.isPending) return;
    const value = name.trim();
    if (value === node.name) return onDone(true);
    if (!value) return setError('Enter a name');
    const tooLong = tooLongMessage('A name', value, CATEGORY_NAME_MAX_LENGTH);
    if (tooLong) return setError(tooLong);
    rename.mutate({ value, ifMatch: etag });
  };
  return (
    <span className="rename-field" onClick={(event) => event.stopPropagation()}>
      <input
        ref={inputRef}
        autoFocus
        aria-label={`New name for ${node.name}`}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? errorId : undefined}
        value={name}
        maxLength={CATEGORY_NAME_MAX_LENGTH}
        onPaste={(event) => pasteWhole(event, CATEGORY_NAME_MAX_LENGTH, changeName)}
        onChange={(event) => changeName(event.target.value)}
        onKeyDown={(event) => {
          event.stopPropagation();
          if (event.key === 'Enter') submit();
          if (event.key === 'Escape') {
            event.preventDefault();
            onDone(true);
          }
        }}
        onBlur={() => !rename.isPending && !error && !conflict && onDone(false)}
        readOnly={rename.isPending}
        aria-busy={rename.isPending || undefined}
      />
      {error && (
        <span id={errorId} className="field-error" role="alert">
          {error}
        </span>
      )}
      {conflict && (
        <CategoryConflictNotice
          seen={{
            name: node.name,
            path: node.path,
            childCount: node.children.length,
            productCount: node.product_count,
          }}
          conflict={conflict}
          mine={`rename to “${conflict.value}”`}
          onReapply={() => rename.mutate({ value: conflict.value, ifMatch: conflict.etag })}
          onKeepTheirs={() => {
            renameTreeCategory(queryClient, conflict.current.id, conflict.current.name);
            void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
            onDone(true);
          }}
        />
      )}
    </span>
  );
}

function highlight(name: string, query: string) {
  const needle = query.trim().toLowerCase();
  if (!needle) return name;
  const at = name.toLowerCase().indexOf(needle);
  if (at < 0) return name;
  return (
    <>
      {name.slice(0, at)}
      <mark>{name.slice(at, at + needle.length)}</mark>
      {name.slice(at + needle.length)}
    </>
  );
}

function visibleRows(
  index: CategoryIndex,
  expanded: ReadonlySet<number>,
  query: string,
): VisibleRow[] {
  const needle = query.trim().toLowerCase();
  let shown: Set<number> | undefined;
  if (needle) {
    shown = new Set();
    for (const node of index.ordered) {
      if (node.name.toLowerCase().includes(needle)) for (const id of node.path_ids) shown.add(id);
    }
  }
  const rows: VisibleRow[] = [];
  const visit = (ids: number[]) => {
    const siblings = ids.filter((id) => !shown || shown.has(id));
    siblings.forEach((id, position) => {
      const node = index.byId.get(id);
      if (!node) return;
      const open = shown ? node.children.some((child) => shown.has(child)) : expanded.has(id);
      rows.push({ node, expanded: open, position: position + 1, setSize: siblings.length });
      if (open) visit(node.children);
    });
  };
  visit(index.roots);
  return rows;
}
