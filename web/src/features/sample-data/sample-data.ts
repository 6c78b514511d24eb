/**
 * Sample data in the web app: how much there is (GET /api/sample-data, for the banner and the
 * first-import prompt) and its removal (DELETE, admin), after which every cached read is stale.
 */
import type { SampleDataCounts, SampleDataRemoval } from '@tag-manager/contract';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api, ApiError } from '../../api/client';
import { useToasts } from '../../components/Toasts';
import { useErrorHandler } from '../../lib/error-handler';

export const sampleDataKey = ['sample-data'] as const;

const fetchCounts = async ({ signal }: { signal?: AbortSignal }) =>
  (await api.getSampleData(signal)).data;

export function useSampleData() {
  return useQuery({ queryKey: sampleDataKey, queryFn: fetchCounts });
}

/** The counts as the server has them now (never from the cache): asked right before an import. */
export function freshSampleData(queryClient: QueryClient): Promise<SampleDataCounts> {
  return queryClient.fetchQuery({ queryKey: sampleDataKey, queryFn: fetchCounts, staleTime: 0 });
}

export const hasSampleData = (counts: SampleDataCounts | undefined) =>
  counts !== undefined && counts.sample_products + counts.sample_categories > 0;

/** A catalog with sample data and nothing real yet: the first real import asks first. */
export const holdsOnlySampleData = (counts: SampleDataCounts) =>
  hasSampleData(counts) && counts.real_products === 0;

/** The refusal a non-admin token gets: explained, not shown as a failure. */
export const needsAdmin = (error: unknown): error is ApiError =>
  error instanceof ApiError && error.status === 403 && error.details.required_role === 'admin';

export const ADMIN_NEEDED =
  'Removing sample data needs an admin: your API token has a lower role. Ask an admin to remove it here, or run "npm run seed -- --remove" on the server.';

const plural = (count: number, one: string, many: string) =>
  `${count.toLocaleString('en')} ${count === 1 ? one : many}`;

export function describeCounts(counts: SampleDataCounts): string {
  return `${plural(counts.sample_products, 'sample product', 'sample products')} and ${plural(counts.sample_categories, 'sample category', 'sample categories')}`;
}

export function describeRemoval(result: SampleDataRemoval): string {
  const removed = `Removed ${plural(result.removed_products, 'sample product', 'sample products')} and ${plural(result.removed_categories, 'sample category', 'sample categories')}`;
  const kept = result.kept_categories.length;
  return kept > 0
    ? `${removed}; kept ${plural(kept, 'category', 'categories')} your real data uses`
    : removed;
}

/**
 * DELETE /api/sample-data for a dialog: `run()` removes, reports the result in a toast and then
 * calls `then`; every query is refetched (anything may have changed). A refusal for want of the
 * admin role is left to the dialog (`refused`), which explains it in place; other errors go to
 * the error handler.
 */
export function useRemoveSampleData(then: () => void) {
  const queryClient = useQueryClient();
  const { show } = useToasts();
  const handleError = useErrorHandler();
  const remove = useMutation({
    mutationFn: async () => (await api.removeSampleData()).data,
    onSuccess: () => queryClient.invalidateQueries(),
  });
  const run = () =>
    remove.mutate(undefined, {
      onSuccess: (result) => {
        show({ kind: 'success', title: describeRemoval(result) });
        then();
      },
      onError: (error) => {
        if (!needsAdmin(error)) handleError(error, { action: 'Could not remove the sample data' });
      },
    });
  return { run, refused: needsAdmin(remove.error), isPending: remove.isPending };
}
