/**
 * The taxonomy in memory: ids, parents, children, paths. Built from one query of all categories
 * and used for every path, ancestor and descendant question, so no request walks the tree in SQL.
 */
import type {
  Category,
  CategoryRef,
  CategoryWithPath,
  TreeNode,
  TreeNodeLevel2,
  TreeNodeLevel3,
} from '@tag-manager/contract';
import type { CategoryRow } from './categories.repository.js';

export const PATH_SEPARATOR = ' > ';

export class CategoryIndex {
  private readonly byId = new Map<number, CategoryRow>();
  private readonly childrenByParent = new Map<number | null, CategoryRow[]>();

  constructor(readonly rows: readonly CategoryRow[]) {
    for (const row of rows) {
      this.byId.set(row.id, row);
      const siblings = this.childrenByParent.get(row.parent_id);
      if (siblings) siblings.push(row);
      else this.childrenByParent.set(row.parent_id, [row]);
    }
  }

  get size(): number {
    return this.rows.length;
  }

  get(id: number): CategoryRow | undefined {
    return this.byId.get(id);
  }

  has(id: number): boolean {
    return this.byId.has(id);
  }

  children(parentId: number | null): readonly CategoryRow[] {
    return this.childrenByParent.get(parentId) ?? [];
  }

  /** Ids from level 1 down to `id` itself. */
  pathIds(id: number): number[] {
    const ids: number[] = [];
    for (
      let row = this.byId.get(id);
      row;
      row = row.parent_id ? this.byId.get(row.parent_id) : undefined
    ) {
      ids.unshift(row.id);
    }
    return ids;
  }

  /** Ancestors of `id`, level 1 first, without `id` itself. */
  ancestors(id: number): CategoryRow[] {
    return this.pathIds(id)
      .slice(0, -1)
      .map((ancestorId) => this.byId.get(ancestorId)!);
  }

  /** Every category below `id`, at any depth. */
  descendants(id: number): number[] {
    const found: number[] = [];
    const pending = [id];
    while (pending.length > 0) {
      for (const child of this.children(pending.pop()!)) {
        found.push(child.id);
        pending.push(child.id);
      }
    }
    return found;
  }

  /** The names from level 1 down to `id` (files write them through category-path.ts). */
  pathNames(id: number): string[] {
    return this.pathIds(id).map((pathId) => this.byId.get(pathId)!.name);
  }

  path(id: number): string {
    return this.pathIds(id)
      .map((pathId) => this.byId.get(pathId)!.name)
      .join(PATH_SEPARATOR);
  }

  ref(id: number): CategoryRef {
    const row = this.byId.get(id)!;
    return { id: row.id, name: row.name, level: row.level };
  }

  withPath(id: number): CategoryWithPath {
    const row = this.byId.get(id)!;
    return {
      id: row.id,
      name: row.name,
      level: row.level,
      parent_id: row.parent_id,
      path: this.path(id),
      path_ids: this.pathIds(id),
    };
  }

  toCategory(row: CategoryRow): Category {
    const childCount = this.children(row.id).length;
    return {
      ...this.withPath(row.id),
      has_children: childCount > 0,
      child_count: childCount,
      product_count: row.product_count,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  /**
   * Categories sorted as a reader expects: by level, then by path. The whole taxonomy is ranked
   * in that order once per index (a comparison of paths builds both strings: a bulk write of
   * 10,000 products sorted each product's categories by path and spent ~100 ms on it).
   */
  sortForDisplay(ids: Iterable<number>): number[] {
    const rank = this.displayRank();
    return [...ids].sort((a, b) => rank.get(a)! - rank.get(b)!);
  }

  private rankByDisplay: Map<number, number> | undefined;

  private displayRank(): Map<number, number> {
    if (!this.rankByDisplay) {
      const paths = new Map(this.rows.map((row) => [row.id, this.path(row.id)]));
      const ordered = [...this.rows].sort(
        (a, b) => a.level - b.level || paths.get(a.id)!.localeCompare(paths.get(b.id)!),
      );
      this.rankByDisplay = new Map(ordered.map((row, position) => [row.id, position]));
    }
    return this.rankByDisplay;
  }

  levelCounts() {
    const counts = { level_1: 0, level_2: 0, level_3: 0 };
    for (const row of this.rows) counts[`level_${row.level}` as keyof typeof counts] += 1;
    return counts;
  }

  tree(): TreeNode[] {
    const node = (row: CategoryRow) => ({
      id: row.id,
      name: row.name,
      level: row.level,
      parent_id: row.parent_id,
      product_count: row.product_count,
    });
    return this.children(null).map((level1) => ({
      ...node(level1),
      children: this.children(level1.id).map((level2): TreeNodeLevel2 => ({
        ...node(level2),
        children: this.children(level2.id).map((level3): TreeNodeLevel3 => ({
          ...node(level3),
          children: [],
        })),
      })),
    }));
  }
}
