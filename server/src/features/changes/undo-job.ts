/**
 * The `undo` job kind (issue 13): the undo of an assignments change set larger than
 * BULK_MAX_PRODUCTS, in batches of its products (JOB_BATCH_SIZE), each batch its own transaction
 * and its own change set reverting the same change set (with the job's id). Params:
 * `{ change_set_id, mode }`; the cursor is the index of the next product in the change's list.
 *
 * A batch answers its change set's kind (the inverse kind of the change undone, from the
 * change-kind table) and `reverts` with it: the runner records the batch with both.
 *
 * Strict mode is checked before the job is created (a dry run over every batch): a job then
 * runs in skip_conflicts mode, so that a conflict appearing while it runs is skipped and counted
 * instead of failing the job half-way.
 */
import type { JobBatch, JobKindDefinition } from '../jobs/job-kinds.js';
import { findChange, undoneBy } from './changes.repository.js';
import { notFound } from '../../errors.js';

/**
 * One change set (`change_set_id`: POST /api/changes/{id}/undo of a large one), or every change
 * set of a job, newest first (`job_id` and `change_set_ids`, fixed when the undo was asked:
 * POST /api/jobs/{id}/undo).
 */
export interface UndoJobParams {
  change_set_id?: number;
  job_id?: number;
  change_set_ids?: number[];
  mode: 'strict' | 'skip_conflicts';
}

/** Where the job is: the change set (its position in the list) and its next product. */
interface UndoCursor {
  change: number;
  from: number;
}

const changeSetsOf = (params: UndoJobParams): number[] =>
  params.change_set_ids ?? (params.change_set_id === undefined ? [] : [params.change_set_id]);

/** A cursor stored before job undos existed was the product position in the one change set. */
const cursorOf = (stored: unknown): UndoCursor =>
  typeof stored === 'number'
    ? { change: 0, from: stored }
    : ((stored as UndoCursor | null) ?? { change: 0, from: 0 });

export function undoJobKind(): JobKindDefinition<'bulk.remove'> {
  return {
    description: 'the undo of a large change set, or of a job, in batches of products',
    unit: 'products',
    // The usual inverse (of a bulk assign); each batch names its own (JobBatch.changeKind).
    changeKind: 'bulk.remove',
    resumable: true,
    async start(transaction, job, deps) {
      const params = job.params as unknown as UndoJobParams;
      let total = 0;
      for (const id of changeSetsOf(params)) {
        const change = await findChange(transaction, id);
        if (!change) throw notFound('change set', id);
        total += deps.services.undo.deltasOf(change)?.length ?? 0;
      }
      return { total, cursor: { change: 0, from: 0 } };
    },
    async runBatch(transaction, job, deps): Promise<JobBatch<'bulk.remove'>> {
      const params = job.params as unknown as UndoJobParams;
      const ids = changeSetsOf(params);
      let { change: position, from } = cursorOf(job.cursor);
      // A change set someone else undid meanwhile is passed over (its products are counted).
      for (;;) {
        const id = ids[position];
        if (id === undefined) {
          return {
            done: 0,
            counters: {},
            cursor: { change: position, from: 0 },
            finished: true,
            change: null,
          };
        }
        const change = await findChange(transaction, id);
        if (!change) throw notFound('change set', id);
        const deltas = deps.services.undo.deltasOf(change) ?? [];
        if (from === 0 && (await undoneBy(transaction, id, job.id)) !== null) {
          position += 1;
          if (deltas.length > 0) {
            return {
              done: deltas.length,
              counters: { skipped_change_sets: 1 },
              cursor: { change: position, from: 0 },
              finished: position >= ids.length,
              change: null,
            };
          }
          continue;
        }
        const slice = deltas.slice(from, from + deps.batchSize);
        const batch = await deps.services.undo.batchIn(
          transaction,
          change,
          slice,
          { mode: 'skip_conflicts', dryRun: false },
          job.id,
        );
        from += slice.length;
        if (from >= deltas.length) {
          position += 1;
          from = 0;
        }
        return {
          done: slice.length,
          counters: {
            undone_products: batch.result.undone_products,
            skipped_products: batch.result.skipped.length,
          },
          cursor: { change: position, from },
          finished: position >= ids.length,
          change: batch.change as never,
          changeKind: batch.kind,
          reverts: change.id,
        };
      }
    },
    result: (job) => {
      const params = job.params as unknown as UndoJobParams;
      return {
        ...job.counters,
        ...(params.job_id === undefined
          ? { change_set_id: params.change_set_id }
          : { job_id: params.job_id, change_sets: changeSetsOf(params).length }),
      };
    },
  };
}
