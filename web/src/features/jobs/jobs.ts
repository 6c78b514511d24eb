/**
 * Jobs (issue 13) in the web app: a job is polled with `GET /api/jobs/{id}` and the ETag of the
 * last read (`If-None-Match`), so an unchanged job costs a 304 without a body, until it
 * finishes. Polling instead of server-sent events: one request a second per running job shown,
 * through the same client, token and error handling as every other read.
 *
 * The jobs this tab started (or opened) are tracked here, so a running job stays visible in the
 * header after its dialog closes. When a job finishes, what it changed (the product lists, the
 * tree, the statistics, the history) is fetched again.
 */
import { useQueries, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { FINISHED_JOB_STATES, type Job, type JobKind } from '@tag-manager/contract';
import { api } from '../../api/client';
import { queryKeys } from '../../api/queries';

/** How often a running job is read (a 304 when nothing changed). */
export const JOB_POLL_MS = 1000;

export const isFinished = (job: Pick<Job, 'state'>) => FINISHED_JOB_STATES.includes(job.state);

const KIND_LABELS: Record<JobKind, string> = {
  'bulk.assign': 'Bulk assign',
  'bulk.remove': 'Bulk remove',
  undo: 'Undo',
  'import.products': 'Product import',
  'export.csv': 'CSV export',
};
export const jobKindLabel = (kind: JobKind) => KIND_LABELS[kind] ?? kind;

const STATE_LABELS: Record<Job['state'], string> = {
  queued: 'Waiting to start',
  running: 'Running',
  succeeded: 'Finished',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
export const jobStateLabel = (job: Job) =>
  job.state === 'running' && job.cancel_requested ? 'Cancelling…' : STATE_LABELS[job.state];

// ---- the jobs this tab follows ----------------------------------------------------------------

let tracked: readonly number[] = [];
const listeners = new Set<() => void>();
const etags = new Map<number, string>();

function setTracked(next: readonly number[]) {
  tracked = next;
  for (const listener of listeners) listener();
}

/** Follow a job (its first state from the answer that started it) until it is dismissed. */
export function trackJob(queryClient: QueryClient, job: Job) {
  queryClient.setQueryData(queryKeys.job(job.id), job, { updatedAt: 0 });
  if (!tracked.includes(job.id)) setTracked([job.id, ...tracked]);
}

/** Stop showing a job in the header. */
export function dismissJob(id: number) {
  setTracked(tracked.filter((entry) => entry !== id));
}

/** Forget every tracked job (tests start from a fresh tab). */
export function forgetJobs() {
  etags.clear();
  setTracked([]);
}

export function useTrackedJobs(): readonly number[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => tracked,
    () => tracked,
  );
}

/** What a finished job changed is read again: lists, tree, statistics, history, jobs. */
export function onJobFinished(queryClient: QueryClient) {
  for (const queryKey of [
    queryKeys.products,
    ['product'],
    queryKeys.tree,
    queryKeys.stats,
    queryKeys.changes,
    queryKeys.jobList,
  ]) {
    void queryClient.invalidateQueries({ queryKey });
  }
}

/** One job, polled with If-None-Match while it runs. */
export function useJob(id: number) {
  const queryClient = useQueryClient();
  return useQuery(jobQuery(queryClient, id));
}

/** The tracked jobs, each polled while it runs. */
export function useTrackedJobStates() {
  const queryClient = useQueryClient();
  const ids = useTrackedJobs();
  return useQueries({ queries: ids.map((id) => jobQuery(queryClient, id)) });
}

function jobQuery(queryClient: QueryClient, id: number) {
  return {
    queryKey: queryKeys.job(id),
    queryFn: async ({ signal }: { signal: AbortSignal }) => {
      const previous = queryClient.getQueryData<Job>(queryKeys.job(id));
      const read = await api.getJob(id, previous ? etags.get(id) : null, signal);
      if (read.etag) etags.set(id, read.etag);
      const job = read.job ?? previous!;
      if (previous && !isFinished(previous) && isFinished(job)) onJobFinished(queryClient);
      return job;
    },
    staleTime: 0,
    refetchInterval: (query: { state: { data: Job | undefined } }) =>
      query.state.data && isFinished(query.state.data) ? false : JOB_POLL_MS,
  };
}

/** Resolves when the job's cached state (kept fresh by whoever polls it) is finished. */
export function waitForJob(queryClient: QueryClient, id: number): Promise<Job> {
  return new Promise((resolve) => {
    const cache = queryClient.getQueryCache();
    let unsubscribe = () => {};
    const check = () => {
      const job = queryClient.getQueryData<Job>(queryKeys.job(id));
      if (!job || !isFinished(job)) return false;
      unsubscribe();
      resolve(job);
      return true;
    };
    if (!check()) unsubscribe = cache.subscribe(() => void check());
  });
}
