/**
 * The job runner: one per app instance (JOB_RUNNER). It claims a job (jobs.repository.ts
 * claimJob: FOR UPDATE SKIP LOCKED), starts it once, then runs its batches, each in one
 * transaction that
 *   1. locks the job row, checking that this runner still owns it and it is still running,
 *   2. runs the kind's batch (its data writes),
 *   3. records the batch's change set (with the job's id) through applyChange,
 *   4. advances the job's progress and cursor and heartbeats,
 * and commits them together: a batch is all there or not at all, and the job row always says
 * which batches are done. Cancel is read between batches; so is a shutdown (the job goes back
 * to the queue and the next runner resumes it). A runner that died (SIGKILL, a lost machine)
 * leaves its job `running` with a stale heartbeat; after JOB_STALE_SECONDS any runner claims
 * it and, for a resumable kind, continues from the cursor of the last committed batch; a kind
 * that cannot resume is marked failed, its committed batches kept. (docs/jobs.md)
 */
import { randomUUID } from 'node:crypto';
import type { ChangeNotifier } from '../../cache/namespaces.js';
import type { Executor } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import { applyDecidedChange } from '../changes/apply-change.js';
import type { WriteContext } from '../changes/changes.repository.js';
import { jobKind, type JobDeps } from './job-kinds.js';
import {
  advanceJob,
  claimJob,
  deleteJobItems,
  finishJob,
  getJob,
  lockOwnedJob,
  releaseJob,
  type JobRow,
} from './jobs.repository.js';

export interface RunnerOptions {
  pollMs: number;
  staleSeconds: number;
  batchSize: number;
  log: {
    info(object: object, message: string): void;
    error(object: object, message: string): void;
  };
}

/** Thrown inside a batch's transaction when the job is no longer this runner's: rolls it back. */
class JobLost extends Error {}

export class JobRunner {
  /** This instance's id, written as the owner of the jobs it runs. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Executor,
    private readonly notifier: ChangeNotifier,
    private readonly deps: Omit<JobDeps, 'batchSize'>,
    private readonly options: RunnerOptions,
  ) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Looks for a job now (one was just created). */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops after the batch in progress; its job goes back to the queue. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      try {
        worked = await this.runOne();
      } catch (error) {
        this.options.log.error({ err: error }, 'job runner: claim failed');
      }
      if (!worked && !this.stopping) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = () => {
        clearTimeout(this.timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.timer = setTimeout(this.wakeUp, this.options.pollMs);
    });
  }

  /** Claims and runs one job; false when there was none. */
  async runOne(): Promise<boolean> {
    const claimed = await claimJob(this.db, this.owner, this.options.staleSeconds);
    if (!claimed) return false;
    const { job, previousState } = claimed;
    const definition = jobKind(job.kind);
    const resumed = previousState === 'running';
    this.options.log.info(
      { job_id: job.id, kind: job.kind, resumed, attempts: job.attempts },
      resumed ? 'job: taken over from a stopped runner' : 'job: started',
    );
    if (resumed && !definition.resumable) {
      await this.end(job.id, {
        state: 'failed',
        result: definition.result(job),
        error: {
          code: 'INTERRUPTED',
          message:
            definition.interrupted?.(job) ??
            `The app stopped during this job; its ${job.done} finished ${job.unit} stay applied`,
        },
      });
      return true;
    }
    try {
      await this.work(job);
    } catch (error) {
      if (error instanceof JobLost) return true;
      this.options.log.error({ err: error, job_id: job.id }, 'job failed');
      const latest = (await getJob(this.db, job.id)) ?? job;
      await this.end(job.id, {
        state: 'failed',
        result: definition.result(latest),
        error: {
          code: 'JOB_FAILED',
          message: error instanceof Error ? error.message : String(error),
        },
      });
    }
    return true;
  }

  private async work(claimed: JobRow): Promise<void> {
    const definition = jobKind(claimed.kind);
    const deps: JobDeps = { ...this.deps, batchSize: this.options.batchSize };
    const context: WriteContext = {
      actor: claimed.actor,
      source: claimed.source,
      requestId: claimed.request_id ?? undefined,
      jobId: claimed.id,
    };
    if (claimed.cursor === null) {
      await inTransaction(this.db, async (transaction) => {
        const job = await this.own(transaction, claimed.id);
        const started = await definition.start(transaction, job, deps);
        await advanceJob(transaction, job.id, {
          done: 0,
          counters: {},
          cursor: started.cursor,
          total: started.total,
        });
      });
    }
    for (;;) {
      const current = await getJob(this.db, claimed.id);
      if (!current || current.owner !== this.owner || current.state !== 'running') return;
      if (current.cancel_requested) {
        await this.finish(current, 'cancelled');
        return;
      }
      if (this.stopping) {
        await releaseJob(this.db, current.id, this.owner);
        this.options.log.info({ job_id: current.id }, 'job: released at shutdown');
        return;
      }
      let finished = false;
      const fallbackKind = definition.changeKind;
      const step = async (transaction: Executor) => {
        const job = await this.own(transaction, claimed.id);
        const batch = await definition.runBatch(transaction, job, deps);
        await advanceJob(transaction, job.id, batch);
        finished = batch.finished;
        // A batch may name its own change kind and the change set it reverts (an undo job).
        return {
          result: undefined,
          kind: batch.changeKind ?? fallbackKind!,
          change: batch.change as never,
          reverts: batch.reverts,
        };
      };
      if (fallbackKind) await applyDecidedChange(this.target(), context, step);
      else await inTransaction(this.db, step);
      if (finished) {
        const done = (await getJob(this.db, claimed.id))!;
        await this.finish(done, 'succeeded');
        return;
      }
    }
  }

  private target() {
    return { db: this.db, notifier: this.notifier };
  }

  /** The job, locked for this transaction, while this runner owns it; else the batch rolls back. */
  private async own(transaction: Executor, id: number): Promise<JobRow> {
    const job = await lockOwnedJob(transaction, id, this.owner);
    if (!job) throw new JobLost();
    return job;
  }

  private async finish(job: JobRow, state: 'succeeded' | 'cancelled'): Promise<void> {
    const definition = jobKind(job.kind);
    const finished = await this.end(job.id, { state, result: definition.result(job) });
    if (finished) this.options.log.info({ job_id: job.id, state, done: job.done }, 'job: finished');
  }

  /** Ends a job and drops its snapshot in one transaction (a reader never sees one without the other). */
  private end(id: number, outcome: Parameters<typeof finishJob>[3]): Promise<boolean> {
    return inTransaction(this.db, async (transaction) => {
      const ended = await finishJob(transaction, id, this.owner, outcome);
      if (ended) await deleteJobItems(transaction, id);
      return ended;
    });
  }
}
