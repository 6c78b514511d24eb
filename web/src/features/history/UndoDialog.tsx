/**
 * Undo of one change set, or of every change set of a job (one request: POST /api/jobs/{id}/undo
 * checks them all and answers one undo job): a dry run first, then the confirmation. When a later change touched the same products and categories the server
 * answers 409 with the conflicts; they are listed, and "Undo the rest" undoes the products
 * without one (`mode: "skip_conflicts"`). A large undo is a job: its progress bar is shown.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { ChangeSet, UndoConflict, UndoRequest } from '@tag-manager/contract';
import { api, ApiError, type UndoAnswer } from '../../api/client';
import { useCategoryTree } from '../../api/queries';
import { Dialog } from '../../components/Dialog';
import { useToasts } from '../../components/Toasts';
import { JobProgress } from '../jobs/JobProgress';
import { onJobFinished, trackJob, waitForJob } from '../jobs/jobs';

type Mode = 'strict' | 'skip_conflicts';
type Phase =
  | { step: 'checking' }
  | { step: 'ready'; undone: number; rest: number; conflicts: UndoConflict[] }
  | { step: 'running'; position: number; jobId: number | null }
  | { step: 'done'; undone: number; skipped: UndoConflict[] }
  | { step: 'failed'; message: string; conflicts: UndoConflict[] };

/** The conflicts of a 409 (its `details.conflicts`). */
export function conflictsOf(error: unknown): UndoConflict[] | null {
  if (!(error instanceof ApiError) || error.status !== 409) return null;
  const listed = error.details.conflicts;
  return Array.isArray(listed) ? (listed as UndoConflict[]) : [];
}

/** How long to wait after a 429 before the next undo request (undos share the bulk limit). */
const RATE_LIMIT_WAIT_MS = 3000;

/** What the dialog undoes: change sets (one request each), or everything a job recorded. */
export type UndoTarget = { changes: ChangeSet[] } | { jobId: number; changeCount: number };

/** One request per unit of the target. */
function requestsOf(target: UndoTarget): ((body: UndoRequest) => Promise<UndoAnswer>)[] {
  if ('jobId' in target) return [(body) => api.undoJob(target.jobId, body)];
  return target.changes.map((change) => (body) => api.undoChange(change.id, body));
}

/**
 * One undo request; a 429 (undos count in the bulk rate-limit group) waits and asks again while
 * the dialog is open.
 */
async function undoWithRetry(
  alive: { current: boolean },
  send: (body: UndoRequest) => Promise<UndoAnswer>,
  body: UndoRequest,
): Promise<UndoAnswer> {
  for (;;) {
    try {
      return await send(body);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 429 || !alive.current) throw error;
      await new Promise((resolve) => setTimeout(resolve, RATE_LIMIT_WAIT_MS));
    }
  }
}

const plural = (count: number, one: string, many: string) =>
  `${count.toLocaleString('en')} ${count === 1 ? one : many}`;

export function UndoDialog({
  target,
  title,
  onClose,
}: {
  /** The change sets to undo, newest first, or a job. */
  target: UndoTarget;
  title: string;
  onClose: () => void;
}) {
  const requests = requestsOf(target);
  const queryClient = useQueryClient();
  const { show } = useToasts();
  const [phase, setPhase] = useState<Phase>({ step: 'checking' });
  // What is counted: products, or categories for a change to the taxonomy.
  const [one, many] =
    'changes' in target && target.changes.every((change) => change.product_ids.length === 0)
      ? ['category', 'categories']
      : ['product', 'products'];
  const alive = useRef(true);
  useEffect(() => {
    alive.current = true; // again after StrictMode's unmount and remount in development
    return () => {
      alive.current = false;
    };
  }, []);
  const set = (next: Phase) => alive.current && setPhase(next);

  // The dry run: what each undo would do, and its conflicts.
  useEffect(() => {
    let cancelled = false;
    void (async () => {
      let undone = 0;
      let rest = 0;
      const conflicts: UndoConflict[] = [];
      try {
        for (const send of requests) {
          try {
            const answer = await undoWithRetry(alive, send, { dry_run: true, mode: 'strict' });
            const count =
              answer.kind === 'done'
                ? answer.result.undone_products + answer.result.undone_categories
                : 0;
            undone += count;
            rest += count;
          } catch (error) {
            const listed = conflictsOf(error);
            if (!listed) throw error;
            conflicts.push(...listed);
            const answer = await undoWithRetry(alive, send, {
              dry_run: true,
              mode: 'skip_conflicts',
            });
            if (answer.kind === 'done')
              rest += answer.result.undone_products + answer.result.undone_categories;
          }
        }
        if (!cancelled) set({ step: 'ready', undone, rest, conflicts });
      } catch (error) {
        if (!cancelled)
          set({
            step: 'failed',
            message: (error as Error).message,
            conflicts: conflictsOf(error) ?? [],
          });
      }
    })();
    return () => {
      cancelled = true;
    };
    // Once, when the dialog opens.
  }, []);

  const run = async (mode: Mode) => {
    let undone = 0;
    const skipped: UndoConflict[] = [];
    try {
      for (const [position, send] of requests.entries()) {
        set({ step: 'running', position, jobId: null });
        const answer = await undoWithRetry(alive, send, { mode });
        if (answer.kind === 'job') {
          trackJob(queryClient, answer.job);
          set({ step: 'running', position, jobId: answer.job.id });
          const job = await waitForJob(queryClient, answer.job.id);
          if (job.state !== 'succeeded') {
            throw new Error(job.error?.message ?? `The undo job ended ${job.state}`);
          }
          undone += job.progress.done;
        } else {
          undone += answer.result.undone_products + answer.result.undone_categories;
          skipped.push(...answer.result.skipped);
        }
      }
      onJobFinished(queryClient);
      set({ step: 'done', undone, skipped });
      show({
        kind: 'success',
        title: 'Undone',
        message: `${plural(undone, one, many)} restored`,
        topic: 'history.undo',
      });
    } catch (error) {
      onJobFinished(queryClient);
      set({
        step: 'failed',
        message: (error as Error).message,
        conflicts: conflictsOf(error) ?? [],
      });
    }
  };

  const running = phase.step === 'running' || phase.step === 'checking';
  return (
    <Dialog
      title={title}
      size="large"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            {phase.step === 'done' ? 'Close' : 'Cancel'}
          </button>
          {phase.step === 'ready' && phase.conflicts.length === 0 && (
            <button
              type="button"
              className="button button-danger"
              onClick={() => void run('strict')}
              disabled={phase.undone === 0}
              data-testid="undo-confirm"
            >
              Undo {plural(phase.undone, one, many)}
            </button>
          )}
          {(phase.step === 'ready' || phase.step === 'failed') && phase.conflicts.length > 0 && (
            <button
              type="button"
              className="button button-danger"
              onClick={() => void run('skip_conflicts')}
              data-testid="undo-rest"
            >
              Undo the rest
            </button>
          )}
        </>
      }
    >
      <div aria-busy={running} data-testid="undo-dialog">
        {phase.step === 'checking' && <p role="status">Checking what the undo would do…</p>}
        {phase.step === 'ready' && (
          <p role="status">
            {phase.conflicts.length === 0
              ? `The undo restores ${plural(phase.undone, one, many)} to how they were before. It is recorded as a new change, which can be undone in turn.`
              : `A later change touched some of the same products and categories. Undoing would overwrite it, so those are not undone; the rest (${plural(phase.rest, one, many)}) can be.`}
          </p>
        )}
        {phase.step === 'running' && (
          <>
            <p role="status">
              Undoing
              {requests.length > 1 ? ` change ${phase.position + 1} of ${requests.length}` : ''}
              {'jobId' in target
                ? ` the ${target.changeCount.toLocaleString('en')} changes of job #${target.jobId}`
                : ''}
              …
            </p>
            {phase.jobId !== null && <JobProgress jobId={phase.jobId} />}
          </>
        )}
        {phase.step === 'done' && (
          <p role="status" className="callout callout-success" data-testid="undo-done">
            Undone: {plural(phase.undone, one, many)} restored
            {phase.skipped.length > 0
              ? `; ${plural(phase.skipped.length, 'conflict', 'conflicts')} left as they are.`
              : '.'}
          </p>
        )}
        {phase.step === 'failed' && (
          <p className="callout callout-error" role="alert">
            The undo did not go through: {phase.message}
          </p>
        )}
        {(phase.step === 'ready' || phase.step === 'failed' || phase.step === 'done') && (
          <ConflictList conflicts={phase.step === 'done' ? phase.skipped : phase.conflicts} />
        )}
      </div>
    </Dialog>
  );
}

function ConflictList({ conflicts }: { conflicts: UndoConflict[] }) {
  const { index } = useCategoryTree();
  if (conflicts.length === 0) return null;
  return (
    <div className="table-wrap result-table" tabIndex={0} role="region" aria-label="Conflicts">
      <table data-testid="undo-conflicts">
        <caption className="visually-hidden">Conflicts</caption>
        <thead>
          <tr>
            <th scope="col">Product</th>
            <th scope="col">Category</th>
            <th scope="col">Later change</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {conflicts.map((conflict, position) => (
            <tr key={position}>
              <td className="mono">{conflict.product_id ?? '—'}</td>
              <td>
                {conflict.category_id === null
                  ? '—'
                  : (index?.byId.get(conflict.category_id)?.path ?? `#${conflict.category_id}`)}
              </td>
              <td>#{conflict.change_set_id}</td>
              <td>{conflict.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
