/** Jobs: create (by the features that run as jobs), read, list, cancel. The runner runs them. */
import type { Job, JobKind, JobListQuery, Pagination } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { conflict, notFound } from '../../errors.js';
import type { WriteContext } from '../changes/changes.repository.js';
import { jobKind } from './job-kinds.js';
import { createJob, getJob, jobView, listJobs, requestCancel } from './jobs.repository.js';

export interface JobPage {
  jobs: Job[];
  total: number;
  pagination: Pagination;
}

export class JobService {
  /** Hears that a job was created (this instance's runner looks at once instead of polling). */
  private listeners: (() => void)[] = [];

  constructor(private readonly db: Executor) {}

  onCreated(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Queues a job. `executor` may be the transaction that also fixes the job's input, so the job
   * exists exactly when its input does.
   */
  async create(
    kind: JobKind,
    params: Record<string, unknown>,
    context: WriteContext,
    executor: Executor = this.db,
  ): Promise<Job> {
    const definition = jobKind(kind);
    if (definition.placeholder) throw new Error(`job kind ${kind} is not implemented yet`);
    const row = await createJob(executor, { kind, params, unit: definition.unit }, context);
    return jobView(row);
  }

  /** Tells this instance's runner that jobs were created (after their transaction commits). */
  created(): void {
    for (const listener of this.listeners) listener();
  }

  async get(id: number): Promise<Job> {
    const row = await getJob(this.db, id);
    if (!row) throw notFound('job', id);
    return jobView(row);
  }

  async list(query: JobListQuery): Promise<JobPage> {
    const { limit, offset } = query;
    const { rows, total } = await listJobs(
      this.db,
      { state: query.state, kind: query.kind },
      limit,
      offset,
    );
    return {
      jobs: rows.map(jobView),
      total,
      pagination: {
        page: Math.floor(offset / limit) + 1,
        page_size: limit,
        total_items: total,
        total_pages: Math.ceil(total / limit),
        has_next: offset + rows.length < total,
        has_previous: offset > 0,
        next_cursor: null,
      },
    };
  }

  /**
   * Asks a job to stop: a queued job is cancelled at once, a running one after its current
   * batch (its finished batches stay applied). A finished job: 409.
   */
  async cancel(id: number): Promise<Job> {
    const previous = await requestCancel(this.db, id);
    if (previous === undefined) throw notFound('job', id);
    if (previous !== 'queued' && previous !== 'running') {
      throw conflict(`Job ${id} has already finished (${previous}): there is nothing to cancel`, {
        job_id: id,
        state: previous,
      });
    }
    return this.get(id);
  }
}
