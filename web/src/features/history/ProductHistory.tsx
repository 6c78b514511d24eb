/**
 * A product's own history in its panel: the change sets that touched it, newest first
 * (`GET /api/changes?product_id=…`), read only when the section is opened, with Undo.
 */
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { ChangeSet } from '@tag-manager/contract';
import { api } from '../../api/client';
import { queryKeys, useCategoryTree } from '../../api/queries';
import { DEFAULT_STATE } from '../../lib/url-state';
import { AppLink, ChangeRow } from './ChangeRow';
import { UndoDialog } from './UndoDialog';
import './history.css';

const LIMIT = 10;

export function ProductHistory({ productId }: { productId: string }) {
  const [open, setOpen] = useState(false);
  return (
    <details
      className="product-history"
      data-testid="product-history"
      onToggle={(event) => setOpen((event.target as HTMLDetailsElement).open)}
    >
      <summary>History</summary>
      {open && <ProductHistoryList productId={productId} />}
    </details>
  );
}

function ProductHistoryList({ productId }: { productId: string }) {
  const { index } = useCategoryTree();
  const query = { product_id: productId, limit: LIMIT };
  const changes = useQuery({
    queryKey: [...queryKeys.changes, query],
    queryFn: ({ signal }) => api.listChanges(query, signal),
    staleTime: 0,
  });
  const [undoing, setUndoing] = useState<ChangeSet | null>(null);
  if (changes.isError)
    return (
      <p className="callout callout-error">
        The history could not be loaded: {changes.error.message}
      </p>
    );
  if (!changes.data) return <div className="skeleton skeleton-text" aria-label="Loading history" />;
  const rows = changes.data.data;
  const total = changes.data.metadata.total_changes;
  return (
    <>
      {rows.length === 0 ? (
        <p className="muted">No recorded change touched this product.</p>
      ) : (
        <ol className="change-list" aria-label={`History of ${productId}`}>
          {rows.map((row) => (
            <ChangeRow key={row.id} change={row} index={index} onUndo={setUndoing} compact />
          ))}
        </ol>
      )}
      {total > rows.length && (
        <AppLink to={{ ...DEFAULT_STATE, view: 'history', product: productId }}>
          All {total.toLocaleString('en')} changes in History
        </AppLink>
      )}
      {undoing && (
        <UndoDialog
          title={`Undo change #${undoing.id}?`}
          target={{ changes: [undoing] }}
          onClose={() => setUndoing(null)}
        />
      )}
    </>
  );
}
