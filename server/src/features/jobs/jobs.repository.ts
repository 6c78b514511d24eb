/**
 * The jobs table: create, read, list, claim, advance, finish, cancel. Ids are the jobs' bigint
 * ids (numbers). Every write that a runner makes after its claim names the runner (`owner`), so
 * a runner that lost its job (its heartbeat went stale and another instance took it over)
 * changes nothing: its batch transaction finds the job no longer its own and rolls back.
 */
import type { Job, JobKind, JobState } from '@tag-manager/contract';
import { sql, type SQL } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { isoTime } from '../../db/sql.js';
import type { WriteContext } from '../changes/changes.repository.js';

/** A job as stored (snake case, as the API names it, plus the runner's columns). */
export interface JobRow {
  id: number;
  kind: JobKind;
  state: JobState;
  params: Record<string, unknown>;
  done: number;
  total: number | null;
  unit: string;
  counters: Record<string, number>;
  actor: string;
  source: WriteContext['source'];
  request_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  owner: string | null;
  attempts: number;
  cancel_requested: boolean;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
  cursor: unknown;
  change_set_ids: number[];
}

const columns = sql`j.id, j.kind, j.state, j.params, j.done, j.total, j.unit, j.counters, j.actor,
  j.source, j.request_id, ${isoTime(sql`j.created_at`)} as created_at,
  ${isoTime(sql`j.started_at`)} as started_at, ${isoTime(sql`j.finished_at`)} as finished_at,
  j.owner, j.attempts, j.cancel_requested, j.result, j.error, j.cursor,
  array(select cs.id from change_sets cs where cs.job_id = j.id order by cs.id) as change_set_ids`;

/** The API's view of a job row. */
export function jobView(row: JobRow): Job {
  return {
    id: row.id,
    kind: row.kind,
    state: row.state,
    params: row.params,
    progress: { done: row.done, total: row.total, unit: row.unit, counters: row.counters },
    actor: row.actor,
    created_at: row.created_at,
    started_at: row.started_at,
    finished_at: row.finished_at,
    cancel_requested: row.cancel_requested,
    result: row.result,
    error: row.error,
    change_set_ids: row.change_set_ids.map(Number),
  };
}

export interface NewJob {
  kind: JobKind;
  params: Record<string, unknown>;
  unit: string;
  total?: number | null;
}

export async function createJob(
  executor: Executor,
  job: NewJob,
  context: WriteContext,
): Promise<JobRow> {
  const created = await queryOne<{ id: number }>(
    executor,
    sql`insert into jobs (kind, params, unit, total, actor, source, request_id)
        values (${job.kind}, ${JSON.stringify(job.params)}::jsonb, ${job.unit}, ${job.total ?? null},
                ${context.actor}, ${context.source}, ${context.requestId ?? null})
        returning id`,
  );
  return (await getJob(executor, created!.id))!;
}

export function getJob(executor: Executor, id: number): Promise<JobRow | undefined> {
  return queryOne<JobRow>(executor, sql`select ${columns} from jobs j where j.id = ${id}`);
}

export interface JobFilter {
  state?: JobState | undefined;
  kind?: JobKind | undefined;
}

export async function listJobs(
  executor: Executor,
  filter: JobFilter,
  limit: number,
  offset: number,
): Promise<{ rows: JobRow[]; total: number }> {
  const conditions: SQL[] = [sql`true`];
  if (filter.state) conditions.push(sql`j.state = ${filter.state}`);
  if (filter.kind) conditions.push(sql`j.kind = ${filter.kind}`);
  const where = sql.join(conditions, sql` and `);
  const rows = await queryRows<JobRow>(
    executor,
    sql`select ${columns} from jobs j where ${where} order by j.id desc limit ${limit} offset ${offset}`,
  );
  const total = await queryOne<{ total: number }>(
    executor,
    sql`select count(*)::int as total from jobs j where ${where}`,
  );
  return { rows, total: total?.total ?? 0 };
}

/**
 * Asks a job to stop. A queued job is cancelled at once; a running one is flagged, and its
 * runner stops after the batch in progress. Answers the job's state before the request (or
 * undefined when there is no such job); a finished job is left as it is.
 */
export async function requestCancel(executor: Executor, id: number): Promise<JobState | undefined> {
  const row = await queryOne<{ previous: JobState }>(
    executor,
    sql`with target as (select id, state from jobs where id = ${id} for update)
        update jobs j
           set cancel_requested = case when t.state in ('queued', 'running') then true else j.cancel_requested end,
               state = case when t.state = 'queued' then 'cancelled' else j.state end,
               finished_at = case when t.state = 'queued' then now() else j.finished_at end
          from target t
         where j.id = t.id
        returning t.state as previous`,
  );
  return row?.previous;
}

/**
 * Claims the oldest job this runner may run: a queued one, or a running one whose owner has not
 * heartbeated for `staleSeconds` (its process died). `FOR UPDATE SKIP LOCKED`: two runners
 * claiming at once take different jobs, and a job whose batch is in progress (its row is locked
 * by that batch) is never taken. Answers the job and the state it was claimed from.
 */
export async function claimJob(
  executor: Executor,
  owner: string,
  staleSeconds: number,
): Promise<{ job: JobRow; previousState: JobState; previousOwner: string | null } | undefined> {
  const claimed = await queryOne<{
    id: number;
    previous_state: JobState;
    previous_owner: string | null;
  }>(
    executor,
    sql`with candidate as (
          select id, state, owner from jobs
           where state = 'queued'
              or (state = 'running' and heartbeat_at < now() - make_interval(secs => ${staleSeconds}))
           order by id
           limit 1
           for update skip locked)
        update jobs j
           set state = 'running', owner = ${owner}, heartbeat_at = now(),
               attempts = j.attempts + 1, started_at = coalesce(j.started_at, now())
          from candidate c
         where j.id = c.id
        returning j.id, c.state as previous_state, c.owner as previous_owner`,
  );
  if (!claimed) return undefined;
  const job = (await getJob(executor, claimed.id))!;
  return { job, previousState: claimed.previous_state, previousOwner: claimed.previous_owner };
}

/**
 * Locks the job row for one batch, if this runner still owns it and it is still running.
 * Holding the lock for the batch's transaction keeps every other runner's claim away from it.
 */
export function lockOwnedJob(
  executor: Executor,
  id: number,
  owner: string,
): Promise<JobRow | undefined> {
  return queryOne<JobRow>(
    executor,
    sql`select ${columns} from jobs j
         where j.id = ${id} and j.owner = ${owner} and j.state = 'running'
         for update`,
  );
}

export interface Advance {
  /** Units finished by this batch. */
  done: number;
  /** Added to the job's counters. */
  counters: Record<string, number>;
  /** Where the next batch starts. */
  cursor: unknown;
  /** Set when the start counted them. */
  total?: number | null | undefined;
}

/** Records one batch's progress (in the batch's own transaction) and heartbeats. */
export async function advanceJob(executor: Executor, id: number, advance: Advance): Promise<void> {
  const counters = Object.entries(advance.counters);
  const merged =
    counters.length === 0
      ? sql`counters`
      : sql`(select coalesce(jsonb_object_agg(key, value), '{}'::jsonb) from (
               select key, sum(value::bigint) as value
                 from (select key, value::text as value from jsonb_each(counters)
                       union all
                       select key, value::text from jsonb_each(${JSON.stringify(advance.counters)}::jsonb)) parts
                group by key) summed)`;
  await executor.execute(
    sql`update jobs
           set done = done + ${advance.done}, counters = ${merged},
               cursor = ${JSON.stringify(advance.cursor ?? null)}::jsonb,
               total = ${advance.total === undefined ? sql`total` : sql`${advance.total}`},
               heartbeat_at = now()
         where id = ${id}`,
  );
}

/** Ends a job (the runner's last write, only while it owns it). */
export async function finishJob(
  executor: Executor,
  id: number,
  owner: string,
  outcome: {
    state: 'succeeded' | 'failed' | 'cancelled';
    result: Record<string, unknown> | null;
    error?: { code: string; message: string } | null;
  },
): Promise<boolean> {
  const rows = await queryRows<{ id: number }>(
    executor,
    sql`update jobs
           set state = ${outcome.state}, result = ${JSON.stringify(outcome.result)}::jsonb,
               error = ${JSON.stringify(outcome.error ?? null)}::jsonb,
               finished_at = now(), heartbeat_at = now()
         where id = ${id} and owner = ${owner} and state = 'running'
         returning id`,
  );
  return rows.length > 0;
}

/** Gives a job back to the queue (a clean shutdown between batches): any runner resumes it. */
export async function releaseJob(executor: Executor, id: number, owner: string): Promise<void> {
  await executor.execute(
    sql`update jobs set state = 'queued', owner = null
         where id = ${id} and owner = ${owner} and state = 'running'`,
  );
}

/** Change sets recorded by a job's batches, and job items no longer needed, go with success. */
export async function deleteJobItems(executor: Executor, id: number): Promise<void> {
  await executor.execute(sql`delete from job_items where job_id = ${id}`);
}
