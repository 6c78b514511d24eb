/**
 * Every kind of job, in one table the compiler checks against JOB_KINDS (contract/src/jobs.ts):
 * how it starts, how it runs one batch, whether it resumes after a restart, and its result.
 *
 * The runner (job-runner.ts) does the rest, the same for every kind: it claims the job, calls
 * `start` once (in a transaction: fix what the job works on, count it), then `runBatch` until
 * it answers `finished`, each call in its own transaction that also records the batch's change
 * set (kind `changeKind`, with the job's id) and the job's progress and cursor. Cancel is
 * checked between batches. So a kind only says what one batch does, from the cursor it is given.
 *
 * To add a kind: add it to JOB_KINDS, then define it here (the table does not compile without
 * it). Kinds marked `placeholder` are not implemented yet: creating such a job is refused.
 */
import type { JobKind } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import type { ChangeKind, ChangePayloads } from '../changes/change-kinds.js';
import type { Services } from '../../services.js';
import type { JobRow } from './jobs.repository.js';
import { bulkJobKind } from '../assignments/bulk-by-filter.js';
import { undoJobKind } from '../changes/undo-job.js';

/** What a kind's functions may use: the app's services and the runner's settings. */
export interface JobDeps {
  services: Services;
  /** Units per batch (JOB_BATCH_SIZE). */
  batchSize: number;
}

export interface JobStart {
  /** Units in all (null: not known before the end). */
  total: number | null;
  /** Where the first batch starts. */
  cursor: unknown;
}

/** One batch's outcome; the runner writes it in the batch's transaction. */
export interface JobBatch<Change extends ChangeKind> {
  /** Units this batch finished. */
  done: number;
  /** Added to the job's counters (shown beside the progress bar). */
  counters: Record<string, number>;
  /** Where the next batch starts. */
  cursor: unknown;
  /** No batch follows. */
  finished: boolean;
  /** The batch's change set (recorded with the job's id), or null when it changed nothing. */
  change: ChangePayloads[Change] | null;
  /**
   * The batch's change-set kind when it is not the job kind's `changeKind` (an undo job records
   * the inverse kind of the change set it undoes). The runner records the batch with it.
   */
  changeKind?: ChangeKind;
  /** The change set the batch undoes (an undo job): recorded as the change set's `reverts`. */
  reverts?: number;
}

export interface JobKindDefinition<Change extends ChangeKind = ChangeKind> {
  description: string;
  /** What progress counts ("products", "rows", "change sets"). */
  unit: string;
  /** The change-set kind its batches record; null when it writes no catalog data (export). */
  changeKind: Change | null;
  /**
   * After a restart (its runner died mid-job): true resumes from the last committed batch's
   * cursor; false marks it failed, its committed batches kept.
   */
  resumable: boolean;
  /** The failure message when its runner died mid-job and it cannot resume. */
  interrupted?: (job: JobRow) => string;
  /** Not implemented yet: a job of this kind is never created. */
  placeholder?: true;
  /** Runs once, in a transaction, before the first batch. */
  start(transaction: Executor, job: JobRow, deps: JobDeps): Promise<JobStart>;
  /** One batch, in its own transaction, from `job.cursor`. */
  runBatch(transaction: Executor, job: JobRow, deps: JobDeps): Promise<JobBatch<Change>>;
  /** The job's result summary from its counters (also after a cancel or a failure). */
  result(job: Pick<JobRow, 'counters' | 'done' | 'total' | 'params'>): Record<string, unknown>;
}

/** Erases a definition's change kind so that every kind fits one table. */
function define<Change extends ChangeKind>(
  definition: JobKindDefinition<Change>,
): JobKindDefinition {
  return definition as unknown as JobKindDefinition;
}

/**
 * A kind whose work runs in an HTTP request (an import's upload, an export's download), which
 * owns the job and writes its progress. The runner only meets it when that request's process
 * died (a stale heartbeat): the upload or the download is gone, so it cannot resume and is
 * marked failed with `interrupted` as its message.
 */
function transferJobKind(
  description: string,
  changeKind: ChangeKind | null,
  interrupted: string,
  result: JobKindDefinition['result'],
) {
  const notQueued = () =>
    Promise.reject(new Error(`${description} runs in its request, not in the job runner`));
  return define({
    description,
    unit: 'rows',
    changeKind,
    resumable: false,
    interrupted: () => interrupted,
    start: notQueued,
    runBatch: notQueued,
    result,
  });
}

export const JobKinds = {
  'bulk.assign': define(bulkJobKind('assign', 'bulk.assign')),
  'bulk.remove': define(bulkJobKind('remove', 'bulk.remove')),
  undo: define(undoJobKind()),
  // Run by the request that carries the file (transfer/transfer-jobs.ts), never queued.
  'import.products': transferJobKind(
    'a Shopify product import',
    'import.products',
    'The app stopped during this import and the upload went with it: the batches committed before (see the counters) stay applied; upload the file again to import the rest (an import is idempotent)',
    (job) => ({
      rows_read: job.counters.rows_read ?? 0,
      products_written: job.counters.products_written ?? 0,
    }),
  ),
  'export.csv': transferJobKind(
    'a CSV export',
    null,
    'The app stopped during this export: the download was cut off; export again',
    (job) => ({ rows_written: job.counters.rows_written ?? 0 }),
  ),
} satisfies Record<JobKind, JobKindDefinition>;

export function jobKind(kind: JobKind): JobKindDefinition {
  return JobKinds[kind];
}
