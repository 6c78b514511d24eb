/**
 * The first real product import into a catalog that holds only sample data asks whether to
 * remove the samples first. `useSampleImportPrompt()` wraps the upload: `guard(upload)` runs it
 * at once when there is nothing to ask, else after the operator's answer; `dialog` renders it.
 */
import type { SampleDataCounts } from '@tag-manager/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type ReactNode } from 'react';
import { Dialog } from '../../components/Dialog';
import {
  ADMIN_NEEDED,
  describeCounts,
  freshSampleData,
  holdsOnlySampleData,
  useRemoveSampleData,
} from './sample-data';

export function useSampleImportPrompt(): {
  guard: (upload: () => void) => Promise<void>;
  dialog: ReactNode;
} {
  const queryClient = useQueryClient();
  const [asking, setAsking] = useState<SampleDataCounts | null>(null);
  const pending = useRef<(() => void) | null>(null);

  const guard = async (upload: () => void) => {
    let counts: SampleDataCounts;
    try {
      counts = await freshSampleData(queryClient);
    } catch {
      // Not knowing is no reason to hold the import back.
      return upload();
    }
    if (!holdsOnlySampleData(counts)) return upload();
    pending.current = upload;
    setAsking(counts);
  };
  const close = () => {
    pending.current = null;
    setAsking(null);
  };
  const proceed = () => {
    const upload = pending.current;
    close();
    upload?.();
  };
  const dialog = asking && (
    <SampleImportDialog counts={asking} onCancel={close} onProceed={proceed} />
  );
  return { guard, dialog };
}

function SampleImportDialog({
  counts,
  onCancel,
  onProceed,
}: {
  counts: SampleDataCounts;
  onCancel: () => void;
  onProceed: () => void;
}) {
  const remove = useRemoveSampleData(onProceed);
  const { refused } = remove;
  const removeThenImport = remove.run;
  return (
    <Dialog
      title="Remove the sample data first?"
      onClose={onCancel}
      size="small"
      footer={
        <>
          <button type="button" className="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="button" className="button" onClick={onProceed}>
            Import and keep the sample data
          </button>
          {!refused && (
            <button
              type="button"
              className="button button-primary"
              onClick={removeThenImport}
              disabled={remove.isPending}
            >
              {remove.isPending ? 'Removing…' : 'Remove sample data, then import'}
            </button>
          )}
        </>
      }
    >
      <p>
        This catalog holds only sample data: {describeCounts(counts)}, made up so there was
        something to look at. Remove it before importing your products, so that statistics, the
        uncategorised list and the export show only your store.
      </p>
      {refused && (
        <div className="callout callout-warning" role="alert">
          <p>{ADMIN_NEEDED}</p>
        </div>
      )}
    </Dialog>
  );
}
