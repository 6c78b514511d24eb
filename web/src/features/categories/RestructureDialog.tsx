/**
 * "Move to…" and "Merge into…" (issue 14): pick the target by typing any part of its path (or
 * drop the category on it in the tree, which opens this dialog with the target chosen), read the
 * preview the server computes by doing the write and rolling it back (products affected,
 * ancestors added and removed, paths that change, clashes), then confirm. Nothing changes before
 * the confirmation; afterwards the tree, the product rows and their chips are fetched again.
 */
import { useId, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { RestructureResult } from '@tag-manager/contract';
import { api } from '../../api/client';
import { markAssignmentsStale, queryKeys } from '../../api/queries';
import { Dialog } from '../../components/Dialog';
import { useToasts } from '../../components/Toasts';
import type { CategoryIndex, CategoryNode } from '../../lib/category-index';
import { useErrorHandler } from '../../lib/error-handler';
import { staleCategory, useCategoryEtag } from './category-conflict';

export type RestructureMode = 'move' | 'merge';

const numberFormat = new Intl.NumberFormat('en');
const MAX_OPTIONS = 50;
const plural = (count: number, one: string, many: string) =>
  `${numberFormat.format(count)} ${count === 1 ? one : many}`;

/** The categories `node` may go to: a parent one level up (move), or one of its level (merge). */
export function restructureTargets(
  index: CategoryIndex,
  node: CategoryNode,
  mode: RestructureMode,
): CategoryNode[] {
  return index.ordered.filter((candidate) =>
    mode === 'move'
      ? candidate.level === node.level - 1 && candidate.id !== node.parent_id
      : candidate.level === node.level && candidate.id !== node.id,
  );
}

export function RestructureDialog({
  index,
  node,
  mode,
  initialTargetId = null,
  onClose,
  onDone,
}: {
  index: CategoryIndex;
  node: CategoryNode;
  mode: RestructureMode;
  initialTargetId?: number | null;
  onClose: () => void;
  /** After the write: the category that now stands for `node` (the merge target, or itself). */
  onDone: (result: RestructureResult) => void;
}) {
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const { show } = useToasts();
  const inputId = useId();
  const listId = useId();
  const [targetId, setTargetId] = useState<number | null>(initialTargetId);
  // A target chosen by a drop shows as the input's text (the preview is asked at once).
  const [text, setText] = useState(
    () => (initialTargetId !== null ? index.byId.get(initialTargetId)?.path : undefined) ?? '',
  );
  const [activeOption, setActiveOption] = useState(0);
  const [stale, setStale] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const etag = useCategoryEtag(node.id);

  const targets = useMemo(() => restructureTargets(index, node, mode), [index, node, mode]);
  const needle = text.trim().toLowerCase();
  const options = useMemo(
    () =>
      targets
        .filter((candidate) => !needle || candidate.path.toLowerCase().includes(needle))
        .slice(0, MAX_OPTIONS),
    [targets, needle],
  );
  const target = targetId !== null ? index.byId.get(targetId) : undefined;

  const run = (dryRun: boolean, ifMatch: string | null) =>
    mode === 'move'
      ? api.moveCategory(node.id, targetId!, dryRun, ifMatch)
      : api.mergeCategory(node.id, targetId!, dryRun, ifMatch);
  const preview = useQuery({
    queryKey: ['restructure-preview', mode, node.id, targetId],
    queryFn: () => run(true, null),
    enabled: targetId !== null,
    staleTime: 0,
    gcTime: 0,
    retry: false,
  });
  const confirm = useMutation({
    mutationFn: () => run(false, etag),
    onSuccess: ({ data }) => {
      void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
      // Paths (chips), and for a merge the categories themselves, changed on many products.
      void queryClient.invalidateQueries({ queryKey: queryKeys.products });
      void queryClient.invalidateQueries({ queryKey: ['product'] });
      markAssignmentsStale(queryClient);
      show({
        kind: 'success',
        title:
          mode === 'move'
            ? `Moved “${node.name}” to ${data.to_path}`
            : `Merged “${node.name}” into ${data.to_path}`,
        topic: `category.${mode}`,
      });
      onDone(data);
      onClose();
    },
    onError: (error) => {
      if (staleCategory(error)) {
        setStale(true);
        void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
        void preview.refetch();
        return;
      }
      handleError(error, {
        action: mode === 'move' ? 'Could not move the category' : 'Could not merge the category',
        topic: `category.${mode}`,
      });
    },
  });

  const choose = (candidate: CategoryNode) => {
    setTargetId(candidate.id);
    setText(candidate.path);
    setStale(false);
  };
  const result = preview.data?.data;
  const blocked = !result || result.clashes.length > 0;
  const verb = mode === 'move' ? 'Move' : 'Merge';

  return (
    <Dialog
      title={mode === 'move' ? `Move “${node.name}” to…` : `Merge “${node.name}” into…`}
      onClose={onClose}
      size="medium"
      initialFocus={inputRef}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className={`button ${mode === 'merge' ? 'button-danger' : 'button-primary'}`}
            disabled={blocked || preview.isFetching || confirm.isPending || etag === null}
            onClick={() => confirm.mutate()}
          >
            {verb}
            {result ? ` (${plural(result.products_affected, 'product', 'products')})` : ''}
          </button>
        </>
      }
    >
      <p className="path-line">{node.path}</p>
      <label htmlFor={inputId}>
        {mode === 'move'
          ? `New parent (a level ${node.level - 1} category)`
          : `Merge into (a level ${node.level} category)`}
      </label>
      <input
        id={inputId}
        ref={inputRef}
        type="text"
        role="combobox"
        className="restructure-input"
        aria-expanded={options.length > 0 && (targetId === null || text !== target?.path)}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={options[activeOption] ? `${listId}-${activeOption}` : undefined}
        placeholder="Type part of a path…"
        value={text}
        onChange={(event) => {
          setText(event.target.value);
          setActiveOption(0);
        }}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') {
            setActiveOption((current) => Math.min(options.length - 1, current + 1));
          } else if (event.key === 'ArrowUp') {
            setActiveOption((current) => Math.max(0, current - 1));
          } else if (event.key === 'Enter') {
            const candidate = options[activeOption];
            if (candidate) choose(candidate);
          } else return;
          event.preventDefault();
        }}
      />
      {(targetId === null || text !== target?.path) && (
        <ul id={listId} role="listbox" className="restructure-options" aria-label="Targets">
          {options.map((candidate, position) => (
            <li
              key={candidate.id}
              id={`${listId}-${position}`}
              role="option"
              aria-selected={position === activeOption}
              className={position === activeOption ? 'active' : undefined}
              onMouseDown={(event) => event.preventDefault()}
              onClick={() => choose(candidate)}
            >
              {candidate.path}
            </li>
          ))}
          {options.length === 0 && <li className="empty-state">No category matches.</li>}
        </ul>
      )}
      {stale && (
        <p className="callout callout-warning" role="alert">
          Someone changed this category meanwhile: the preview below is fresh; confirm again.
        </p>
      )}
      {target && preview.isFetching && <p role="status">Computing the preview…</p>}
      {preview.isError && (
        <p className="callout callout-error" role="alert">
          {preview.error.message}
        </p>
      )}
      {result && !preview.isFetching && <RestructurePreview result={result} mode={mode} />}
    </Dialog>
  );
}

function RestructurePreview({
  result,
  mode,
}: {
  result: RestructureResult;
  mode: RestructureMode;
}) {
  return (
    <section className="restructure-preview" aria-label="Preview" data-testid="restructure-preview">
      {result.clashes.map((clash) => (
        <p key={clash.category_id} className="callout callout-error" role="alert">
          “{clash.existing_path}” already exists: “{clash.name}” cannot move there. Rename one of
          them, or merge them.
        </p>
      ))}
      <p>
        <strong>{result.from_path}</strong> → <strong>{result.to_path}</strong>
      </p>
      <p>
        {plural(result.products_affected, 'product is', 'products are')} assigned to it
        {mode === 'move' ? ' or below it' : ''}.
      </p>
      {result.ancestors_added.length > 0 && (
        <ul aria-label="Added">
          {result.ancestors_added.map((item) => (
            <li key={item.id}>
              + {item.path}: added to {plural(item.products, 'product', 'products')}
            </li>
          ))}
        </ul>
      )}
      {result.ancestors_removed.length > 0 && (
        <ul aria-label="Removed">
          {result.ancestors_removed.map((item) => (
            <li key={item.id}>
              − {item.path}: removed from {plural(item.products, 'product', 'products')} that no
              other of their categories needs it
            </li>
          ))}
        </ul>
      )}
      {result.categories.length > 0 && (
        <details>
          <summary>
            {plural(result.categories.length, 'category changes', 'categories change')} path
          </summary>
          <ul>
            {result.categories.map((item) => (
              <li key={item.id}>
                {item.from_path} → {item.to_path}
                {item.merged_into_id !== null ? ' (merged)' : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
      {mode === 'merge' && (
        <p>
          “{result.from_path}” is deleted
          {result.categories_deleted.length > 1
            ? `, with ${plural(result.categories_deleted.length - 1, 'subcategory', 'subcategories')} merged into same-named ones`
            : ''}
          . History can undo the merge exactly, as long as nobody has changed these categories or
          products since.
        </p>
      )}
      {result.sample_products.length > 0 && (
        <p className="hint">
          For example: {result.sample_products.map((item) => item.product_name).join(', ')}
        </p>
      )}
    </section>
  );
}
