/** "Remove sample data": confirm, remove (admin), report; a lower role is told it needs an admin. */
import type { SampleDataCounts } from '@tag-manager/contract';
import { Dialog } from '../../components/Dialog';
import { useToasts } from '../../components/Toasts';
import { useErrorHandler } from '../../lib/error-handler';
import {
  ADMIN_NEEDED,
  describeCounts,
  describeRemoval,
  needsAdmin,
  useRemoveSampleData,
} from './sample-data';

export function RemoveSampleDataDialog({
  counts,
  onClose,
}: {
  counts: SampleDataCounts;
  onClose: () => void;
}) {
  const { show } = useToasts();
  const handleError = useErrorHandler();
  const remove = useRemoveSampleData();
  const refused = needsAdmin(remove.error);
  const confirm = () =>
    remove.mutate(undefined, {
      onSuccess: (result) => {
        show({ kind: 'success', title: describeRemoval(result) });
        onClose();
      },
      onError: (error) => {
        if (!needsAdmin(error)) handleError(error, { action: 'Could not remove the sample data' });
      },
    });
  return (
    <Dialog
      title="Remove sample data?"
      onClose={onClose}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            {refused ? 'Close' : 'Cancel'}
          </button>
          {!refused && (
            <button
              type="button"
              className="button button-danger"
              onClick={confirm}
              disabled={remove.isPending}
            >
              {remove.isPending ? 'Removing…' : 'Remove sample data'}
            </button>
          )}
        </>
      }
    >
      <p>
        This removes {describeCounts(counts)} and their category assignments, as one change in the
        change log. Your real products and categories stay as they are; a sample category that one
        of your products or categories uses is kept and becomes yours.
      </p>
      {refused && (
        <div className="callout callout-warning" role="alert">
          <p>{ADMIN_NEEDED}</p>
        </div>
      )}
    </Dialog>
  );
}
