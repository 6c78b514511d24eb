/** Category rules: tree reads, create, rename, delete. */
import type {
  Category,
  CategoryDetail,
  CategoryListQuery,
  CreateCategoryBody,
  LevelCounts,
  MergeCategoryBody,
  MoveCategoryBody,
  RestructureResult,
  TreeNode,
} from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { noChangeNotifier, type ChangeNotifier } from '../../cache/namespaces.js';
import { noPrecondition, type Precondition } from '../../http/preconditions.js';
import { queryOne, type Executor } from '../../db/client.js';
import { conflict, invalidField, notFound, validationError } from '../../errors.js';
import { assignmentsOfCategory } from '../assignments/assignments.repository.js';
import { applyChange, type ChangeTarget } from '../changes/apply-change.js';
import type { WriteContext } from '../changes/changes.repository.js';
import {
  deleteCategory,
  findSibling,
  insertCategory,
  loadAllCategories,
  productCountsOf,
  lockCategoryUsage,
  renameCategory,
} from './categories.repository.js';
import { CategoryIndex } from './category-index.js';
import { cleanCategoryName, normalizeCategoryName } from './category-name.js';
import { mergeCategory, moveCategory, type RestructureOutcome } from './restructure.js';
import { lockTaxonomy } from './restructure.repository.js';

/** Thrown inside a dry run's savepoint to roll its writes back, carrying what they did. */
class DryRunDone<Value> extends Error {
  constructor(readonly value: Value) {
    super('dry run rolled back');
  }
}

/**
 * Runs `work` in a savepoint and, for a dry run, rolls it back: the preview is what the write
 * does, computed by doing it, so a dry run and the write cannot disagree.
 */
async function rolledBackWhen<Value>(
  transaction: Executor,
  dryRun: boolean,
  work: (executor: Executor) => Promise<Value>,
): Promise<Value> {
  if (!dryRun) return work(transaction);
  try {
    await transaction.transaction(async (savepoint) => {
      throw new DryRunDone(await work(savepoint as unknown as Executor));
    });
  } catch (error) {
    if (error instanceof DryRunDone) return error.value as Value;
    throw error;
  }
  throw new Error('unreachable: a dry run always rolls back');
}

export interface CategoryListing {
  categories: Category[];
  metadata: { total_categories: number; level_counts: LevelCounts };
}

export class CategoryService {
  private readonly target: ChangeTarget;

  constructor(
    private readonly db: Executor,
    notifier: ChangeNotifier = noChangeNotifier,
  ) {
    this.target = { db, notifier };
  }

  /** The taxonomy in memory; later layers may cache it. */
  async index(executor: Executor = this.db): Promise<CategoryIndex> {
    return new CategoryIndex(await loadAllCategories(executor));
  }

  /** The current product counts of these categories (cached-counts.ts splices them in). */
  productCounts(ids: readonly number[]): Promise<Map<number, number>> {
    return productCountsOf(this.db, ids);
  }

  async list(query: CategoryListQuery): Promise<CategoryListing> {
    const index = await this.index();
    const search = query.search ? normalizeCategoryName(query.search) : undefined;
    const rows = index.rows.filter(
      (row) =>
        (query.level === undefined || row.level === query.level) &&
        (query.parent_id === undefined || row.parent_id === query.parent_id) &&
        (search === undefined || normalizeCategoryName(row.name).includes(search)),
    );
    return {
      categories: rows.map((row) => index.toCategory(row)),
      metadata: listingMetadata(index),
    };
  }

  async tree(): Promise<{ tree: TreeNode[]; metadata: CategoryListing['metadata'] }> {
    const index = await this.index();
    return { tree: index.tree(), metadata: listingMetadata(index) };
  }

  async children(parentId: number | null): Promise<CategoryListing> {
    const index = await this.index();
    if (parentId !== null && !index.has(parentId)) throw notFound('category', parentId);
    return {
      categories: index.children(parentId).map((row) => index.toCategory(row)),
      metadata: listingMetadata(index),
    };
  }

  /** One category; `executor` is a write's transaction when a precondition reads it. */
  async get(id: number, executor: Executor = this.db): Promise<CategoryDetail> {
    const index = await this.index(executor);
    const row = index.get(id);
    if (!row) throw notFound('category', id);
    return {
      ...index.toCategory(row),
      ancestors: index.ancestors(id).map((ancestor) => index.ref(ancestor.id)),
    };
  }

  async create(body: CreateCategoryBody, context: WriteContext): Promise<Category> {
    const cleaned = cleanCategoryName(body.name);
    if ('problem' in cleaned) throw invalidField('name', cleaned.problem);
    const parentId = body.parent_id ?? null;

    return applyChange(this.target, 'category.create', context, async (transaction) => {
      const index = await this.index(transaction);
      let level = body.level ?? 1;
      if (parentId !== null) {
        const parent = index.get(parentId);
        if (!parent) throw invalidField('parent_id', `category ${parentId} does not exist`);
        if (parent.level >= 3) {
          throw invalidField('parent_id', 'a level 3 category cannot have children');
        }
        if (body.level !== undefined && body.level !== parent.level + 1) {
          throw validationError([
            { field: 'level', message: `must be ${parent.level + 1}, one below its parent` },
          ]);
        }
        level = parent.level + 1;
      } else if (level > 1) {
        throw invalidField(
          'parent_id',
          `a level ${level} category needs a parent at level ${level - 1}`,
        );
      }

      const existing = await findSibling(transaction, parentId, cleaned.name);
      if (existing) throw duplicateSibling(cleaned.name, parentId, existing);

      const row = await insertCategory(transaction, { name: cleaned.name, level, parentId });
      return {
        result: new CategoryIndex([...index.rows, row]).toCategory(row),
        change: {
          productIds: [],
          categoryIds: [row.id],
          before: null,
          after: { id: row.id, name: row.name, level: row.level, parent_id: row.parent_id },
        },
      };
    });
  }

  async rename(
    id: number,
    rawName: string,
    context: WriteContext,
    precondition: Precondition = noPrecondition,
  ): Promise<Category> {
    const cleaned = cleanCategoryName(rawName);
    if ('problem' in cleaned) throw invalidField('name', cleaned.problem);

    return applyChange(this.target, 'category.rename', context, async (transaction) => {
      // The row lock first: the If-Match check and the rename see the same category.
      if (!(await lockCategoryUsage(transaction, id))) throw notFound('category', id);
      await precondition(transaction);
      const index = await this.index(transaction);
      const current = index.get(id);
      if (!current) throw notFound('category', id);
      const existing = await findSibling(transaction, current.parent_id, cleaned.name);
      if (existing && existing.id !== id)
        throw duplicateSibling(cleaned.name, current.parent_id, existing);

      const row = await renameCategory(transaction, id, cleaned.name);
      if (!row) throw notFound('category', id);
      return {
        result: new CategoryIndex(
          index.rows.map((other) => (other.id === id ? row : other)),
        ).toCategory(row),
        change: {
          productIds: [],
          categoryIds: [id],
          before: { name: current.name },
          after: { name: row.name },
        },
      };
    });
  }

  async delete(
    id: number,
    context: WriteContext,
    precondition: Precondition = noPrecondition,
  ): Promise<void> {
    await applyChange(this.target, 'category.delete', context, async (transaction) => {
      const usage = await lockCategoryUsage(transaction, id);
      if (!usage) throw notFound('category', id);
      await precondition(transaction);
      if (usage.child_count > 0 || usage.product_count > 0) {
        const reasons = [
          usage.child_count > 0 ? `${usage.child_count} child categories` : '',
          usage.product_count > 0 ? `${usage.product_count} products` : '',
        ].filter(Boolean);
        throw conflict(`Category "${usage.name}" is in use by ${reasons.join(' and ')}`, {
          reason: 'category_in_use',
          child_count: usage.child_count,
          product_count: usage.product_count,
        });
      }
      const assignments = await assignmentsOfCategory(transaction, id);
      await deleteCategory(transaction, id);
      return {
        result: undefined,
        change: {
          productIds: assignments.map((row) => row.product_id),
          categoryIds: [id],
          before: {
            id,
            name: usage.name,
            level: usage.level,
            parent_id: usage.parent_id,
            created_at: usage.created_at,
            assignments: assignments.map((row) => ({ product_id: row.product_id })),
          },
          after: null,
        },
      };
    });
  }

  /** POST /api/categories/{id}/move (restructure.ts). */
  move(
    id: number,
    body: MoveCategoryBody,
    context: WriteContext,
    precondition: Precondition = noPrecondition,
  ): Promise<RestructureResult> {
    return this.restructure(
      'category.move',
      id,
      body.dry_run ?? false,
      context,
      precondition,
      (transaction, index, dryRun) => moveCategory(transaction, index, id, body.parent_id, dryRun),
    );
  }

  /** POST /api/categories/{id}/merge (restructure.ts). */
  merge(
    id: number,
    body: MergeCategoryBody,
    context: WriteContext,
    precondition: Precondition = noPrecondition,
  ): Promise<RestructureResult> {
    return this.restructure(
      'category.merge',
      id,
      body.dry_run ?? false,
      context,
      precondition,
      (transaction, index) => mergeCategory(transaction, index, id, body.into_id),
    );
  }

  private async restructure<Kind extends 'category.move' | 'category.merge'>(
    kind: Kind,
    id: number,
    dryRun: boolean,
    context: WriteContext,
    precondition: Precondition,
    work: (
      transaction: Executor,
      index: CategoryIndex,
      dryRun: boolean,
    ) => Promise<RestructureOutcome<Kind>>,
  ): Promise<RestructureResult> {
    let recorded = false;
    const result = await applyChange(this.target, kind, context, async (transaction) => {
      // Restructures are rare and touch many rows: the taxonomy is theirs until they commit
      // (assignment writes, which update category counters, wait), so what they read stays true.
      await lockTaxonomy(transaction);
      if (!(await lockCategoryUsage(transaction, id))) throw notFound('category', id);
      await precondition(transaction);
      const index = await this.index(transaction);
      const outcome = await rolledBackWhen(transaction, dryRun, (executor) =>
        work(executor, index, dryRun),
      );
      recorded = !dryRun && outcome.change !== null;
      return {
        result: { ...outcome.result, dry_run: dryRun, change_set_id: null as number | null },
        change: dryRun ? null : outcome.change,
      };
    });
    if (!recorded) return result;
    // The change set just recorded for this category (the taxonomy lock made it the newest).
    const row = await queryOne<{ id: number }>(
      this.db,
      sql`select id::int as id from change_sets
           where kind = ${kind} and category_ids @> array[${id}]::integer[]
           order by id desc limit 1`,
    );
    return { ...result, change_set_id: row?.id ?? null };
  }
}

function listingMetadata(index: CategoryIndex) {
  return { total_categories: index.size, level_counts: index.levelCounts() };
}

function duplicateSibling(
  name: string,
  parentId: number | null,
  existing: { id: number; name: string },
) {
  return conflict(
    parentId === null
      ? `A level 1 category named "${existing.name}" already exists`
      : `Category ${parentId} already has a child named "${existing.name}"`,
    {
      reason: 'duplicate_sibling_name',
      field: 'name',
      name,
      parent_id: parentId,
      existing_id: existing.id,
    },
  );
}
