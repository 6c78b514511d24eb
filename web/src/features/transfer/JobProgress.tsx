/**
 * The progress of an import or export while its request runs: the job reserved for it
 * (POST /api/transfer-jobs) is polled every half second (GET /api/jobs/{id}) and shown as a bar
 * with its counters: rows read and products written for an import, rows for an export.
 */
import { useQuery } from '@tanstack/react-query';
import { FINISHED_JOB_STATES, type Job } from '@tag-manager/contract';
import { api } from '../../api/client';

export const JOB_POLL_MS = 500;

const COUNTER_LABELS: Record<string, string> = {
  rows_read: 'Rows read',
  products_written: 'Products written',
  rows_written: 'Rows written',
};

const number = new Intl.NumberFormat('en-GB');

/** Polls one job while `active` (the request runs); the last answer stays shown after. */
export function useJobProgress(jobId: number | null, active: boolean) {
  return useQuery({
    queryKey: ['job', jobId],
    enabled: jobId !== null,
    queryFn: async ({ signal }) => (await api.getJob(jobId!, null, signal)).job!,
    // Until the request is over and the job has finished.
    refetchInterval: (query) =>
      active && !FINISHED_JOB_STATES.includes(query.state.data?.state ?? 'running')
        ? JOB_POLL_MS
        : false,
    staleTime: 0,
  });
}

export function JobProgress({
  job,
  label,
  estimatedTotal,
  finished,
}: {
  job: Job | undefined;
  label: string;
  /** Units expected in all when the job does not know (an upload's rows, from the file size). */
  estimatedTotal?: number | null;
  /** The request is over: the bar is full whatever the estimate said. */
  finished?: boolean;
}) {
  const done = job?.progress.done ?? 0;
  const total = job?.progress.total ?? estimatedTotal ?? null;
  const value =
    finished || job?.state === 'succeeded'
      ? 100
      : total
        ? Math.min(99, Math.floor((done / Math.max(total, 1)) * 100))
        : undefined;
  const counters = Object.entries(job?.progress.counters ?? {});
  return (
    <div className="job-progress" data-testid="job-progress">
      <div
        className={`progress-track${value === undefined ? ' indeterminate' : ''}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-valuetext={counters
          .map(([key, count]) => `${COUNTER_LABELS[key] ?? key}: ${count}`)
          .join(', ')}
      >
        <div className="progress-fill" style={{ width: `${value ?? 30}%` }} />
      </div>
      <dl className="report-figures" data-testid="job-counters">
        {counters.length === 0 && (
          <div>
            <dt>{job ? 'Starting' : 'Reserving the job'}</dt>
            <dd>…</dd>
          </div>
        )}
        {counters.map(([key, count]) => (
          <div key={key}>
            <dt>{COUNTER_LABELS[key] ?? key}</dt>
            <dd>
              {number.format(count)}
              {key === 'rows_read' && total && !finished ? ` of ≈${number.format(total)}` : ''}
            </dd>
          </div>
        ))}
      </dl>
      {job?.state === 'failed' && job.error && (
        <p className="field-error" role="alert">
          {job.error.message}
        </p>
      )}
    </div>
  );
}

/** Rows in a CSV file, estimated from the lines of its first 256 KiB (no second full read). */
export async function estimateRows(file: Blob): Promise<number | null> {
  if (file.size === 0) return null;
  const sample = file.slice(0, 256 * 1024);
  const text = await sample.text();
  const lines = text.split('\n').length - 1;
  if (lines <= 1) return null;
  return Math.max(1, Math.round(((lines - 1) * file.size) / sample.size));
}
