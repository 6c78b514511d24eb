/**
 * POST /api/changes/{id}/undo: reverses exactly one change set, from its payload, as the
 * change-kind table says (change-kinds.ts, `undo`), and records the undo as a new change set of
 * the table's inverse kind with `reverts` set, through applyChange, so that undoing the undo
 * redoes it.
 *
 * Conflict rule (docs/history-and-undo.md): a product (or category) conflicts when a later change
 * set touched it and one of the categories the undo would write or depends on (the categories of
 * the change, their ancestors and descendants), or when its current state is no longer what the
 * change left (a row the undo would delete is gone, one it would insert is there, or the result
 * would break the parent rule). `strict` answers 409 with the conflicts; `skip_conflicts` undoes
 * the rest and lists them.
 *
 * An undo of product assignments is planned and written per batch of products (`undoBatch`): a
 * change of up to BULK_MAX_PRODUCTS products is one batch in one transaction. A move's or
 * merge's undo (effect `restructure`, `undoRestructure`) is one transaction whatever its size,
 * the tree checked before the products.
 */
import type { Job, UndoConflict, UndoResult } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ChangeNotifier } from '../../cache/namespaces.js';
import { queryRows, type Executor } from '../../db/client.js';
import { arrayParam, inTransaction } from '../../db/sql.js';
import { AppError, conflict, notFound } from '../../errors.js';
import { assignmentRows } from '../assignments/assignment-rules.js';
import {
  assignmentsOf,
  deleteAssignments,
  deleteOrder,
  insertAssignments,
  insertOrder,
  lockProducts,
  type AssignmentRow,
  type NewAssignment,
} from '../assignments/assignments.repository.js';
import { findTokenById } from '../auth/tokens.repository.js';
import type { TokenService } from '../auth/tokens.service.js';
import {
  categoryRecords,
  deleteCategory,
  findSibling,
  lockCategoryCounters,
  renameCategory,
  type CategoryRow,
} from '../categories/categories.repository.js';
import type { CategoryService } from '../categories/categories.service.js';
import { CategoryIndex } from '../categories/category-index.js';
import {
  deleteForProducts,
  insertForProducts,
  lockTaxonomy,
  noteProducts,
  recountAfterRestructure,
  reparentCategory,
  suspendCounterTriggers,
} from '../categories/restructure.repository.js';
import type { JobService } from '../jobs/jobs.service.js';
import { applyChange, type ChangeTarget } from './apply-change.js';
import {
  ChangeKinds,
  type CategoriesUndone,
  type CategoryRecord,
  type ChangeKind,
  type ChangePayloads,
  type ProductDelta,
  type ProductGroup,
  type ProductUndone,
  type RestructureDelta,
  type RestructureUndone,
  TAXONOMY_KINDS,
  type UndoDefinition,
} from './change-kinds.js';
import {
  findChange,
  laterCategoryChanges,
  laterProductChanges,
  newestChangeAfter,
  undoneBy,
  type ChangeRow,
  type WriteContext,
} from './changes.repository.js';

export type UndoMode = 'strict' | 'skip_conflicts';

/** An undo done at once (its result), or a large one queued as a job. */
export type UndoOutcome =
  { result: UndoResult; job?: undefined } | { job: Job; result?: undefined };

export interface UndoOptions {
  mode: UndoMode;
  dryRun: boolean;
}

/** Conflicts listed in a 409's details (the count says how many there were in all). */
const MAX_REPORTED_CONFLICTS = 1000;
const WRITE_SLICE = 10_000;

type AnyPayload = ChangePayloads[ChangeKind];
type AssignmentsUndo = Extract<UndoDefinition<AnyPayload>, { effect: 'assignments' }>;
type CategoriesUndo = Extract<UndoDefinition<AnyPayload>, { effect: 'categories' }>;
type RestructureUndo = Extract<UndoDefinition<AnyPayload>, { effect: 'restructure' }>;

/** The stored change set as its kind's payload. */
export function payloadOf(change: ChangeRow): AnyPayload {
  return {
    productIds: change.product_ids,
    categoryIds: change.category_ids,
    before: change.before,
    after: change.after,
  } as AnyPayload;
}

/** The undo definition of a stored change set's kind (`none` for a kind no longer known). */
export function undoDefinitionOf(kind: string): UndoDefinition<AnyPayload> {
  if (!(kind in ChangeKinds)) {
    return { effect: 'none', why: `the change kind "${kind}" is no longer known` };
  }
  return ChangeKinds[kind as ChangeKind].undo as unknown as UndoDefinition<AnyPayload>;
}

function assignmentsUndoOf(change: ChangeRow): AssignmentsUndo {
  const definition = undoDefinitionOf(change.kind);
  if (definition.effect !== 'assignments') {
    throw notReversible(change, 'it does not change product assignments');
  }
  return definition;
}

export const notReversible = (change: ChangeRow, why: string) =>
  conflict(`Change set ${change.id} (${change.kind}) cannot be undone: ${why}`, {
    reason: 'not_reversible',
    change_set_id: change.id,
    kind: change.kind,
    why,
  });

export const alreadyUndone = (id: number, by: number) =>
  conflict(`Change set ${id} was already undone by change set ${by}; undo ${by} to redo it`, {
    reason: 'already_undone',
    change_set_id: id,
    undone_by: by,
  });

function conflictsError(id: number, conflicts: UndoConflict[]): AppError {
  const products = new Set(conflicts.map((item) => item.product_id).filter(Boolean)).size;
  const what =
    products > 0 ? `${products} product${products === 1 ? '' : 's'}` : 'the same categories';
  return conflict(
    `Undo of change set ${id} would overwrite later changes to ${what}; nothing was undone (mode "skip_conflicts" undoes the rest)`,
    {
      reason: 'undo_conflicts',
      change_set_id: id,
      conflict_count: conflicts.length,
      conflicts: conflicts.slice(0, MAX_REPORTED_CONFLICTS),
      truncated: conflicts.length > MAX_REPORTED_CONFLICTS,
    },
  );
}

export class UndoService {
  private readonly target: ChangeTarget;

  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
    private readonly tokens: TokenService,
    private readonly jobs: JobService,
    notifier: ChangeNotifier,
    /** BULK_MAX_PRODUCTS: an assignments undo of more products runs as a job. */
    private readonly maxProducts: number,
  ) {
    this.target = { db, notifier };
  }

  /** Checks that change set `id` exists, can be undone and was not; answers it and its definition. */
  async undoable(id: number) {
    const change = await findChange(this.db, id);
    if (!change) throw notFound('change set', id);
    const definition = undoDefinitionOf(change.kind);
    if (definition.effect === 'none') throw notReversible(change, definition.why);
    if (definition.effect === 'restructure' && definition.delta(payloadOf(change)) === null) {
      throw notReversible(change, definition.why);
    }
    const by = await undoneBy(this.db, id);
    if (by !== null) throw alreadyUndone(id, by);
    return { change, definition };
  }

  async undo(id: number, options: UndoOptions, context: WriteContext): Promise<UndoOutcome> {
    const { change, definition } = await this.undoable(id);
    const payload = payloadOf(change);
    switch (definition.effect) {
      case 'assignments': {
        const deltas = definition.deltas(payload);
        if (deltas.length > this.maxProducts)
          return this.undoAsJob(change, deltas, options, context);
        return { result: await this.undoBatch(change, deltas, options, context) };
      }
      case 'categories':
        return { result: await this.undoCategories(change, definition, options, context) };
      case 'restructure':
        return { result: await this.undoRestructure(change, definition, options, context) };
      case 'token':
        return {
          result: await this.undoToken(change, definition.tokenId(payload), options, context),
        };
    }
  }

  /**
   * More than BULK_MAX_PRODUCTS products: their conflicts are found first (a dry run per batch,
   * so `strict` refuses before anything is written, and a dry run answers at once), then the
   * `undo` job does the writing (undo-job.ts).
   */
  private async undoAsJob(
    change: ChangeRow,
    deltas: readonly ProductDelta[],
    options: UndoOptions,
    context: WriteContext,
  ): Promise<UndoOutcome> {
    const checked = await this.dryRuns([{ change, deltas }]);
    if (checked.skipped.length > 0 && options.mode === 'strict') {
      throw conflictsError(change.id, checked.skipped);
    }
    if (options.dryRun) return { result: checked };
    const job = await inTransaction(this.db, async (transaction) => {
      await lockUndoable(transaction, change.id);
      const running = await queryRows<{ id: number }>(
        transaction,
        sql`select id::int as id from jobs
             where kind = 'undo' and state in ('queued', 'running')
               and (params->>'change_set_id')::bigint = ${change.id}`,
      );
      if (running.length > 0) {
        throw conflict(`Change set ${change.id} is being undone by job ${running[0]!.id}`, {
          reason: 'undo_running',
          change_set_id: change.id,
          job_id: running[0]!.id,
        });
      }
      return this.jobs.create(
        'undo',
        { change_set_id: change.id, mode: options.mode },
        context,
        transaction,
      );
    });
    this.jobs.created();
    return { job };
  }

  /**
   * The undo of every change set a job recorded (POST /api/jobs/{id}/undo): one request, where
   * undoing a large job change set by change set would take one request per batch. The job must
   * have ended. Its change sets not undone yet are checked first (a dry run of each, in
   * BULK_MAX_PRODUCTS slices, so `strict` answers 409 before anything is written and a dry run
   * answers at once); then one `undo` job undoes them newest first, each batch within one change
   * set (so each recorded change set reverts exactly one of the job's).
   */
  async undoJob(jobId: number, options: UndoOptions, context: WriteContext): Promise<UndoOutcome> {
    const job = await this.jobs.get(jobId);
    if (job.state === 'queued' || job.state === 'running') {
      throw conflict(
        `Job ${jobId} is ${job.state}: undo it once it has ended (cancel it to stop it first)`,
        { reason: 'job_not_finished', job_id: jobId, state: job.state },
      );
    }
    const left = await queryRows<{ id: number }>(
      this.db,
      sql`select cs.id::int as id from change_sets cs
           where cs.job_id = ${jobId}
             and not exists (select 1 from change_sets u where u.reverts = cs.id)
           order by cs.id desc`,
    );
    if (left.length === 0) {
      throw conflict(`Job ${jobId} has no change set left to undo`, {
        reason: 'nothing_to_undo',
        job_id: jobId,
      });
    }
    const changes: ChangeRow[] = [];
    for (const { id } of left) {
      const { change, definition } = await this.undoable(id);
      if (definition.effect !== 'assignments') {
        throw notReversible(change, 'only a job of product assignments can be undone as a whole');
      }
      changes.push(change);
    }
    const checked = await this.dryRuns(
      changes.map((change) => ({ change, deltas: this.deltasOf(change) ?? [] })),
    );
    if (checked.skipped.length > 0 && options.mode === 'strict') {
      const error = conflictsError(changes[0]!.id, checked.skipped);
      throw conflict(
        error.message.replace(`Undo of change set ${changes[0]!.id}`, `Undo of job ${jobId}`),
        { ...(error.details as object), job_id: jobId },
      );
    }
    if (options.dryRun) return { result: checked };
    const created = await inTransaction(this.db, async (transaction) => {
      for (const change of changes) await lockUndoable(transaction, change.id);
      const running = await queryRows<{ id: number }>(
        transaction,
        sql`select id::int as id from jobs
             where kind = 'undo' and state in ('queued', 'running')
               and ((params->>'job_id')::bigint = ${jobId}
                    or (params->>'change_set_id')::bigint = any(${arrayParam(changes.map((c) => c.id))}::bigint[]))`,
      );
      if (running.length > 0) {
        throw conflict(`Job ${jobId} is being undone by job ${running[0]!.id}`, {
          reason: 'undo_running',
          job_id: jobId,
          undo_job_id: running[0]!.id,
        });
      }
      return this.jobs.create(
        'undo',
        { job_id: jobId, change_set_ids: changes.map((change) => change.id), mode: options.mode },
        context,
        transaction,
      );
    });
    this.jobs.created();
    return { job: created };
  }

  /**
   * The dry run of a large undo, before its job is created: each change set's products in
   * BULK_MAX_PRODUCTS slices, one transaction each; what would be undone, and the conflicts.
   */
  private async dryRuns(
    work: { change: ChangeRow; deltas: readonly ProductDelta[] }[],
  ): Promise<UndoResult> {
    const skipped: UndoConflict[] = [];
    let undone = 0;
    for (const { change, deltas } of work) {
      for (let start = 0; start < deltas.length; start += this.maxProducts) {
        const slice = deltas.slice(start, start + this.maxProducts);
        const batch = await inTransaction(this.db, (transaction) =>
          this.batchIn(transaction, change, slice, { mode: 'skip_conflicts', dryRun: true }),
        );
        undone += batch.result.undone_products;
        skipped.push(...batch.result.skipped);
      }
    }
    return {
      dry_run: true,
      change_set_id: null,
      undone_products: undone,
      undone_categories: 0,
      skipped,
    };
  }

  /** The product deltas of an assignments change (a job walks them in batches). */
  deltasOf(change: ChangeRow): ProductDelta[] | null {
    const definition = undoDefinitionOf(change.kind);
    return definition.effect === 'assignments' ? definition.deltas(payloadOf(change)) : null;
  }

  /**
   * Undoes `deltas` (some or all of the products of an assignments change) in one transaction,
   * recorded as one change set reverting `change`.
   */
  async undoBatch(
    change: ChangeRow,
    deltas: readonly ProductDelta[],
    options: UndoOptions,
    context: WriteContext,
  ): Promise<UndoResult> {
    const definition = assignmentsUndoOf(change);
    const result = await applyChange(
      this.target,
      definition.inverseKind,
      { ...context, reverts: change.id },
      async (transaction) => {
        const batch = await this.batchIn(transaction, change, deltas, options);
        return { result: batch.result, change: batch.change as never };
      },
    );
    return this.withRecordedId(change.id, result);
  }

  /**
   * One batch of an assignments undo, inside the caller's transaction (a request's, or a job
   * batch's: `jobId`, whose earlier batches recorded undos of the same change set). Answers the
   * result, and the change set to record (`kind`, reverting `change`), null when none.
   */
  async batchIn(
    transaction: Executor,
    change: ChangeRow,
    deltas: readonly ProductDelta[],
    options: UndoOptions,
    jobId?: number,
  ): Promise<{ result: UndoResult; kind: ChangeKind; change: AnyPayload | null }> {
    const definition = assignmentsUndoOf(change);
    await lockUndoable(transaction, change.id, jobId);
    const plan = await this.planProducts(transaction, change.id, deltas);
    if (plan.conflicts.length > 0 && options.mode === 'strict') {
      throw conflictsError(change.id, plan.conflicts);
    }
    const write = !options.dryRun && plan.undone.length > 0;
    if (write) await writeProducts(transaction, plan.index, plan.undone);
    const inverse = write
      ? (definition.inverse as (undone: ProductUndone[], payload: AnyPayload) => AnyPayload)(
          plan.undone,
          payloadOf(change),
        )
      : null;
    return {
      result: {
        dry_run: options.dryRun,
        change_set_id: null,
        undone_products: plan.undone.length,
        undone_categories: 0,
        skipped: plan.conflicts,
      },
      kind: definition.inverseKind,
      change: inverse,
    };
  }

  /** The new change set's id (the newest that reverts `id`, this job's when in a job). */
  private async withRecordedId(id: number, result: UndoResult): Promise<UndoResult> {
    if (result.dry_run || (result.undone_products === 0 && result.undone_categories === 0)) {
      return result;
    }
    const [row] = await queryRows<{ id: number }>(
      this.db,
      sql`select id::int as id from change_sets where reverts = ${id}
                    order by id desc limit 1`,
    );
    return { ...result, change_set_id: row?.id ?? null };
  }

  /** Which products can be undone, what each undo writes, and the conflicts of the rest. */
  private async planProducts(transaction: Executor, id: number, deltas: readonly ProductDelta[]) {
    const locked = await lockProducts(
      transaction,
      deltas.map((delta) => delta.product_id),
    );
    const idByHandle = new Map(locked.map((row) => [row.product_id, row.id]));
    const index = await this.categories.index(transaction);
    const current = new Map<number, Set<number>>();
    for (const row of await assignmentsOf(transaction, [...idByHandle.values()])) {
      const set = current.get(row.product_id);
      if (set) set.add(row.category_id);
      else current.set(row.product_id, new Set([row.category_id]));
    }
    const relatedByDelta = deltas.map((delta) =>
      related(index, [...delta.added, ...delta.removed]),
    );
    const allRelated = new Set<number>();
    for (const set of relatedByDelta) for (const categoryId of set) allRelated.add(categoryId);
    const later = await laterProductChanges(
      transaction,
      id,
      [...idByHandle.values()],
      [...allRelated],
    );
    const laterByProduct = new Map<number, typeof later>();
    for (const row of later) {
      const list = laterByProduct.get(row.product_id);
      if (list) list.push(row);
      else laterByProduct.set(row.product_id, [row]);
    }
    let newest: number | undefined;
    const unexplained = async () => (newest ??= await newestChangeAfter(transaction, id));

    const conflicts: UndoConflict[] = [];
    const undone: ProductUndone[] = [];
    for (const [at, delta] of deltas.entries()) {
      if (at > 0 && at % 1000 === 0) await yieldToEventLoop();
      const productId = idByHandle.get(delta.product_id);
      const handle = delta.product_id;
      if (productId === undefined) {
        conflicts.push({
          product_id: handle,
          category_id: null,
          change_set_id: await unexplained(),
          reason: 'the product no longer exists',
        });
        continue;
      }
      const relatedHere = relatedByDelta[at]!;
      const hit = laterByProduct
        .get(productId)
        ?.find((row) => row.category_ids.some((categoryId) => relatedHere.has(categoryId)));
      if (hit) {
        conflicts.push({
          product_id: handle,
          category_id: hit.category_ids.find((categoryId) => relatedHere.has(categoryId)) ?? null,
          change_set_id: hit.id,
          reason: `change set ${hit.id} (${hit.kind}) changed this product's categories since`,
        });
        continue;
      }
      const gone = delta.removed.find((categoryId) => !index.has(categoryId));
      if (gone !== undefined) {
        conflicts.push({
          product_id: handle,
          category_id: gone,
          change_set_id: await unexplained(),
          reason: `category ${gone} no longer exists`,
        });
        continue;
      }
      const before = current.get(productId) ?? new Set<number>();
      const after = new Set(before);
      for (const categoryId of delta.added) after.delete(categoryId);
      for (const categoryId of delta.removed) after.add(categoryId);
      const differs =
        delta.added.find((categoryId) => !before.has(categoryId)) ??
        delta.removed.find((categoryId) => before.has(categoryId)) ??
        [...after].find((categoryId) => {
          const parent = index.get(categoryId)?.parent_id ?? null;
          return parent !== null && !after.has(parent);
        });
      if (differs !== undefined) {
        conflicts.push({
          product_id: handle,
          category_id: differs,
          change_set_id: await unexplained(),
          reason: "the product's categories are no longer what the change left",
        });
        continue;
      }
      undone.push({
        product_id: handle,
        productId,
        added: [...delta.removed],
        removed: [...delta.added],
        before: [...before],
        after: [...after],
      });
    }
    return { index, conflicts, undone };
  }

  private async undoCategories(
    change: ChangeRow,
    definition: CategoriesUndo,
    options: UndoOptions,
    context: WriteContext,
  ): Promise<UndoResult> {
    const result = await applyChange(
      this.target,
      definition.inverseKind,
      { ...context, reverts: change.id },
      async (transaction) => {
        await lockUndoable(transaction, change.id);
        // Category writes are rare: the undo takes the taxonomy for itself while it checks and
        // writes (assignment writes, which update counters, wait for it too).
        await transaction.execute(sql`lock table categories in share row exclusive mode`);
        const delta = definition.delta(payloadOf(change));
        const index = await this.categories.index(transaction);
        const conflicts = new Map<number, UndoConflict>();
        const ids = [
          ...new Set([
            ...delta.created,
            ...delta.deleted.map((row) => row.id),
            ...delta.renamed.map((item) => item.id),
            ...delta.madeReal,
            ...delta.madeSample,
          ]),
        ];
        const later = await laterCategoryChanges(transaction, change.id, ids);
        let newest: number | undefined;
        const unexplained = async () =>
          (newest ??= await newestChangeAfter(transaction, change.id));
        const refuse = async (categoryId: number, reason: string) => {
          if (conflicts.has(categoryId)) return;
          conflicts.set(categoryId, {
            product_id: null,
            category_id: categoryId,
            change_set_id: await unexplained(),
            reason,
          });
        };
        for (const categoryId of ids) {
          const hit = later.find((row) => row.category_ids.includes(categoryId));
          if (hit) {
            conflicts.set(categoryId, {
              product_id: null,
              category_id: categoryId,
              change_set_id: hit.id,
              reason: `change set ${hit.id} (${hit.kind}) changed this category since`,
            });
          }
        }
        for (const categoryId of delta.created) {
          const row = index.get(categoryId);
          if (!row) await refuse(categoryId, 'the category no longer exists');
          else if (row.product_count > 0)
            await refuse(categoryId, `the category has ${row.product_count} products now`);
        }
        for (const row of delta.deleted) {
          if (index.has(row.id)) await refuse(row.id, `category id ${row.id} is in use again`);
          else if (await findSibling(transaction, row.parent_id, row.name))
            await refuse(row.id, `a sibling category is named "${row.name}" now`);
        }
        for (const item of delta.renamed) {
          const row = index.get(item.id);
          if (!row) await refuse(item.id, 'the category no longer exists');
          else if (row.name !== item.to)
            await refuse(item.id, `the category is named "${row.name}" now, not "${item.to}"`);
          else {
            const sibling = await findSibling(transaction, row.parent_id, item.from);
            if (sibling && sibling.id !== item.id)
              await refuse(item.id, `a sibling category is named "${item.from}" now`);
          }
        }
        for (const categoryId of [...delta.madeReal, ...delta.madeSample]) {
          if (!index.has(categoryId)) await refuse(categoryId, 'the category no longer exists');
        }
        // Dependencies: a category stays while a child stays; one comes back only with its parent.
        for (let changed = true; changed;) {
          changed = false;
          const deleting = new Set(
            delta.created.filter((categoryId) => !conflicts.has(categoryId)),
          );
          for (const categoryId of deleting) {
            if (index.children(categoryId).some((child) => !deleting.has(child.id))) {
              await refuse(categoryId, 'a child category of it stays');
              changed = true;
            }
          }
          const inserting = new Set(
            delta.deleted.filter((row) => !conflicts.has(row.id)).map((row) => row.id),
          );
          for (const row of delta.deleted) {
            if (!inserting.has(row.id) || row.parent_id === null) continue;
            const parentThere = index.has(row.parent_id) && !deleting.has(row.parent_id);
            if (!parentThere && !inserting.has(row.parent_id)) {
              await refuse(row.id, `its parent category ${row.parent_id} is not there`);
              changed = true;
            }
          }
        }
        const found = [...conflicts.values()];
        if (found.length > 0 && options.mode === 'strict') throw conflictsError(change.id, found);
        const kept = (categoryId: number) => !conflicts.has(categoryId);
        const toDelete = delta.created.filter(kept);
        const toInsert = delta.deleted.filter((row) => kept(row.id));
        const toRename = delta.renamed.filter((item) => kept(item.id));
        const toSample = delta.madeReal.filter(kept);
        const toReal = delta.madeSample.filter(kept);
        const count =
          toDelete.length + toInsert.length + toRename.length + toSample.length + toReal.length;
        let undone: CategoriesUndone | null = null;
        if (!options.dryRun && count > 0) {
          const deletedRows = await categoryRecords(transaction, toDelete);
          for (const row of [...deletedRows].sort((a, b) => b.level - a.level)) {
            await deleteCategory(transaction, row.id);
          }
          const createdRows = [...toInsert].sort((a, b) => a.level - b.level);
          for (const row of createdRows) await insertCategoryRecord(transaction, row);
          for (const item of toRename) await renameCategory(transaction, item.id, item.from);
          await setSample(transaction, toSample, true);
          await setSample(transaction, toReal, false);
          undone = {
            created: createdRows.map((row) => row.id),
            createdRows,
            deleted: deletedRows,
            renamed: toRename.map((item) => ({ id: item.id, from: item.to, to: item.from })),
            madeReal: toReal,
            madeSample: toSample,
          };
        }
        const inverse = undone
          ? (definition.inverse as (undone: CategoriesUndone, payload: AnyPayload) => AnyPayload)(
              undone,
              payloadOf(change),
            )
          : null;
        return {
          result: {
            dry_run: options.dryRun,
            change_set_id: null,
            undone_products: 0,
            undone_categories: count,
            skipped: found,
          } satisfies UndoResult,
          change: inverse as never,
        };
      },
    );
    return this.withRecordedId(change.id, result);
  }

  /**
   * The undo of a move, merge or unmerge (effect `restructure`): in one transaction, like the
   * restructure itself, whatever its size (the tree is never left half restructured, so it is
   * not a job). The tree is checked first: a later change of the tree to one of its categories,
   * a merge target gone, a category id in use again, a sibling name taken, a category moved
   * since, refuse the whole undo (409 `undo_conflicts`, in both modes: the tree cannot be half
   * undone). Then each product as for an assignments undo (a later change to it and a related
   * category, or rows not as the change left them): `strict` refuses, `skip_conflicts` leaves
   * those products as they are, unless leaving one would break the tree (it keeps a category
   * that moves back under a parent it lacks, or one the undo deletes): then 409 too.
   *
   * Writes, with the counter triggers aside and the counters set once (as a restructure does):
   * categories re-created (parents first), rows given back (parents first), categories moved
   * back (with their rows), rows taken away (children first), categories deleted.
   */
  private async undoRestructure(
    change: ChangeRow,
    definition: RestructureUndo,
    options: UndoOptions,
    context: WriteContext,
  ): Promise<UndoResult> {
    const delta = definition.delta(payloadOf(change));
    if (!delta) throw notReversible(change, definition.why);
    const result = await applyChange(
      this.target,
      definition.inverseKind,
      { ...context, reverts: change.id },
      async (transaction) => {
        await lockUndoable(transaction, change.id);
        await lockTaxonomy(transaction);
        const index = await this.categories.index(transaction);
        const after = indexAfterUndo(index, delta);
        const refusals = await treeConflicts(transaction, change.id, delta, index, after);
        if (refusals.length > 0) throw treeConflictsError(change.id, refusals);
        const plan = await planRestructureProducts(transaction, change.id, delta, index, after);
        if (plan.conflicts.length > 0 && options.mode === 'strict') {
          throw conflictsError(change.id, plan.conflicts);
        }
        const blocked = await blockedByProducts(transaction, change.id, delta, index, after, plan);
        if (blocked.length > 0) throw treeConflictsError(change.id, blocked);

        const undoneProducts = plan.undone.reduce((sum, ids) => sum + ids.length, 0);
        const undoneCategories =
          delta.created.length + delta.deleted.length + delta.reparented.length;
        let undone: RestructureUndone | null = null;
        if (!options.dryRun) {
          undone = await writeRestructureUndo(transaction, delta, index, after, plan.undone);
        }
        const inverse = undone
          ? (definition.inverse as (undone: RestructureUndone, payload: AnyPayload) => AnyPayload)(
              undone,
              payloadOf(change),
            )
          : null;
        return {
          result: {
            dry_run: options.dryRun,
            change_set_id: null,
            undone_products: undoneProducts,
            undone_categories: undoneCategories,
            skipped: plan.conflicts,
          } satisfies UndoResult,
          change: inverse as never,
        };
      },
    );
    return this.withRecordedId(change.id, result);
  }

  /** A token's creation is undone by revoking it (a revocation itself is final). */
  private async undoToken(
    change: ChangeRow,
    tokenId: number,
    options: UndoOptions,
    context: WriteContext,
  ): Promise<UndoResult> {
    const token = await findTokenById(this.db, tokenId);
    const skipped: UndoConflict[] = [];
    if (!token || token.revoked_at !== null) {
      skipped.push({
        product_id: null,
        category_id: null,
        change_set_id: await newestChangeAfter(this.db, change.id),
        reason: token ? 'the token was revoked since' : 'the token no longer exists',
      });
      if (options.mode === 'strict') throw conflictsError(change.id, skipped);
    }
    const result: UndoResult = {
      dry_run: options.dryRun,
      change_set_id: null,
      undone_products: 0,
      undone_categories: 0,
      skipped,
    };
    if (options.dryRun || skipped.length > 0) return result;
    await this.tokens.revoke(tokenId, { ...context, reverts: change.id });
    const by = await undoneBy(this.db, change.id);
    return { ...result, change_set_id: by };
  }
}

/**
 * Locks the change set being undone, so that two undos of it queue, and refuses it when it was
 * undone meanwhile (by another request, or by another job than `jobId`).
 */
async function lockUndoable(transaction: Executor, id: number, jobId?: number): Promise<void> {
  const locked = await findChange(transaction, id, { forUpdate: true });
  if (!locked) throw notFound('change set', id);
  const by = await undoneBy(transaction, id, jobId);
  if (by !== null) throw alreadyUndone(id, by);
}

/** The categories an undo must look at: those of the change, their ancestors and descendants. */
function related(index: CategoryIndex, categoryIds: readonly number[]): Set<number> {
  const set = new Set<number>();
  for (const categoryId of categoryIds) {
    set.add(categoryId);
    if (!index.has(categoryId)) continue;
    for (const ancestor of index.ancestors(categoryId)) set.add(ancestor.id);
    for (const descendant of index.descendants(categoryId)) set.add(descendant);
  }
  return set;
}

/** Deletes and inserts in slices, in the order of insertOrder / deleteOrder (the closure check). */
async function writeProducts(
  transaction: Executor,
  index: CategoryIndex,
  undone: readonly ProductUndone[],
): Promise<void> {
  const levelOf = (categoryId: number) => index.get(categoryId)?.level ?? 0;
  const deletes: AssignmentRow[] = undone
    .flatMap((item) =>
      item.removed.map((categoryId) => ({ product_id: item.productId, category_id: categoryId })),
    )
    .sort(deleteOrder(levelOf));
  const inserts: NewAssignment[] = undone
    .flatMap((item) => assignmentRows(index, item.productId, item.added))
    .sort(insertOrder);
  await lockCategoryCounters(transaction, [
    ...deletes.map((row) => row.category_id),
    ...inserts.map((row) => row.categoryId),
  ]);
  for (let start = 0; start < deletes.length; start += WRITE_SLICE) {
    if (start > 0) await yieldToEventLoop();
    await deleteAssignments(transaction, deletes.slice(start, start + WRITE_SLICE));
  }
  for (let start = 0; start < inserts.length; start += WRITE_SLICE) {
    if (start > 0) await yieldToEventLoop();
    await insertAssignments(transaction, inserts.slice(start, start + WRITE_SLICE));
  }
}

/**
 * The 409 of a restructure's undo that the tree refuses, whatever the mode: each reason names
 * its category; the message says the first.
 */
function treeConflictsError(id: number, conflicts: UndoConflict[]): AppError {
  const error = conflictsError(id, conflicts);
  const more = conflicts.length > 1 ? ` (and ${conflicts.length - 1} more)` : '';
  return conflict(
    `Undo of change set ${id} is refused, nothing was undone: ${conflicts[0]!.reason}${more}`,
    { ...(error.details as object), scope: 'categories' },
  );
}

/** The tree as the undo of `delta` leaves it (for the parent rule and the levels). */
function indexAfterUndo(index: CategoryIndex, delta: RestructureDelta): CategoryIndex {
  const gone = new Set(delta.created.map((row) => row.id));
  const parentOf = new Map(delta.reparented.map((move) => [move.id, move.from]));
  const back: CategoryRow[] = delta.deleted
    .filter((row) => !index.has(row.id))
    .map((row) => ({
      id: row.id,
      name: row.name,
      level: row.level,
      parent_id: row.parent_id,
      product_count: 0,
      created_at: row.created_at ?? '',
      updated_at: row.created_at ?? '',
    }));
  return new CategoryIndex([
    ...index.rows
      .filter((row) => !gone.has(row.id))
      .map((row) => (parentOf.has(row.id) ? { ...row, parent_id: parentOf.get(row.id)! } : row)),
    ...back,
  ]);
}

/** Every category a restructure's undo writes or moves. */
function touchedBy(delta: RestructureDelta): Set<number> {
  return new Set([
    ...delta.created.map((row) => row.id),
    ...delta.deleted.map((row) => row.id),
    ...delta.reparented.flatMap((move) => [move.id, move.from, move.to]),
    ...delta.products.flatMap((group) => [...group.added, ...group.removed]),
  ]);
}

/** What in the tree refuses the undo of `delta` (a later change of it, or its state now). */
async function treeConflicts(
  transaction: Executor,
  id: number,
  delta: RestructureDelta,
  index: CategoryIndex,
  after: CategoryIndex,
): Promise<UndoConflict[]> {
  const conflicts = new Map<number, UndoConflict>();
  let newest: number | undefined;
  const refuse = async (categoryId: number, reason: string, by?: number) => {
    if (conflicts.has(categoryId)) return;
    conflicts.set(categoryId, {
      product_id: null,
      category_id: categoryId,
      change_set_id: by ?? (newest ??= await newestChangeAfter(transaction, id)),
      reason,
    });
  };
  const created = new Set(delta.created.map((row) => row.id));
  const name = (categoryId: number, own?: string) =>
    index.has(categoryId)
      ? `"${index.path(categoryId)}"`
      : `category ${categoryId}${own ? ` ("${own}")` : ''}`;
  const deletedName = new Map(delta.deleted.map((row) => [row.id, row.name]));
  for (const required of delta.requires) {
    if (!index.has(required.id)) {
      await refuse(required.id, `${required.role} (category ${required.id}) no longer exists`);
    }
  }
  const ids = [
    ...new Set([
      ...created,
      ...delta.deleted.map((row) => row.id),
      ...delta.reparented.flatMap((move) => [move.id, move.from, move.to]),
      ...delta.requires.map((required) => required.id),
    ]),
  ];
  const later = (await laterCategoryChanges(transaction, id, ids)).filter((row) =>
    TAXONOMY_KINDS.has(row.kind),
  );
  for (const categoryId of ids) {
    const hit = later.find((row) => row.category_ids.includes(categoryId));
    if (hit) {
      await refuse(
        categoryId,
        `${name(categoryId, deletedName.get(categoryId))} was changed since by change set ${hit.id} (${hit.kind})`,
        hit.id,
      );
    }
  }
  const clash = async (parentId: number | null, categoryId: number, ownName: string) => {
    if (parentId !== null && !index.has(parentId)) return;
    const sibling = await findSibling(transaction, parentId, ownName);
    if (sibling && sibling.id !== categoryId && !created.has(sibling.id)) {
      await refuse(
        categoryId,
        `${name(categoryId, ownName)} cannot go back: ${parentId === null ? 'a level 1 category' : `${name(parentId)} has a child`} named "${sibling.name}" now (category ${sibling.id})`,
      );
    }
  };
  for (const row of delta.deleted) {
    if (index.has(row.id)) {
      await refuse(
        row.id,
        `category ${row.id} ("${row.name}") cannot be re-created: its id is in use again`,
      );
    } else if (row.parent_id !== null && !after.has(row.parent_id)) {
      await refuse(
        row.id,
        `category ${row.id} ("${row.name}") cannot be re-created: its parent ${row.parent_id} no longer exists`,
      );
    } else {
      await clash(row.parent_id, row.id, row.name);
    }
  }
  for (const move of delta.reparented) {
    const row = index.get(move.id);
    if (!row) await refuse(move.id, `category ${move.id} no longer exists`);
    else if (row.parent_id !== move.to) await refuse(move.id, `${name(move.id)} was moved since`);
    else if (!after.has(move.from))
      await refuse(
        move.id,
        `${name(move.id)} cannot move back: its old parent ${move.from} no longer exists`,
      );
    else await clash(move.from, move.id, row.name);
  }
  for (const row of delta.created) {
    if (!index.has(row.id))
      await refuse(row.id, `category ${row.id} ("${row.name}") no longer exists`);
  }
  return [...conflicts.values()];
}

interface RestructurePlan {
  /** Per group of `delta.products`, the products undone. */
  undone: number[][];
  /** Each undone product's categories after the undo (those the undo touches or depends on). */
  afterSets: Map<number, Set<number>>;
  conflicts: UndoConflict[];
}

/**
 * Which products of a restructure can be undone: as for an assignments undo, a product conflicts
 * when a later change set touched it and a category the undo depends on, or when its rows are
 * not what the change left (a row to delete is gone, one to insert is there, or the result would
 * break the parent rule in the tree as the undo leaves it).
 */
async function planRestructureProducts(
  transaction: Executor,
  id: number,
  delta: RestructureDelta,
  index: CategoryIndex,
  after: CategoryIndex,
): Promise<RestructurePlan> {
  const touched = touchedBy(delta);
  const all = delta.products.flatMap((group) => group.product_ids);
  const productIds = arrayParam(all);
  const existing = new Set(
    (
      await queryRows<{ id: number }>(
        transaction,
        sql`select p.id from products p
             where p.id in (select unnest(${productIds}::integer[]))`,
      )
    ).map((row) => row.id),
  );
  const touchedIds = arrayParam([...touched]);
  const current = new Map<number, Set<number>>();
  if (all.length > 0) {
    const rows = await queryRows<{ product_id: number; category_id: number }>(
      transaction,
      sql`select pc.product_id, pc.category_id from product_categories pc
           where pc.product_id in (select unnest(${productIds}::integer[]))
             and (pc.category_id = any(${touchedIds}::integer[])
                  or pc.parent_category_id = any(${touchedIds}::integer[]))`,
    );
    for (const row of rows) {
      const set = current.get(row.product_id);
      if (set) set.add(row.category_id);
      else current.set(row.product_id, new Set([row.category_id]));
    }
  }
  const relatedIds = related(index, [...touched]);
  for (const categoryId of touched) relatedIds.add(categoryId);
  const later = await laterProductChanges(transaction, id, all, [...relatedIds]);
  const laterByProduct = new Map<number, (typeof later)[number]>();
  for (const row of later) {
    if (!laterByProduct.has(row.product_id)) laterByProduct.set(row.product_id, row);
  }
  let newest: number | undefined;
  const unexplained = async () => (newest ??= await newestChangeAfter(transaction, id));

  const found: { productId: number; categoryId: number | null; by: number; reason: string }[] = [];
  const undone: number[][] = [];
  const afterSets = new Map<number, Set<number>>();
  let seen = 0;
  for (const group of delta.products) {
    const ids: number[] = [];
    undone.push(ids);
    for (const productId of group.product_ids) {
      if (++seen % 1000 === 0) await yieldToEventLoop();
      if (!existing.has(productId)) {
        found.push({
          productId,
          categoryId: null,
          by: await unexplained(),
          reason: 'the product no longer exists',
        });
        continue;
      }
      const hit = laterByProduct.get(productId);
      if (hit) {
        found.push({
          productId,
          categoryId: hit.category_ids.find((categoryId) => relatedIds.has(categoryId)) ?? null,
          by: hit.id,
          reason: `change set ${hit.id} (${hit.kind}) changed this product's categories since`,
        });
        continue;
      }
      const before = current.get(productId) ?? new Set<number>();
      const set = new Set(before);
      for (const categoryId of group.added) set.delete(categoryId);
      for (const categoryId of group.removed) set.add(categoryId);
      const differs =
        group.added.find((categoryId) => !before.has(categoryId)) ??
        group.removed.find((categoryId) => before.has(categoryId)) ??
        [...set].find((categoryId) => {
          const row = after.get(categoryId);
          if (!row) return true;
          return row.parent_id !== null && touched.has(row.parent_id) && !set.has(row.parent_id);
        });
      if (differs !== undefined) {
        found.push({
          productId,
          categoryId: differs,
          by: await unexplained(),
          reason: "the product's categories are no longer what the change left",
        });
        continue;
      }
      ids.push(productId);
      afterSets.set(productId, set);
    }
  }
  const handles = new Map(
    found.length === 0
      ? []
      : (
          await queryRows<{ id: number; product_id: string }>(
            transaction,
            sql`select id, product_id from products
                 where id = any(${arrayParam(found.map((item) => item.productId))}::integer[])`,
          )
        ).map((row) => [row.id, row.product_id]),
  );
  const conflicts = found.map((item) => ({
    product_id: handles.get(item.productId) ?? null,
    category_id: item.categoryId,
    change_set_id: item.by,
    reason: handles.has(item.productId)
      ? item.reason
      : `${item.reason} (product row ${item.productId})`,
  }));
  return { undone, afterSets, conflicts };
}

/**
 * What the products left as they are (assigned since, or skipped as conflicts) would break: a
 * category moving back under a parent they lack, or one the undo deletes that they keep, or a
 * child category of it that stays.
 */
async function blockedByProducts(
  transaction: Executor,
  id: number,
  delta: RestructureDelta,
  index: CategoryIndex,
  after: CategoryIndex,
  plan: RestructurePlan,
): Promise<UndoConflict[]> {
  const conflicts: UndoConflict[] = [];
  let newest: number | undefined;
  const refuse = async (categoryId: number, reason: string) =>
    conflicts.push({
      product_id: null,
      category_id: categoryId,
      change_set_id: (newest ??= await newestChangeAfter(transaction, id)),
      reason,
    });
  const name = (categoryId: number) =>
    after.has(categoryId)
      ? `"${after.path(categoryId)}"`
      : index.has(categoryId)
        ? `"${index.path(categoryId)}"`
        : `category ${categoryId}`;
  const plural = (count: number) => `${count} product${count === 1 ? '' : 's'}`;
  for (const move of delta.reparented) {
    const rows = await queryRows<{ product_id: number; has_parent: boolean }>(
      transaction,
      sql`select pc.product_id,
                 exists (select 1 from product_categories p
                          where p.product_id = pc.product_id and p.category_id = ${move.from}) as has_parent
            from product_categories pc where pc.category_id = ${move.id}`,
    );
    const lacking = rows.filter((row) => {
      const set = plan.afterSets.get(row.product_id);
      return set ? !set.has(move.from) : !row.has_parent;
    }).length;
    if (lacking > 0) {
      await refuse(
        move.id,
        `${name(move.id)} cannot move back under ${name(move.from)}: ${plural(lacking)} assigned it would lack that parent (assigned since, or left as conflicts)`,
      );
    }
  }
  const moving = new Map(delta.reparented.map((move) => [move.id, move.to]));
  const deleting = new Set(delta.created.map((row) => row.id));
  const removing = new Map<number, Set<number>>();
  delta.products.forEach((group, at) => {
    for (const categoryId of group.added) {
      const set = removing.get(categoryId) ?? new Set<number>();
      for (const productId of plan.undone[at]!) set.add(productId);
      removing.set(categoryId, set);
    }
  });
  for (const row of delta.created) {
    const staying = index
      .children(row.id)
      .filter((child) => !deleting.has(child.id) && moving.get(child.id) !== row.id);
    if (staying.length > 0) {
      await refuse(
        row.id,
        `${name(row.id)} cannot be deleted: its child "${staying[0]!.name}" stays`,
      );
      continue;
    }
    const holders = await queryRows<{ product_id: number }>(
      transaction,
      sql`select product_id from product_categories where category_id = ${row.id}`,
    );
    const keeping = holders.filter(
      (holder) => !removing.get(row.id)?.has(holder.product_id),
    ).length;
    if (keeping > 0) {
      await refuse(
        row.id,
        `${name(row.id)} cannot be deleted: ${plural(keeping)} keep it (assigned since, or left as conflicts)`,
      );
    }
  }
  return conflicts;
}

/** The writes of a restructure's undo (see undoRestructure); answers what it did. */
async function writeRestructureUndo(
  transaction: Executor,
  delta: RestructureDelta,
  index: CategoryIndex,
  after: CategoryIndex,
  undone: readonly number[][],
): Promise<RestructureUndone> {
  await suspendCounterTriggers(transaction);
  await noteProducts(transaction, undone.flat());
  const recreated = [...delta.deleted].sort((a, b) => a.level - b.level);
  for (const row of recreated) await insertCategoryRecord(transaction, row);
  const deletedRows = await categoryRecords(
    transaction,
    delta.created.map((row) => row.id),
  );
  const inserts = new Map<number, number[]>();
  const deletes = new Map<number, number[]>();
  const products: ProductGroup[] = [];
  delta.products.forEach((group, at) => {
    const ids = undone[at]!;
    if (ids.length === 0) return;
    const add = (map: Map<number, number[]>, categoryId: number) => {
      const list = map.get(categoryId) ?? [];
      for (const productId of ids) list.push(productId);
      map.set(categoryId, list);
    };
    for (const categoryId of group.removed) add(inserts, categoryId);
    for (const categoryId of group.added) add(deletes, categoryId);
    products.push({ added: [...group.removed], removed: [...group.added], product_ids: [...ids] });
  });
  const levelAfter = (categoryId: number) => after.get(categoryId)?.level ?? 0;
  const levelNow = (categoryId: number) => index.get(categoryId)?.level ?? 0;
  for (const categoryId of [...inserts.keys()].sort((a, b) => levelAfter(a) - levelAfter(b))) {
    await insertForProducts(transaction, categoryId, inserts.get(categoryId)!);
  }
  for (const move of delta.reparented) {
    await reparentCategory(transaction, move.id, move.from, after.get(move.from)!.level);
  }
  for (const categoryId of [...deletes.keys()].sort((a, b) => levelNow(b) - levelNow(a))) {
    await deleteForProducts(transaction, categoryId, deletes.get(categoryId)!);
  }
  for (const row of [...deletedRows].sort((a, b) => b.level - a.level)) {
    await deleteCategory(transaction, row.id);
  }
  const parents = [
    ...delta.reparented.flatMap((move) => [move.from, move.to]),
    ...[...recreated, ...deletedRows].flatMap((row) =>
      row.parent_id === null ? [] : [row.parent_id],
    ),
  ];
  await recountAfterRestructure(
    transaction,
    [...inserts.keys(), ...deletes.keys(), ...recreated.map((row) => row.id)],
    parents,
  );
  return {
    created: recreated,
    deleted: deletedRows,
    reparented: delta.reparented.map((move) => ({ id: move.id, from: move.to, to: move.from })),
    products,
  };
}

/** Re-creates a deleted category with its id (and creation time and sample flag, when known). */
async function insertCategoryRecord(transaction: Executor, row: CategoryRecord): Promise<void> {
  await transaction.execute(sql`
    insert into categories (id, name, level, parent_id, parent_level, created_at, is_sample)
    values (${row.id}, ${row.name}, ${row.level}, ${row.parent_id},
            ${row.parent_id === null ? null : row.level - 1},
            coalesce(${row.created_at ?? null}::timestamptz, now()), ${row.is_sample ?? false})`);
}

async function setSample(
  transaction: Executor,
  ids: readonly number[],
  sample: boolean,
): Promise<void> {
  if (ids.length === 0) return;
  await transaction.execute(
    sql`update categories set is_sample = ${sample} where id = any(${arrayParam(ids)}::integer[])`,
  );
}
