/**
 * Restructuring the tree: move a category (with its children) under another parent, or merge
 * it into another category of its level. Rules (docs/move-and-merge.md):
 *
 * - levels never change: a level 3 moves under a level 2, a level 2 (with its children) under a
 *   level 1; a level 1 cannot move (merge it instead);
 * - sibling names stay unique: a move onto a same-named sibling is refused (409, a dry run lists
 *   the clash); a merge merges a child into the target's same-named child, recursively;
 * - every product assigned the moved (merged) subtree gets the new ancestors, and loses the old
 *   ancestors that no other of its categories needs.
 *
 * Both run inside the caller's transaction, with the taxonomy locked, and answer the result and
 * the change set to record. The statements are in restructure.repository.ts.
 */
import type { RestructureResult, SiblingClash } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { conflict, invalidField } from '../../errors.js';
import type { ChangePayloads, CategoryRecord, Reparented } from '../changes/change-kinds.js';
import {
  categoryRecords,
  deleteCategory,
  findSibling,
  type CategoryRow,
} from './categories.repository.js';
import { CategoryIndex } from './category-index.js';
import { normalizeCategoryName } from './category-name.js';
import {
  addToAffectedProducts,
  addToProductsOf,
  affectedProductIds,
  deleteAllAssignments,
  noteAffectedProducts,
  productChanges,
  recountAfterRestructure,
  removeUnneededFromAffected,
  reparentCategory,
  sampleAffectedProducts,
  suspendCounterTriggers,
} from './restructure.repository.js';

const SAMPLE_PRODUCTS = 10;

/** A restructure's answer before it is known whether it was a dry run and which change set. */
export type RestructureOutcome<Kind extends 'category.move' | 'category.merge'> = {
  result: Omit<RestructureResult, 'dry_run' | 'change_set_id'>;
  change: ChangePayloads[Kind] | null;
};

type Counted = { id: number; products: number };

/** The checks of a move that need no write: 404/422 as the issue asks, before anything runs. */
export function checkMove(index: CategoryIndex, id: number, parentId: number): CategoryRow {
  const row = index.get(id)!;
  if (row.level === 1) {
    throw invalidField(
      'parent_id',
      'a level 1 category has no parent, so it cannot be moved (merge it into another level 1 category instead)',
    );
  }
  if (parentId === id) throw invalidField('parent_id', 'a category cannot be moved under itself');
  const parent = index.get(parentId);
  if (!parent) throw invalidField('parent_id', `category ${parentId} does not exist`);
  if (index.descendants(id).includes(parentId)) {
    throw invalidField(
      'parent_id',
      `category ${parentId} ("${parent.name}") is below "${row.name}": a category cannot be moved under its own descendant`,
    );
  }
  if (parent.level !== row.level - 1) {
    const depth = index.descendants(id).some((child) => index.get(child)!.level === 3) ? 1 : 0;
    const deepest = parent.level + 1 + depth;
    throw invalidField(
      'parent_id',
      deepest > 3
        ? `moving level ${row.level} "${row.name}" under level ${parent.level} "${parent.name}" would make a fourth level; a level ${row.level} category moves only under a level ${row.level - 1} category`
        : `levels never change: a level ${row.level} category moves only under a level ${row.level - 1} category, and "${parent.name}" is level ${parent.level}`,
    );
  }
  return parent;
}

/** The sibling-name clash a move under `parentId` would make, if any. */
async function clashOf(
  transaction: Executor,
  index: CategoryIndex,
  row: CategoryRow,
  parentId: number,
): Promise<SiblingClash | null> {
  const existing = await findSibling(transaction, parentId, row.name);
  if (!existing || existing.id === row.id) return null;
  return {
    category_id: row.id,
    name: row.name,
    existing_name: existing.name,
    parent_id: parentId,
    existing_id: existing.id,
    existing_path: index.path(existing.id),
  };
}

export function clashError(clash: SiblingClash, parentPath: string) {
  return conflict(
    `"${parentPath}" already has a child named "${clash.existing_name}" (category ${clash.existing_id}), so "${clash.name}" cannot move there: rename one of them, or merge them`,
    {
      reason: 'duplicate_sibling_name',
      field: 'parent_id',
      name: clash.name,
      parent_id: clash.parent_id,
      existing_id: clash.existing_id,
      existing_path: clash.existing_path,
    },
  );
}

async function ancestorsOf(index: CategoryIndex, counted: Counted[]) {
  return counted.map((item) => {
    const row = index.get(item.id)!;
    return {
      id: row.id,
      name: row.name,
      level: row.level,
      path: index.path(row.id),
      products: item.products,
    };
  });
}

async function productsPart(transaction: Executor, affected: number) {
  const sample = affected > 0 ? await sampleAffectedProducts(transaction, SAMPLE_PRODUCTS) : [];
  const [ids] = affected > 0 ? await affectedProductIds(transaction) : [];
  return { sample, productIds: ids?.ids ?? [] };
}

/** Moves `id` under `parentId` (checked by checkMove) in `transaction`. */
export async function moveCategory(
  transaction: Executor,
  index: CategoryIndex,
  id: number,
  parentId: number,
  dryRun: boolean,
): Promise<RestructureOutcome<'category.move'>> {
  const parent = checkMove(index, id, parentId);
  const row = index.get(id)!;
  const fromPath = index.path(id);
  const moved = [id, ...index.descendants(id)];
  const afterIndex = new CategoryIndex(
    index.rows.map((other) => (other.id === id ? { ...other, parent_id: parentId } : other)),
  );
  const base = {
    operation: 'move' as const,
    category_id: id,
    target_id: parentId,
    from_path: fromPath,
    to_path: afterIndex.path(id),
    categories_deleted: [],
  };
  if (row.parent_id === parentId) {
    // Already there: nothing to do, nothing recorded (a retried move answers the same way).
    return {
      result: {
        ...base,
        to_path: fromPath,
        products_affected: 0,
        ancestors_added: [],
        ancestors_removed: [],
        sample_products: [],
        categories: [],
        clashes: [],
      },
      change: null,
    };
  }
  const categories = moved.map((movedId) => ({
    id: movedId,
    name: index.get(movedId)!.name,
    level: index.get(movedId)!.level,
    from_path: index.path(movedId),
    to_path: afterIndex.path(movedId),
    merged_into_id: null,
  }));
  const clash = await clashOf(transaction, index, row, parentId);
  if (clash) {
    if (!dryRun) throw clashError(clash, index.path(parentId));
    const affected = await noteAffectedProducts(transaction, id);
    const { sample } = await productsPart(transaction, affected);
    return {
      result: {
        ...base,
        products_affected: affected,
        ancestors_added: [],
        ancestors_removed: [],
        sample_products: sample,
        categories,
        clashes: [clash],
      },
      change: null,
    };
  }

  await suspendCounterTriggers(transaction);
  const affected = await noteAffectedProducts(transaction, id);
  const oldPath = index.pathIds(row.parent_id!);
  const newPath = index.pathIds(parent.id);
  const added: Counted[] = [];
  for (const ancestorId of newPath) {
    if (oldPath.includes(ancestorId)) continue;
    const ancestor = index.get(ancestorId)!;
    added.push({
      id: ancestorId,
      products: affected > 0 ? await addToAffectedProducts(transaction, ancestor) : 0,
    });
  }
  await reparentCategory(transaction, id, parentId, parent.level);
  const removed: Counted[] = [];
  for (const ancestorId of [...oldPath].reverse()) {
    if (newPath.includes(ancestorId)) continue;
    removed.push({
      id: ancestorId,
      products: affected > 0 ? await removeUnneededFromAffected(transaction, ancestorId) : 0,
    });
  }
  await recountAfterRestructure(
    transaction,
    [...added, ...removed].map((item) => item.id),
    [row.parent_id!, parentId],
  );
  const { sample, productIds } = await productsPart(transaction, affected);
  const changes = affected > 0 ? await productChanges(transaction) : [];
  const result = {
    ...base,
    products_affected: affected,
    ancestors_added: await ancestorsOf(afterIndex, added),
    ancestors_removed: await ancestorsOf(afterIndex, removed),
    sample_products: sample,
    categories,
    clashes: [],
  };
  return {
    result,
    change: {
      productIds,
      categoryIds: [...new Set([...moved, ...oldPath, ...newPath])],
      before: { parent_id: row.parent_id!, path: fromPath },
      after: {
        parent_id: parentId,
        path: result.to_path,
        ...summaryOf(result, added, removed),
        reparented: [{ id, from: row.parent_id!, to: parentId }],
        product_changes: changes,
      },
    },
  };
}

function summaryOf(
  result: Omit<RestructureResult, 'dry_run' | 'change_set_id'>,
  added: Counted[],
  removed: Counted[],
) {
  return {
    products: result.products_affected,
    ancestors_added: added,
    ancestors_removed: removed,
    categories: result.categories.map((item) => ({
      id: item.id,
      from_path: item.from_path,
      to_path: item.to_path,
      merged_into_id: item.merged_into_id,
    })),
    sample_products: result.sample_products.map((item) => item.product_id),
  };
}

/** The checks of a merge that need no write. */
export function checkMerge(index: CategoryIndex, id: number, intoId: number): CategoryRow {
  const source = index.get(id)!;
  if (intoId === id) throw invalidField('into_id', 'a category cannot be merged into itself');
  const target = index.get(intoId);
  if (!target) throw invalidField('into_id', `category ${intoId} does not exist`);
  if (target.level !== source.level) {
    throw invalidField(
      'into_id',
      `a merge joins two categories of the same level: "${source.name}" is level ${source.level}, "${target.name}" is level ${target.level}`,
    );
  }
  return target;
}

/**
 * Merges `id` into `intoId` (checked by checkMerge): the source's products get the target (and
 * its ancestors), its children move under the target, a child whose name the target already
 * has merges into that child (recursively), and the source is deleted.
 */
export async function mergeCategory(
  transaction: Executor,
  index: CategoryIndex,
  id: number,
  intoId: number,
): Promise<RestructureOutcome<'category.merge'>> {
  checkMerge(index, id, intoId);
  const source = index.get(id)!;
  // The rows as they are, for the change set (its undo re-creates the deleted ones as they were).
  const records = new Map(
    (await categoryRecords(transaction, [id, ...index.descendants(id)])).map((row) => [
      row.id,
      row,
    ]),
  );
  await suspendCounterTriggers(transaction);
  const affected = await noteAffectedProducts(transaction, id);
  const sourceAncestors = index.pathIds(id).slice(0, -1);
  const targetPath = index.pathIds(intoId);

  const added = new Map<number, number>();
  const count = (categoryId: number, products: number) =>
    added.set(categoryId, (added.get(categoryId) ?? 0) + products);
  for (const categoryId of targetPath) {
    if (sourceAncestors.includes(categoryId)) continue;
    count(
      categoryId,
      affected > 0 ? await addToAffectedProducts(transaction, index.get(categoryId)!) : 0,
    );
  }

  const reparented = new Map<number, number>();
  const moves: Reparented[] = [];
  const mergedInto = new Map<number, number>();
  const deleted: CategoryRow[] = [];
  const absorb = async (fromId: number, toId: number): Promise<void> => {
    const into = index.get(toId)!;
    for (const child of index.children(fromId)) {
      const name = normalizeCategoryName(child.name);
      const twin = index.children(toId).find((other) => normalizeCategoryName(other.name) === name);
      if (twin) {
        count(twin.id, await addToProductsOf(transaction, child.id, twin));
        mergedInto.set(child.id, twin.id);
        await absorb(child.id, twin.id);
        await deleteAllAssignments(transaction, child.id);
        await deleteCategory(transaction, child.id);
        deleted.push(child);
      } else {
        await reparentCategory(transaction, child.id, toId, into.level);
        reparented.set(child.id, toId);
        moves.push({ id: child.id, from: fromId, to: toId });
      }
    }
  };
  await absorb(id, intoId);
  await deleteAllAssignments(transaction, id);
  await deleteCategory(transaction, id);
  mergedInto.set(id, intoId);
  deleted.push(source);

  const removed: Counted[] = [];
  for (const ancestorId of [...sourceAncestors].reverse()) {
    if (targetPath.includes(ancestorId)) continue;
    removed.push({
      id: ancestorId,
      products: affected > 0 ? await removeUnneededFromAffected(transaction, ancestorId) : 0,
    });
  }
  await recountAfterRestructure(
    transaction,
    [...added.keys(), ...removed.map((item) => item.id)],
    [...(source.parent_id === null ? [] : [source.parent_id]), intoId, ...mergedInto.values()],
  );

  const gone = new Set(deleted.map((row) => row.id));
  const afterIndex = new CategoryIndex(
    index.rows
      .filter((row) => !gone.has(row.id))
      .map((row) =>
        reparented.has(row.id) ? { ...row, parent_id: reparented.get(row.id)! } : row,
      ),
  );
  // Every category below the source changes path: moved ones (and what is below them) keep
  // their id, merged ones live on as their twin.
  const categories = index.descendants(id).map((categoryId) => {
    const row = index.get(categoryId)!;
    const twin = mergedInto.get(categoryId);
    return {
      id: categoryId,
      name: row.name,
      level: row.level,
      from_path: index.path(categoryId),
      to_path: afterIndex.path(twin ?? categoryId),
      merged_into_id: twin ?? null,
    };
  });
  const addedList = [...added].map(([categoryId, products]) => ({ id: categoryId, products }));
  const { sample, productIds } = await productsPart(transaction, affected);
  const changes = affected > 0 ? await productChanges(transaction) : [];
  const result = {
    operation: 'merge' as const,
    category_id: id,
    target_id: intoId,
    from_path: index.path(id),
    to_path: index.path(intoId),
    products_affected: affected,
    ancestors_added: await ancestorsOf(index, addedList),
    ancestors_removed: await ancestorsOf(index, removed),
    sample_products: sample,
    categories,
    categories_deleted: deleted.map((row) => row.id),
    clashes: [],
  };
  const deletedRecords: CategoryRecord[] = deleted.map((row) => records.get(row.id)!);
  return {
    result,
    change: {
      productIds,
      categoryIds: [
        ...new Set([id, intoId, ...index.descendants(id), ...sourceAncestors, ...targetPath]),
      ],
      before: { path: result.from_path },
      after: {
        into_id: intoId,
        into_path: result.to_path,
        deleted: deletedRecords,
        ...summaryOf(result, addedList, removed),
        reparented: moves,
        product_changes: changes,
      },
    },
  };
}
