/**
 * The category tree (one request) as a lookup: every category by id with its path, in tree
 * order. Paths of a product's categories are computed here, so opening a product needs no
 * request of its own.
 */
import type { CategoryRef, TreeNode } from '@tag-manager/contract';

export interface CategoryNode {
  id: number;
  name: string;
  level: number;
  parent_id: number | null;
  product_count: number;
  children: number[];
  /** Names from level 1 down, joined by " > ". */
  path: string;
  path_ids: number[];
  /**
   * The shortest end of the path that no other category shares, joined by " › ": the name
   * alone when it is unique, else "Parent › Name" (or the whole path). What a chip shows.
   */
  label: string;
}

export interface CategoryIndex {
  roots: number[];
  byId: Map<number, CategoryNode>;
  /** Depth-first, in the server's order. */
  ordered: CategoryNode[];
}

interface AnyTreeNode {
  id: number;
  name: string;
  level: number;
  parent_id: number | null;
  product_count: number;
  children: AnyTreeNode[];
}

export function buildCategoryIndex(tree: readonly TreeNode[]): CategoryIndex {
  const byId = new Map<number, CategoryNode>();
  const ordered: CategoryNode[] = [];
  const visit = (node: AnyTreeNode, parent: CategoryNode | undefined) => {
    const entry: CategoryNode = {
      id: node.id,
      name: node.name,
      level: node.level,
      parent_id: node.parent_id,
      product_count: node.product_count,
      children: node.children.map((child) => child.id),
      path: parent ? `${parent.path} > ${node.name}` : node.name,
      path_ids: parent ? [...parent.path_ids, node.id] : [node.id],
      label: node.name,
    };
    byId.set(node.id, entry);
    ordered.push(entry);
    for (const child of node.children) visit(child, entry);
  };
  for (const root of tree as readonly AnyTreeNode[]) visit(root, undefined);
  labelUniquely(byId, ordered);
  return { roots: tree.map((node) => node.id), byId, ordered };
}

/** Sets each category's `label` to the shortest end of its path that is unique. */
function labelUniquely(byId: Map<number, CategoryNode>, ordered: CategoryNode[]) {
  const names = (node: CategoryNode) => node.path_ids.map((id) => byId.get(id)!.name);
  const key = (parts: string[], length: number) => JSON.stringify(parts.slice(-length));
  const counts = new Map<string, number>();
  for (const node of ordered) {
    const parts = names(node);
    for (let length = 1; length <= parts.length; length += 1) {
      const suffix = key(parts, length);
      counts.set(suffix, (counts.get(suffix) ?? 0) + 1);
    }
  }
  for (const node of ordered) {
    const parts = names(node);
    let length = 1;
    while (length < parts.length && counts.get(key(parts, length))! > 1) length += 1;
    node.label = parts.slice(-length).join(' › ');
  }
}

/** The ids of a category and all categories below it. */
export function descendantsOf(index: CategoryIndex, id: number): number[] {
  const result: number[] = [];
  const stack = [id];
  while (stack.length > 0) {
    const current = stack.pop()!;
    result.push(current);
    stack.push(...(index.byId.get(current)?.children ?? []));
  }
  return result;
}

export function refOf(index: CategoryIndex, id: number): CategoryRef | undefined {
  const node = index.byId.get(id);
  return node ? { id: node.id, name: node.name, level: node.level } : undefined;
}

/** Categories sorted as the tree shows them (so chips read top-down). */
export function sortByTree<T extends { id: number }>(
  index: CategoryIndex | undefined,
  items: T[],
): T[] {
  if (!index) return items;
  const position = new Map(index.ordered.map((node, order) => [node.id, order]));
  return [...items].sort(
    (a, b) =>
      (position.get(a.id) ?? Number.MAX_SAFE_INTEGER) -
      (position.get(b.id) ?? Number.MAX_SAFE_INTEGER),
  );
}

/** Only the deepest categories of a set closed under "parent of" (what the export lists). */
export function mostSpecific(index: CategoryIndex | undefined, ids: number[]): number[] {
  if (!index) return ids;
  const set = new Set(ids);
  return ids.filter((id) => !(index.byId.get(id)?.children ?? []).some((child) => set.has(child)));
}

export const LEVEL_NAMES: Record<number, string> = { 1: 'Level 1', 2: 'Level 2', 3: 'Level 3' };

/**
 * The work queue's finder: categories whose path contains every typed word (in any part of the
 * path), best first — those whose own name holds every word, then those whose name starts with
 * the first word, then deeper before shallower (the most specific category is usually the one
 * wanted), then tree order.
 */
export function matchCategories(index: CategoryIndex, text: string, limit = 12): CategoryNode[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [];
  const rank = (node: CategoryNode) => {
    const name = node.name.toLowerCase();
    return (
      (words.every((word) => name.includes(word)) ? 2 : 0) + (name.startsWith(words[0]!) ? 1 : 0)
    );
  };
  const hits = index.ordered
    .filter((node) => {
      const path = node.path.toLowerCase();
      return words.every((word) => path.includes(word));
    })
    .map((node) => ({ node, rank: rank(node) }));
  // Array.prototype.sort is stable: equal ranks and levels keep the tree order.
  hits.sort((a, b) => b.rank - a.rank || b.node.level - a.node.level);
  return hits.slice(0, limit).map((hit) => hit.node);
}
