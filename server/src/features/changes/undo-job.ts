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
import type { JobKindDefinition } from '../jobs/job-kinds.js';
import { findChange } from './changes.repository.js';
import { notFound } from '../../errors.js';

export interface UndoJobParams {
  change_set_id: number;
  mode: 'strict' | 'skip_conflicts';
}

export function undoJobKind(): JobKindDefinition<'bulk.remove'> {
  return {
    description: 'the undo of a large change set, in batches of its products',
    unit: 'products',
    // The usual inverse (of a bulk assign); each batch names its own (JobBatch.changeKind).
    changeKind: 'bulk.remove',
    resumable: true,
    async start(transaction, job, deps) {
      const params = job.params as unknown as UndoJobParams;
      const change = await findChange(transaction, params.change_set_id);
      if (!change) throw notFound('change set', params.change_set_id);
      const deltas = deps.services.undo.deltasOf(change) ?? [];
      return { total: deltas.length, cursor: 0 };
    },
    async runBatch(transaction, job, deps) {
      const params = job.params as unknown as UndoJobParams;
      const change = await findChange(transaction, params.change_set_id);
      if (!change) throw notFound('change set', params.change_set_id);
      const deltas = deps.services.undo.deltasOf(change) ?? [];
      const from = typeof job.cursor === 'number' ? job.cursor : 0;
      const slice = deltas.slice(from, from + deps.batchSize);
      const batch = await deps.services.undo.batchIn(
        transaction,
        change,
        slice,
        { mode: 'skip_conflicts', dryRun: false },
        job.id,
      );
      const next = from + slice.length;
      return {
        done: slice.length,
        counters: {
          undone_products: batch.result.undone_products,
          skipped_products: batch.result.skipped.length,
        },
        cursor: next,
        finished: next >= deltas.length,
        change: batch.change as never,
        changeKind: batch.kind,
        reverts: change.id,
      };
    },
    result: (job) => ({ ...job.counters, change_set_id: job.params.change_set_id }),
  };
}
