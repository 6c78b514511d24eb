/** "Remove sample data": confirm, remove (admin), report; a lower role is told it needs an admin. */
import type { SampleDataCounts } from '@tag-manager/contract';
import { Dialog } from '../../components/Dialog';
import { ADMIN_NEEDED, describeCounts, useRemoveSampleData } from './sample-data';

export function RemoveSampleDataDialog({
  counts,
  onClose,
}: {
  counts: SampleDataCounts;
  onClose: () => void;
}) {
  const remove = useRemoveSampleData(onClose);
  const { refused } = remove;
  const confirm = remove.run;
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
