/**
 * Delete a category. Only an unused category can go; when it is in use, the counts that block it
 * (subcategories, products) are explained, from the tree before asking and from the server's 409.
 */
import { useState } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import { markAssignmentsStale, queryKeys, removeTreeCategory } from '../../api/queries';
import { Dialog } from '../../components/Dialog';
import { useToasts } from '../../components/Toasts';
import type { CategoryNode } from '../../lib/category-index';
import { useErrorHandler } from '../../lib/error-handler';
import {
  CategoryConflictNotice,
  staleCategory,
  useCategoryEtag,
  type CategoryConflict,
} from './category-conflict';

interface Blocking {
  childCount: number;
  productCount: number;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

export function DeleteCategoryDialog({
  node,
  onClose,
  onDeleted,
}: {
  node: CategoryNode;
  onClose: () => void;
  onDeleted: (id: number) => void;
}) {
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const { show } = useToasts();
  const [blocking, setBlocking] = useState<Blocking | null>(
    node.children.length > 0 || node.product_count > 0
      ? { childCount: node.children.length, productCount: node.product_count }
      : null,
  );
  // The read the delete is based on (If-Match); read as the dialog opens.
  const etag = useCategoryEtag(node.id);
  const [conflict, setConflict] = useState<CategoryConflict | null>(null);
  const remove = useMutation({
    mutationFn: (ifMatch: string | null) => api.deleteCategory(node.id, ifMatch),
    onSuccess: () => {
      removeTreeCategory(queryClient, node.id, node.level);
      markAssignmentsStale(queryClient);
      show({ kind: 'success', title: `Deleted “${node.name}”`, topic: 'category.delete' });
      onDeleted(node.id);
      onClose();
    },
    onError: (error) => {
      const stale = staleCategory(error);
      if (stale) {
        setConflict(stale);
        return;
      }
      if (
        error instanceof ApiError &&
        error.code === 'CONFLICT' &&
        typeof error.details.child_count === 'number'
      ) {
        setBlocking({
          childCount: error.details.child_count,
          productCount: Number(error.details.product_count ?? 0),
        });
        // The tree said it was unused: its counts are out of date (another tab, an import).
        // Fetch the tree again; the lists and statistics are stale too.
        void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
        markAssignmentsStale(queryClient);
        return;
      }
      handleError(error, { action: 'Could not delete the category', topic: 'category.delete' });
    },
  });
  return (
    <Dialog
      title={`Delete “${node.name}”?`}
      onClose={onClose}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            {blocking ? 'Close' : 'Cancel'}
          </button>
          {!blocking && !conflict && (
            <button
              type="button"
              className="button button-danger"
              onClick={() => remove.mutate(etag)}
              disabled={remove.isPending}
            >
              Delete category
            </button>
          )}
        </>
      }
    >
      <p className="path-line">{node.path}</p>
      {conflict && (
        <CategoryConflictNotice
          seen={{
            name: node.name,
            path: node.path,
            childCount: node.children.length,
            productCount: node.product_count,
          }}
          conflict={conflict}
          mine="delete it"
          onReapply={() => {
            setConflict(null);
            remove.mutate(conflict.etag);
          }}
          onKeepTheirs={() => {
            void queryClient.invalidateQueries({ queryKey: queryKeys.tree });
            onClose();
          }}
        />
      )}
      {blocking ? (
        <div className="callout callout-warning" role="alert">
          <p>
            <strong>This category is in use and cannot be deleted.</strong>
          </p>
          <ul>
            {blocking.childCount > 0 && (
              <li>
                It has {plural(blocking.childCount, 'subcategory', 'subcategories')}: delete or move
                them first.
              </li>
            )}
            {blocking.productCount > 0 && (
              <li>
                {plural(blocking.productCount, 'product is', 'products are')} assigned to it (or to
                a subcategory): remove it from them first (filter the products by it, select the
                page, bulk remove).
              </li>
            )}
          </ul>
        </div>
      ) : (
        <p>It has no subcategories and no products. Deleting it cannot be undone.</p>
      )}
    </Dialog>
  );
}
