/**
 * Conditional writes on one category (rename, delete): the ETag of GET /api/categories/{id},
 * read when the rename field or the delete dialog opens, goes with the write as If-Match. A 412
 * means someone else changed the category meanwhile: the notice shows before → now and offers
 * to re-apply the change (sent with the ETag of the state shown) or to keep theirs.
 */
import { useQuery } from '@tanstack/react-query';
import type { CategoryDetail } from '@tag-manager/contract';
import { api, ApiError } from '../../api/client';

/** What the operator saw of the category (the tree's node). */
export interface CategorySeen {
  name: string;
  path: string;
  childCount: number;
  productCount: number;
}

export interface CategoryConflict {
  current: CategoryDetail;
  etag: string;
}

/** The ETag of the category as read when the write was prepared (null until it arrives). */
export function useCategoryEtag(id: number): string | null {
  const read = useQuery({
    queryKey: ['category', id],
    queryFn: ({ signal }) => api.getCategory(id, signal),
    staleTime: 0,
    gcTime: 0,
  });
  return read.data?.etag ?? null;
}

/** The 412 of a stale If-Match, with the category as it is now; else undefined. */
export function staleCategory(error: unknown): CategoryConflict | undefined {
  if (!(error instanceof ApiError) || error.code !== 'PRECONDITION_FAILED') return undefined;
  const { current, etag } = error.details as { current?: CategoryDetail; etag?: string };
  return current && typeof etag === 'string' ? { current, etag } : undefined;
}

export function CategoryConflictNotice({
  seen,
  conflict,
  mine,
  onReapply,
  onKeepTheirs,
}: {
  seen: CategorySeen;
  conflict: CategoryConflict;
  /** The change that was not applied, in words. */
  mine: string;
  onReapply: () => void;
  onKeepTheirs: () => void;
}) {
  const now = conflict.current;
  const rows: [string, string, string][] = [
    ['Name', seen.name, now.name],
    ['Path', seen.path, now.path],
    ['Subcategories', String(seen.childCount), String(now.child_count)],
    ['Products', String(seen.productCount), String(now.product_count)],
  ];
  const changed = rows.filter(([, before, after]) => before !== after);
  return (
    <div className="callout callout-warning" role="alert" data-testid="category-conflict">
      <p>
        <strong>Someone else changed this category after you opened it.</strong> Your change ({mine}
        ) was not applied.
      </p>
      {changed.length > 0 && (
        <table className="conflict-table">
          <thead>
            <tr>
              <th scope="col" />
              <th scope="col">Before</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            {changed.map(([label, before, after]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                <td>{before}</td>
                <td>{after}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
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
