/**
 * One job's progress: a progress bar (done of total, in the job's unit), its counters and state,
 * a Cancel button while it runs, and when it ends what it did (or why it stopped), with a link to
 * its change sets in History (each batch is one, and undoable).
 */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { Job } from '@tag-manager/contract';
import { api } from '../../api/client';
import { queryKeys } from '../../api/queries';
import { useErrorHandler } from '../../lib/error-handler';
import { DEFAULT_STATE, formatLocation, useUrlState } from '../../lib/url-state';
import { isFinished, jobKindLabel, jobStateLabel, useJob } from './jobs';
import './jobs.css';

const numberFormat = new Intl.NumberFormat('en');
const format = (value: number) => numberFormat.format(value);
const words = (key: string) => key.replace(/_/g, ' ');

export function JobProgress({ jobId, compact = false }: { jobId: number; compact?: boolean }) {
  const job = useJob(jobId);
  if (!job.data) {
    return job.isError ? (
      <p className="callout callout-error">
        Job #{jobId} could not be read: {job.error.message}
      </p>
    ) : (
      <div className="skeleton skeleton-text" aria-label={`Loading job ${jobId}`} />
    );
  }
  return <JobProgressView job={job.data} compact={compact} />;
}

export function JobProgressView({ job, compact = false }: { job: Job; compact?: boolean }) {
  const queryClient = useQueryClient();
  const handleError = useErrorHandler();
  const [, update] = useUrlState();
  const cancel = useMutation({
    mutationFn: () => api.cancelJob(job.id),
    onSuccess: ({ data }) => queryClient.setQueryData(queryKeys.job(job.id), data),
    onError: (error) => handleError(error, { action: 'Could not cancel the job' }),
  });
  const { done, total, unit, counters } = job.progress;
  const finished = isFinished(job);
  const share = total ? Math.min(1, done / total) : finished ? 1 : 0;
  const label = `${jobKindLabel(job.kind)} #${job.id}`;
  const historyState = { ...DEFAULT_STATE, view: 'history' as const, jobId: job.id };
  return (
    <div
      className={`job job-${job.state}${compact ? ' job-compact' : ''}`}
      data-testid="job-progress"
      data-job-id={job.id}
      data-state={job.state}
    >
      <div className="job-head">
        <strong>{label}</strong>
        <span className={`job-state job-state-${job.state}`} role="status">
          {jobStateLabel(job)}
        </span>
      </div>
      <div
        className="progress"
        role="progressbar"
        aria-label={`${label} progress`}
        aria-valuemin={0}
        aria-valuemax={total ?? undefined}
        aria-valuenow={total === null ? undefined : done}
        aria-valuetext={`${format(done)} of ${total === null ? 'unknown' : format(total)} ${unit}`}
      >
        <div
          className={`progress-fill${job.state === 'failed' || job.state === 'cancelled' ? ' progress-fill-stopped' : ''}`}
          style={{ width: `${share * 100}%` }}
        />
      </div>
      <p className="job-figures">
        <span data-testid="job-done">
          {format(done)} of {total === null ? '…' : format(total)} {unit}
        </span>
        {Object.entries(counters).map(([key, value]) => (
          <span key={key}>
            {words(key)}: {format(value)}
          </span>
        ))}
      </p>
      {job.error && (
        <p className="job-error">
          {job.error.message} <span className="muted mono">({job.error.code})</span>
        </p>
      )}
      {finished && job.state !== 'succeeded' && done > 0 && (
        <p className="muted">
          The finished batches stay applied ({format(done)} {unit}); undo them from History.
        </p>
      )}
      <div className="button-row">
        {!finished && (
          <button
            type="button"
            className="button button-danger-outline button-small"
            onClick={() => cancel.mutate()}
            disabled={cancel.isPending || job.cancel_requested}
            data-testid="job-cancel"
          >
            {job.cancel_requested ? 'Cancelling…' : 'Cancel job'}
          </button>
        )}
        {job.change_set_ids.length > 0 && (
          <a
            className="button button-small"
            href={formatLocation(historyState)}
            onClick={(event) => {
              if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
              event.preventDefault();
              update(historyState);
            }}
          >
            Show in History
          </a>
        )}
      </div>
    </div>
  );
}
