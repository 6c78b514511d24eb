/**
 * The one way a write happens: its work, its change set and its cache effects together.
 *
 * `work` runs in a transaction and answers the write's result and its change set (null when it
 * changed nothing). The change set is recorded in that same transaction, so a write and its
 * record commit or roll back as one; then, after the commit, the namespaces its kind bumps are
 * bumped (a bump before the commit could let another instance cache the old state under the
 * new version) and its event goes to `onEvent`.
 */
import type { ChangeNotifier } from '../../cache/namespaces.js';
import type { Executor } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import {
  changeEvent,
  namespacesBumpedBy,
  type ChangeEvent,
  type ChangeKind,
  type ChangePayloads,
} from './change-kinds.js';
import { recordChange, type WriteContext } from './changes.repository.js';

/** Where writes happen and whom they tell. */
export interface ChangeTarget {
  db: Executor;
  notifier: ChangeNotifier;
  /** Hears each committed change's event (live updates will publish it). */
  onEvent?: (event: ChangeEvent) => void;
}

export interface WorkOutcome<Kind extends ChangeKind, Result> {
  result: Result;
  change: ChangePayloads[Kind] | null;
}

export async function applyChange<Kind extends ChangeKind, Result>(
  target: ChangeTarget,
  kind: Kind,
  context: WriteContext,
  work: (transaction: Executor) => Promise<WorkOutcome<Kind, Result>>,
): Promise<Result> {
  return applyDecidedChange(target, context, async (transaction) => ({
    ...(await work(transaction)),
    kind,
  }));
}

/** A write whose kind is decided by its work (a job's batch: an undo records the inverse kind). */
export interface DecidedOutcome<Result> {
  result: Result;
  kind: ChangeKind;
  change: ChangePayloads[ChangeKind] | null;
  /** The change set this write undoes, when the work decides it (else `context.reverts`). */
  reverts?: number | undefined;
}

/**
 * applyChange for a write that knows its kind only once it has run (the job runner, whose
 * batches may name their change kind and the change set they revert: JobBatch).
 */
export async function applyDecidedChange<Result>(
  target: ChangeTarget,
  context: WriteContext,
  work: (transaction: Executor) => Promise<DecidedOutcome<Result>>,
): Promise<Result> {
  const { result, kind, change, changeSetId } = await inTransaction(
    target.db,
    async (transaction) => {
      const outcome = await work(transaction);
      let recorded: number | undefined;
      if (outcome.change) {
        recorded = await recordChange(
          transaction,
          { ...context, reverts: outcome.reverts ?? context.reverts },
          { kind: outcome.kind, ...outcome.change },
        );
      }
      return { ...outcome, changeSetId: recorded };
    },
  );
  if (change) {
    await target.notifier.changed(namespacesBumpedBy(kind, change));
    // Live updates (docs/live-updates.md): this instance's streams hear it at once; the
    // others through the NOTIFY that recordChange sent, delivered by the commit.
    if (changeSetId !== undefined) target.notifier.committed?.(changeSetId);
    target.onEvent?.(changeEvent(kind, context, change));
  }
  return result;
}
