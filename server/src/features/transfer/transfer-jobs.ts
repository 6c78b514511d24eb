/**
 * Imports and full exports as jobs (issue 13): the work runs in the HTTP request that carries
 * the file (an upload is streamed, never stored; an export streams its answer), not in the job
 * runner. The request owns its job row from start to end: it writes the progress after every
 * batch (rows read, products written; rows written for an export) and heartbeats on a timer, so
 * GET /api/jobs/{id} shows the progress while the request runs.
 *
 * The job id is known before the file is sent: the client reserves the job
 * (POST /api/transfer-jobs, answered at once) and names it in the upload or the export
 * (`?job_id=`). The upload's own answer comes only when the import is done, and HTTP/1.1 cannot
 * send a status and headers early and then change its mind; a reserved id is the simplest way for
 * the browser to poll while its upload runs. Without `job_id` the request records a job itself
 * (integrations see it in GET /api/jobs).
 *
 * A process that dies mid-transfer leaves its job `running` with a stale heartbeat: the job runner
 * of any instance takes it over after JOB_STALE_SECONDS and, because these kinds cannot resume
 * (the upload is gone with the connection), ends it as failed with its progress (job-kinds.ts).
 * A reserved job whose request never comes ends the same way.
 */
import { randomUUID } from 'node:crypto';
import type { Job, JobKind } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { queryOne, type Executor } from '../../db/client.js';
import { AppError, conflict, notFound } from '../../errors.js';
import type { WriteContext } from '../changes/changes.repository.js';
import { advanceJob, getJob, jobView } from '../jobs/jobs.repository.js';

export type TransferKind = Extract<JobKind, 'import.products' | 'export.csv'>;
export const TRANSFER_KINDS: readonly TransferKind[] = ['import.products', 'export.csv'];

const UNIT: Record<TransferKind, string> = { 'import.products': 'rows', 'export.csv': 'rows' };

/** Owner of a reserved job whose request has not arrived yet. */
const RESERVED = 'reserved';

export class TransferJobs {
  /** This instance's owner name for the jobs its requests run. */
  readonly owner = `transfer-${process.pid}-${randomUUID()}`;

  constructor(
    private readonly db: Executor,
    /** How often a running transfer heartbeats (a third of JOB_STALE_SECONDS). */
    private readonly heartbeatMs: number,
  ) {}

  /** A job for a transfer about to be sent: running, waiting for its request. */
  async reserve(kind: TransferKind, context: WriteContext): Promise<Job> {
    const row = await queryOne<{ id: number }>(
      this.db,
      sql`insert into jobs (kind, state, params, unit, actor, source, request_id, owner,
                            heartbeat_at, started_at, attempts)
          values (${kind}, 'running', '{}'::jsonb, ${UNIT[kind]}, ${context.actor},
                  ${context.source}, ${context.requestId ?? null}, ${RESERVED}, now(), now(), 1)
          returning id`,
    );
    return jobView((await getJob(this.db, row!.id))!);
  }

  /**
   * The job of a transfer request: the reserved one it names (taken over by this request), or a
   * new one. A job that is not a reserved transfer of this kind → 404/409; nothing starts.
   */
  async begin(
    kind: TransferKind,
    jobId: number | undefined,
    params: Record<string, unknown>,
    context: WriteContext,
  ): Promise<TransferJob> {
    if (jobId !== undefined) {
      // Checked without writing: a refused request leaves the reserved job as it was. The job is
      // taken over by the first committed batch (or the end), in that write's transaction.
      const existing = await getJob(this.db, jobId);
      if (!existing || !TRANSFER_KINDS.includes(existing.kind as TransferKind))
        throw notFound('job', jobId, `No reserved transfer job ${jobId}`);
      if (existing.kind !== kind || existing.state !== 'running' || existing.owner !== RESERVED)
        throw notReserved(jobId, kind, existing);
      return new TransferJob(this.db, jobId, this.owner, this.heartbeatMs, false, params);
    }
    const own = await this.reserve(kind, context);
    const job = new TransferJob(this.db, own.id, this.owner, this.heartbeatMs, true, params);
    await job.take(this.db);
    return job;
  }
}

function notReserved(
  id: number,
  kind: TransferKind,
  existing: { kind: string; state: string; owner: string | null },
): AppError {
  return conflict(
    `Job ${id} is not a reserved ${kind} job waiting for its request (it is a ${existing.kind} job, ${existing.state}${existing.owner && existing.owner !== RESERVED ? ', already taken by a request' : ''})`,
    { job_id: id, kind: existing.kind, state: existing.state },
  );
}

/** One transfer's job, owned by the request that runs it. */
export class TransferJob {
  private readonly timer: NodeJS.Timeout;
  private ended = false;
  private taken = false;

  constructor(
    private readonly db: Executor,
    readonly id: number,
    private readonly owner: string,
    heartbeatMs: number,
    /** Created by the request itself (no `job_id`), not reserved by a client that follows it. */
    private readonly own: boolean,
    private readonly params: Record<string, unknown>,
  ) {
    // Between batches a slow upload can take long: the heartbeat says the request still lives.
    this.timer = setInterval(() => {
      void this.db
        .execute(
          sql`update jobs set heartbeat_at = now()
               where id = ${this.id} and owner = ${this.owner} and state = 'running'`,
        )
        .catch(() => {});
    }, heartbeatMs);
    this.timer.unref();
  }

  /** Makes the job this request's (a reserved one: once, in the first write's transaction). */
  async take(executor: Executor): Promise<void> {
    if (this.taken) return;
    const taken = await queryOne<{ id: number }>(
      executor,
      sql`update jobs set owner = ${this.owner}, heartbeat_at = now(),
                          params = ${JSON.stringify(this.params)}::jsonb
           where id = ${this.id} and state = 'running' and owner in (${RESERVED}, ${this.owner})
           returning id`,
    );
    if (!taken) {
      const existing = await getJob(executor, this.id);
      throw notReserved(
        this.id,
        'import.products',
        existing ?? { kind: '?', state: 'gone', owner: null },
      );
    }
    this.taken = true;
  }

  /** One batch's progress; `executor` is the batch's transaction when it writes data. */
  async advance(
    done: number,
    counters: Record<string, number>,
    executor: Executor = this.db,
  ): Promise<void> {
    await this.take(executor);
    await advanceJob(executor, this.id, { done, counters, cursor: null });
  }

  /** The amount of work, when it is known exactly (an export: the products it will write). */
  async setTotal(total: number): Promise<void> {
    await this.take(this.db);
    await this.db.execute(
      sql`update jobs set total = ${total}
           where id = ${this.id} and owner = ${this.owner} and state = 'running'`,
    );
  }

  async succeed(result: Record<string, unknown>): Promise<void> {
    await this.take(this.db);
    await this.end('succeeded', result, null);
  }

  /**
   * A refused request changes nothing stored: the request's own job goes when none of its
   * batches wrote catalog data (no change set names it). A reserved job (a client follows it)
   * and one whose batches wrote data stay, failed, with their progress.
   */
  async fail(error: unknown, result: Record<string, unknown> = {}): Promise<void> {
    // A reserved job that no batch took over stays as it was (the request's answer says why; the
    // runner ends it as failed after JOB_STALE_SECONDS).
    if (!this.own && !this.taken) {
      this.ended = true;
      clearInterval(this.timer);
      return;
    }
    if (this.own && !this.ended) {
      const deleted = await queryOne<{ id: number }>(
        this.db,
        sql`delete from jobs j where j.id = ${this.id} and j.owner = ${this.owner}
               and not exists (select 1 from change_sets cs where cs.job_id = j.id)
             returning j.id`,
      ).catch(() => undefined);
      if (deleted) {
        this.ended = true;
        clearInterval(this.timer);
        return;
      }
    }
    const code = error instanceof AppError ? error.code : 'JOB_FAILED';
    const message = error instanceof Error ? error.message : String(error);
    await this.end('failed', result, { code, message }).catch(() => {});
  }

  private async end(
    state: 'succeeded' | 'failed',
    result: Record<string, unknown>,
    error: { code: string; message: string } | null,
  ): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.timer);
    await this.db.execute(
      sql`update jobs set state = ${state}, result = ${JSON.stringify(result)}::jsonb,
                          error = ${JSON.stringify(error)}::jsonb, finished_at = now(),
                          heartbeat_at = now()
           where id = ${this.id} and owner = ${this.owner} and state = 'running'`,
    );
  }
}
