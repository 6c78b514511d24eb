/**
 * The assignment invariant, in one place: a product's categories are closed under "parent of".
 * Assigning a category also assigns its missing ancestors; removing one also removes its
 * assigned descendants. These functions only plan; the repositories carry the plan out.
 */
import type { NewAssignment } from './assignments.repository.js';
import type { CategoryIndex } from '../categories/category-index.js';

export interface AssignmentPlan {
  /** Requested categories that were not assigned yet. */
  added: number[];
  /** Ancestors that were missing and come with them. */
  ancestorsAdded: number[];
  /** Requested categories the product already had. */
  alreadyAssigned: number[];
}

/**
 * Whether assigning `categoryId` fills a gap of a product with `current` categories, as
 * accepting suggestions does (docs/work-queue.md): the product has no category yet, or the
 * category lies below one of its open branches — an assigned category that has children, none
 * of which is assigned (the "subcategory missing" rule). A category beside what the product has
 * (another branch, or a sibling of an assigned subcategory) fills nothing: that is a second
 * classification, a decision left to a person.
 */
export function fillsGap(
  index: CategoryIndex,
  current: ReadonlySet<number>,
  categoryId: number,
): boolean {
  if (!index.has(categoryId) || current.has(categoryId)) return false;
  if (current.size === 0) return true;
  const deepestAssigned = index
    .ancestors(categoryId)
    .filter((ancestor) => current.has(ancestor.id))
    .at(-1);
  return (
    deepestAssigned !== undefined &&
    index.children(deepestAssigned.id).every((child) => !current.has(child.id))
  );
}

export function planAssignment(
  index: CategoryIndex,
  current: ReadonlySet<number>,
  requested: readonly number[],
): AssignmentPlan {
  const requestedSet = new Set(requested);
  const toAdd = new Set<number>();
  const alreadyAssigned: number[] = [];
  for (const categoryId of requested) {
    if (current.has(categoryId)) {
      alreadyAssigned.push(categoryId);
      continue;
    }
    for (const pathId of index.pathIds(categoryId)) {
      if (!current.has(pathId)) toAdd.add(pathId);
    }
  }
  const ordered = index.sortForDisplay(toAdd);
  return {
    added: ordered.filter((id) => requestedSet.has(id)),
    ancestorsAdded: ordered.filter((id) => !requestedSet.has(id)),
    alreadyAssigned,
  };
}

export interface RemovalPlan {
  /** Requested categories that were assigned. */
  removed: number[];
  /** Assigned descendants that go with them. */
  descendantsRemoved: number[];
  /** Requested categories the product did not have. */
  notAssigned: number[];
  /**
   * With `removeUnneededParents`: ancestors of the removed categories that nothing left on the
   * product still needs (no remaining child), removed too, deepest first.
   */
  parentsRemoved: number[];
  /** Ancestors of the removed categories that stay assigned. */
  parentsKept: number[];
}

/**
 * What removing `requested` from a product with `current` does. The descendants always go
 * (closure); the ancestors stay unless `removeUnneededParents`, which also removes each
 * ancestor of a removed category that has no remaining child (level 2 first, then level 1).
 */
export function planRemoval(
  index: CategoryIndex,
  current: ReadonlySet<number>,
  requested: readonly number[],
  removeUnneededParents = false,
): RemovalPlan {
  const requestedSet = new Set(requested);
  const toRemove = new Set<number>();
  const notAssigned: number[] = [];
  for (const categoryId of requested) {
    if (!current.has(categoryId)) {
      notAssigned.push(categoryId);
      continue;
    }
    toRemove.add(categoryId);
    for (const descendant of index.descendants(categoryId)) {
      if (current.has(descendant)) toRemove.add(descendant);
    }
  }
  const remaining = new Set([...current].filter((id) => !toRemove.has(id)));
  const ancestors = new Set<number>();
  for (const categoryId of requested) {
    if (!toRemove.has(categoryId)) continue;
    for (const ancestor of index.ancestors(categoryId)) {
      if (remaining.has(ancestor.id)) ancestors.add(ancestor.id);
    }
  }
  const parentsRemoved: number[] = [];
  if (removeUnneededParents) {
    const deepestFirst = [...ancestors].sort((a, b) => index.get(b)!.level - index.get(a)!.level);
    for (const ancestor of deepestFirst) {
      if (index.children(ancestor).some((child) => remaining.has(child.id))) continue;
      remaining.delete(ancestor);
      parentsRemoved.push(ancestor);
    }
  }
  const ordered = index.sortForDisplay(toRemove);
  return {
    removed: ordered.filter((id) => requestedSet.has(id)),
    descendantsRemoved: ordered.filter((id) => !requestedSet.has(id)),
    notAssigned,
    parentsRemoved: index.sortForDisplay(parentsRemoved),
    parentsKept: index.sortForDisplay([...ancestors].filter((id) => remaining.has(id))),
  };
}

/** The rows to insert for a plan (each row names its parent, which the database checks). */
export function assignmentRows(
  index: CategoryIndex,
  productId: number,
  categoryIds: readonly number[],
): NewAssignment[] {
  return categoryIds.map((categoryId) => {
    const category = index.get(categoryId)!;
    return {
      productId,
      categoryId,
      categoryLevel: category.level,
      parentCategoryId: category.parent_id,
    };
  });
}
