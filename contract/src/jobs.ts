/**
 * Jobs (issue 13): long writes and reads (a bulk change over a filter larger than
 * BULK_MAX_PRODUCTS, the undo of a large change set, an import, a full export) run as jobs.
 * A job is a row in PostgreSQL, claimed by exactly one app instance (row lock), worked in
 * batches of one transaction each, with progress readable at any time and a cancel request.
 *
 * Shared by the server's job table (server/src/features/jobs/job-kinds.ts, keyed by JOB_KINDS)
 * and the web app's job progress.
 */
import { Type, type Static } from 'typebox';
import { Envelope, Id, Nullable, PagedEnvelope, PageQuery } from './common.js';

export const JOB_KINDS = [
  'bulk.assign',
  'bulk.remove',
  'undo',
  'import.products',
  'export.csv',
] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** States a job never leaves. */
export const FINISHED_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

export const JobProgress = Type.Object(
  {
    done: Type.Integer({ minimum: 0, description: 'Units finished (committed batches only)' }),
    total: Nullable(
      Type.Integer({ minimum: 0, description: 'Units in all; null while not yet known' }),
    ),
    unit: Type.String({ description: 'What is counted: "products", "rows", "change sets"' }),
    /** Kind-specific counters shown beside the bar, e.g. rows read and products written. */
    counters: Type.Record(Type.String(), Type.Integer()),
  },
  { additionalProperties: false },
);
export type JobProgress = Static<typeof JobProgress>;

export const JobError = Type.Object(
  { code: Type.String(), message: Type.String() },
  { additionalProperties: false },
);

export const Job = Type.Object(
  {
    id: Id,
    kind: Type.Enum(JOB_KINDS),
    state: Type.Enum(JOB_STATES),
    /** What was asked (the request, normalised): e.g. filter, category_ids. */
    params: Type.Record(Type.String(), Type.Unknown()),
    progress: JobProgress,
    actor: Type.String(),
    created_at: Type.String({ format: 'date-time' }),
    started_at: Nullable(Type.String({ format: 'date-time' })),
    finished_at: Nullable(Type.String({ format: 'date-time' })),
    cancel_requested: Type.Boolean(),
    /** Summary when finished (also after cancel/fail: what the finished batches did). */
    result: Nullable(Type.Record(Type.String(), Type.Unknown())),
    error: Nullable(JobError),
    /** The change sets its batches recorded, oldest first (undo them from History). */
    change_set_ids: Type.Array(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, title: 'Job' },
);
export type Job = Static<typeof Job>;

export const JobResponse = Envelope(Job);

export const JobListQuery = Type.Object(
  {
    ...PageQuery,
    state: Type.Optional(Type.Enum(JOB_STATES, { description: 'Only jobs in this state' })),
    kind: Type.Optional(Type.Enum(JOB_KINDS, { description: 'Only jobs of this kind' })),
  },
  { additionalProperties: false },
);
export type JobListQuery = Static<typeof JobListQuery>;

export const JobListResponse = PagedEnvelope(
  Job,
  Type.Object({ total_jobs: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
);

export const JobIdParams = Type.Object(
  { id: Type.Integer({ minimum: 1, maximum: 2_147_483_647, description: 'The job id' }) },
  { additionalProperties: false },
);

/**
 * Imports and exports as jobs (issue 13): the client reserves the job first
 * (POST /api/transfer-jobs), then names it in the upload or the export (`job_id`) and polls
 * GET /api/jobs/{id} while the request runs. Counters: an import's `rows_read` and
 * `products_written`, an export's `rows_written`.
 */
export const TRANSFER_JOB_KINDS = ['import.products', 'export.csv'] as const;
export const TransferJobBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('import.products'), Type.Literal('export.csv')], {
      description: 'What the next request will do: a product import or a CSV export',
    }),
  },
  { additionalProperties: false },
);
export type TransferJobBody = Static<typeof TransferJobBody>;

/** `job_id` of an import or export request: the job reserved for it. */
export const TransferJobQuery = {
  job_id: Type.Optional(
    Type.Integer({
      minimum: 1,
      description:
        'A job reserved with POST /api/transfer-jobs for this request: its progress is written there (poll GET /api/jobs/{id}). Without it the request records a job of its own.',
    }),
  ),
};
