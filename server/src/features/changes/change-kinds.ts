/**
 * Every kind of write, in one table: the change set it records (before → after, enough to undo
 * it where undo makes sense), the cache namespaces it bumps, and the event it would publish.
 *
 * A write goes through `applyChange` (apply-change.ts), which takes its kind from this table; a
 * kind added to `ChangePayloads` without a definition below does not compile, nor does a
 * definition that lacks a field.
 *
 * Names: `handle` is the Shopify handle (the API calls it `product_id`); `productIds` are the
 * products' integer row ids. In the stored JSON (`before`/`after`, served by /api/changes) the
 * API's names are kept: `product_id` there is the handle, as everywhere in the API, and the
 * integer ids are the change set's `product_ids` column.
 */
import { Namespaces, WriteEffects } from '../../cache/namespaces.js';
import type { WriteContext } from './changes.repository.js';

/** What one change set stores: integer ids (indexed columns) and before → after (JSON). */
export interface ChangeSet<Before, After> {
  productIds: readonly number[];
  categoryIds: readonly number[];
  before: Before;
  after: After;
}

/** A product's categories around a single assign or remove (`product_id` is the handle). */
export interface ProductCategories {
  product_id: string;
  category_ids: number[];
}

/** One product's share of a bulk write: the category ids added or removed, for that handle. */
export interface BulkAssignedItem {
  product_id: string;
  /** Every category inserted for this product, ancestors included. */
  added: number[];
}
export interface BulkRemovedItem {
  product_id: string;
  /** Every category deleted for this product, descendants (and unneeded parents) included. */
  removed: number[];
}

export interface CategoryFields {
  id: number;
  name: string;
  level: number;
  parent_id: number | null;
}

/** A category row as an undo re-creates it (`created_at` and `is_sample` when known). */
export interface CategoryRecord extends CategoryFields {
  created_at?: string;
  is_sample?: boolean;
}

/** An import's report, without the rejected lines. */
export interface ImportSummary {
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
}

/** What a move or merge did, in counts: per category, how many products gained or lost it. */
export interface RestructureSummary {
  products: number;
  ancestors_added: { id: number; products: number }[];
  ancestors_removed: { id: number; products: number }[];
  /** Categories whose path changed (moved or merged), with their paths around the change. */
  categories: { id: number; from_path: string; to_path: string; merged_into_id: number | null }[];
  /** Up to 10 affected handles (events and the log show them). */
  sample_products: string[];
}

/** Products (row ids) for which a move, merge or unmerge wrote the same assignment rows. */
export interface ProductGroup {
  /** The categories inserted for each of these products. */
  added: number[];
  /** The categories deleted from each of them. */
  removed: number[];
  product_ids: number[];
}

/** A category a restructure put under another parent (its assignment rows followed). */
export interface Reparented {
  id: number;
  from: number;
  to: number;
}

/**
 * Exactly what a move, merge or unmerge wrote, beyond its counts: which categories changed
 * parent, and per product the assignment rows inserted and deleted, products with the same rows
 * grouped (a 100,000-product merge is a few groups: every product of a simple source gains and
 * loses the same rows). Optional: change sets recorded before undo existed lack them (those
 * cannot be undone).
 */
export interface RestructureWrites {
  reparented?: Reparented[];
  product_changes?: ProductGroup[];
}

export interface TokenFields {
  id: number;
  name: string;
  role: string;
  prefix: string;
}

/** The payload each kind records. Add a kind here, and the table below must define it. */
export interface ChangePayloads {
  /** One product gains categories; `added` and `ancestors_added` are what was inserted. */
  'product.assign': ChangeSet<
    ProductCategories,
    ProductCategories & { added: number[]; ancestors_added: number[] }
  >;
  /** One product loses a category and its descendants; `removed` lists every deleted row. */
  'product.remove': ChangeSet<
    ProductCategories,
    ProductCategories & { removed: number[]; descendants_removed: number[] }
  >;
  'bulk.assign': ChangeSet<null, { summary: Record<string, number>; changed: BulkAssignedItem[] }>;
  /** `removed` includes the parents removed with `remove_unneeded_parents` (recorded as asked). */
  'bulk.remove': ChangeSet<
    null,
    {
      summary: Record<string, number>;
      changed: BulkRemovedItem[];
      remove_unneeded_parents?: boolean;
    }
  >;
  /** `created_at`/`is_sample` are set when an undo re-created a deleted category. */
  'category.create': ChangeSet<null, CategoryRecord>;
  /** The id is `categoryIds[0]`. */
  'category.rename': ChangeSet<{ name: string }, { name: string }>;
  /**
   * The deleted row, and the assignments that went with it. A delete refuses a category that
   * has products or children, so `assignments` is empty today; it is recorded so that the
   * payload stays complete if that rule ever changes.
   */
  'category.delete': ChangeSet<
    CategoryFields & {
      created_at: string;
      /** Set by an undo that deleted a category it had re-created (kept through undo/redo). */
      is_sample?: boolean;
      assignments: { product_id: number }[];
    },
    null
  >;
  /**
   * A category (with its children) moved under another parent (POST /api/categories/{id}/move).
   * `productIds` are every product assigned the moved subtree; the id is `categoryIds[0]`.
   * Counts per ancestor, and (RestructureWrites) the category moved and per group of products
   * the rows inserted and deleted, which its undo reverses exactly.
   */
  'category.move': ChangeSet<
    { parent_id: number; path: string },
    RestructureSummary & RestructureWrites & { parent_id: number; path: string }
  >;
  /**
   * A category merged into another of its level (POST /api/categories/{id}/merge): its products
   * got the target, its children moved under the target or merged into same-named ones, and it
   * was deleted. `deleted` are the rows it and the merged children were; `reparented` the
   * children moved under the target (or a twin), `product_changes` each product group's rows.
   */
  'category.merge': ChangeSet<
    { path: string },
    RestructureSummary &
      RestructureWrites & { into_id: number; into_path: string; deleted: CategoryRecord[] }
  >;
  /**
   * The undo of a merge: the merged categories re-created with their ids (`created`), the
   * children moved back, each product's assignments as before the merge. `categoryIds` are the
   * merge's (the source first); its undo merges again (`category.merge`).
   */
  'category.unmerge': ChangeSet<
    { path: string },
    RestructureSummary &
      RestructureWrites & {
        from_id: number;
        into_id: number;
        path: string;
        created: CategoryRecord[];
      }
  >;
  /**
   * Products created or updated. Not reversible from the log: before values are not kept (a
   * 100 MB import would double the log). The export taken before an import is its undo.
   */
  'import.products': ChangeSet<null, ImportSummary>;
  /** Categories created, and renamed with their old and new names: reversible. */
  'import.categories': ChangeSet<
    null,
    ImportSummary & {
      created_ids: number[];
      renamed: { id: number; from: string; to: string }[];
      /** Sample categories the import named, which became real (undo: mark them sample). */
      claimed_from_sample?: number[];
      /** Only in an undo of an import: the categories it deleted (the import had created them). */
      deleted?: CategoryRecord[];
      /** Only in an undo of an import: the categories it marked sample again. */
      returned_to_sample?: number[];
    }
  >;
  /**
   * Assignments restored from a file: each changed product's full category set before and
   * after (ancestors included). Reversible: set each product back to its `before` set.
   */
  'import.assignments': ChangeSet<
    { products: ProductCategories[] },
    ImportSummary & {
      format: string;
      added: number;
      removed: number;
      products: ProductCategories[];
    }
  >;
  'token.create': ChangeSet<null, TokenFields>;
  'token.revoke': ChangeSet<TokenFields, { revoked_at: string | null }>;
  /** A synthetic catalog loaded over an emptied database (scripts/seed.ts, first start). */
  seed: ChangeSet<null, { products: number; categories: number; assignments: number }>;
  /**
   * Every sample product, sample category and their assignments removed (DELETE
   * /api/sample-data, `npm run seed -- --remove`). `before` counts the sample data there was;
   * `categoryIds` are the removed categories. Sample categories real data still uses are kept
   * and become real (`kept_categories`).
   */
  'sample.remove': ChangeSet<
    { products: number; categories: number },
    {
      removed: { products: number; categories: number; assignments: number };
      kept_categories: { id: number; name: string; level: number }[];
    }
  >;
}

export type ChangeKind = keyof ChangePayloads;

/** What a live-update stream would publish for a change: small, whatever the write's size. */
export interface ChangeEvent {
  kind: ChangeKind;
  actor: string;
  source: string;
  counts: Record<string, number>;
  /** Up to EVENT_HANDLES handles of the products touched; `product_count` counts them all. */
  handles: string[];
  product_count: number;
  category_count: number;
}

export const EVENT_HANDLES = 50;

/**
 * How a change is undone from its payload alone: `exact` (the inverse restores every row the
 * write touched, timestamps aside), `revoke` (undone in effect, not in form), or `none`.
 */
export type Reversibility = 'exact' | 'revoke' | 'none';

/**
 * How a change is undone (POST /api/changes/{id}/undo), from its payload alone. The undo engine
 * (undo.service.ts) knows four effects; each kind says which it has and how to read its
 * payload, and how to record the undo as a change set of `inverseKind` (so undoing the undo
 * redoes it through the same table):
 *
 * - `assignments`: rows of product_categories added and removed per product. The undo deletes
 *   what was added and inserts what was removed (ancestors and descendants included, as the
 *   change recorded them);
 * - `categories`: categories created, deleted, renamed, and sample flags changed;
 * - `restructure`: a move, merge or unmerge: categories re-created, deleted and moved back, and
 *   per group of products the assignment rows inserted and deleted, in one transaction;
 * - `token`: a token created, undone by revoking it (`reversible: 'revoke'`);
 * - `none`: not undoable, with the reason the API answers.
 */
/** What a change did to one product's assignments (`product_id` is the handle). */
export interface ProductDelta {
  product_id: string;
  added: readonly number[];
  removed: readonly number[];
}

/** What an undo did to one product: its delta, its row id, its category set around it. */
export interface ProductUndone extends ProductDelta {
  productId: number;
  before: number[];
  after: number[];
}

/** What a change did to the taxonomy. */
export interface CategoryDelta {
  /** Categories it created (ids: the undo reads their rows before deleting them). */
  created: readonly number[];
  /** Categories it deleted, as they were. */
  deleted: readonly CategoryRecord[];
  renamed: readonly { id: number; from: string; to: string }[];
  /** Sample categories it made real, and real ones it made sample. */
  madeReal: readonly number[];
  madeSample: readonly number[];
}

/** What an undo did to the taxonomy (`createdRows`: the rows of the categories it created). */
export interface CategoriesUndone extends CategoryDelta {
  createdRows: readonly CategoryRecord[];
}

/**
 * What a move, merge or unmerge did to the tree and the products, as its undo reads it: the
 * undo re-creates `deleted`, deletes `created`, moves each of `reparented` back from `to` to
 * `from`, and per product deletes the rows in `added` and inserts those in `removed`.
 */
export interface RestructureDelta {
  created: readonly CategoryRecord[];
  deleted: readonly CategoryRecord[];
  reparented: readonly Reparented[];
  products: readonly ProductGroup[];
  /** Categories the undo needs still there (a merge's target), and what they were to it. */
  requires: readonly { id: number; role: string }[];
}

/**
 * What an undo of a restructure did, in the same terms as the change it records: `created` the
 * rows it re-created, `deleted` the rows it deleted (as they were), `reparented` the moves it
 * made, `products` the rows it inserted (`added`) and deleted (`removed`) per product.
 */
export interface RestructureUndone {
  created: CategoryRecord[];
  deleted: CategoryRecord[];
  reparented: Reparented[];
  products: ProductGroup[];
}

/** Change kinds that change the tree itself (a later one blocks a restructure's undo). */
export const TAXONOMY_KINDS: ReadonlySet<string> = new Set([
  'category.create',
  'category.rename',
  'category.delete',
  'category.move',
  'category.merge',
  'category.unmerge',
  'import.categories',
  'sample.remove',
  'seed',
]);

type InverseOf<Undone, Payload> = {
  [Kind in ChangeKind]: {
    inverseKind: Kind;
    inverse: (undone: Undone, payload: Payload) => ChangePayloads[Kind];
  };
}[ChangeKind];

export type UndoDefinition<Payload> =
  | ({
      effect: 'assignments';
      deltas: (payload: Payload) => ProductDelta[];
    } & InverseOf<ProductUndone[], Payload>)
  | ({
      effect: 'categories';
      delta: (payload: Payload) => CategoryDelta;
    } & InverseOf<CategoriesUndone, Payload>)
  | ({
      effect: 'restructure';
      /** Null for a change set recorded before restructures kept their writes (`why`). */
      delta: (payload: Payload) => RestructureDelta | null;
      why: string;
    } & InverseOf<RestructureUndone, Payload>)
  | { effect: 'token'; tokenId: (payload: Payload) => number }
  | { effect: 'none'; why: string };

export interface ChangeKindDefinition<Payload extends ChangeSet<unknown, unknown>> {
  description: string;
  reversible: Reversibility;
  /** How POST /api/changes/{id}/undo reverses it (`effect: 'none'` iff `reversible: 'none'`). */
  undo: UndoDefinition<Payload>;
  /** The cache namespaces the write changed (bumped after it commits). */
  bumps: (payload: Payload) => readonly string[];
  /** The event published for it. */
  event: (payload: Payload) => {
    counts: Record<string, number>;
    handles: readonly string[];
    productCount: number;
  };
}

const single = (handle: string) => ({ handles: [handle], productCount: 1 });

/**
 * Above this many products, a bulk write (a job's batch) bumps every product's detail at once
 * instead of one namespace per product.
 */
const PER_PRODUCT_BUMPS = 1000;
const bulkBumps = (handles: readonly string[]) =>
  handles.length > PER_PRODUCT_BUMPS
    ? [...WriteEffects.assignments([]), Namespaces.products]
    : WriteEffects.assignments(handles);
const none = { handles: [] as string[], productCount: 0 };

const union = (...lists: readonly (readonly number[])[]) => [...new Set(lists.flat())];
const total = (items: readonly ProductUndone[], of: (item: ProductUndone) => readonly number[]) =>
  items.reduce((sum, item) => sum + of(item).length, 0);
const minus = (from: readonly number[], take: readonly number[]) => {
  const gone = new Set(take);
  return from.filter((id) => !gone.has(id));
};

/** The undo of many products' assignments, recorded as the bulk write that does the same. */
function bulkRemoveOf(undone: ProductUndone[]): ChangePayloads['bulk.remove'] {
  const changed = undone
    .filter((item) => item.removed.length > 0)
    .map((item) => ({ product_id: item.product_id, removed: [...item.removed] }));
  return {
    productIds: undone.map((item) => item.productId),
    categoryIds: union(...undone.map((item) => item.removed)),
    before: null,
    after: {
      summary: {
        products_processed: undone.length,
        total_removed: total(undone, (item) => item.removed),
        total_descendants_removed: 0,
        total_skipped: 0,
        total_errors: 0,
      },
      changed,
    },
  };
}

function bulkAssignOf(undone: ProductUndone[]): ChangePayloads['bulk.assign'] {
  const changed = undone
    .filter((item) => item.added.length > 0)
    .map((item) => ({ product_id: item.product_id, added: [...item.added] }));
  return {
    productIds: undone.map((item) => item.productId),
    categoryIds: union(...undone.map((item) => item.added)),
    before: null,
    after: {
      summary: {
        products_processed: undone.length,
        total_assigned: total(undone, (item) => item.added),
        total_ancestors_added: 0,
        total_skipped: 0,
        total_errors: 0,
      },
      changed,
    },
  };
}

/** A move or merge changes paths (taxonomy), counts, and which products have which categories. */
const restructureBumps = [...WriteEffects.taxonomy(), Namespaces.assignments, Namespaces.counts];
const restructureEvent = (after: RestructureSummary) => ({
  counts: {
    products: after.products,
    ancestors_added: after.ancestors_added.reduce((sum, item) => sum + item.products, 0),
    ancestors_removed: after.ancestors_removed.reduce((sum, item) => sum + item.products, 0),
    categories: after.categories.length,
  },
  handles: after.sample_products,
  productCount: after.products,
});

/** How many products gained (or lost) each category, from a restructure's product groups. */
function perCategory(groups: readonly ProductGroup[], of: (group: ProductGroup) => number[]) {
  const counts = new Map<number, number>();
  for (const group of groups) {
    for (const id of of(group)) counts.set(id, (counts.get(id) ?? 0) + group.product_ids.length);
  }
  return [...counts].map(([id, products]) => ({ id, products }));
}

/** The summary of an undone restructure: counts from what it wrote, paths the other way. */
function undoneSummary(undone: RestructureUndone, done: RestructureSummary): RestructureSummary {
  return {
    products: undone.products.reduce((sum, group) => sum + group.product_ids.length, 0),
    ancestors_added: perCategory(undone.products, (group) => group.added),
    ancestors_removed: perCategory(undone.products, (group) => group.removed),
    categories: done.categories.map((item) => ({
      id: item.id,
      from_path: item.to_path,
      to_path: item.from_path,
      merged_into_id: item.merged_into_id,
    })),
    sample_products: done.sample_products,
  };
}

const writesOf = (undone: RestructureUndone) => ({
  reparented: undone.reparented,
  product_changes: undone.products,
});
const productIdsOf = (groups: readonly ProductGroup[]) =>
  groups.flatMap((group) => group.product_ids).sort((a, b) => a - b);

const OLD_RESTRUCTURE =
  'it was recorded before moves and merges kept which products gained and lost which categories';

/** The delta of a restructure change set, null when it lacks its writes (recorded before). */
function restructureDelta(
  after: RestructureWrites,
  categories: Pick<RestructureDelta, 'created' | 'deleted' | 'requires'>,
): RestructureDelta | null {
  if (!after.reparented || !after.product_changes) return null;
  return { ...categories, reparented: after.reparented, products: after.product_changes };
}

const categoryChangeOf = (ids: readonly number[]) => ({ productIds: [], categoryIds: [...ids] });
const noCategoryChange: CategoryDelta = {
  created: [],
  deleted: [],
  renamed: [],
  madeReal: [],
  madeSample: [],
};

export const ChangeKinds = {
  'product.assign': {
    description: 'categories assigned to one product (ancestors added with them)',
    reversible: 'exact',
    undo: {
      effect: 'assignments',
      deltas: (payload) => [
        {
          product_id: payload.after.product_id,
          added: union(payload.after.added, payload.after.ancestors_added),
          removed: [],
        },
      ],
      inverseKind: 'product.remove',
      inverse: ([item]) => ({
        productIds: [item!.productId],
        categoryIds: [...item!.removed],
        before: { product_id: item!.product_id, category_ids: item!.before },
        after: {
          product_id: item!.product_id,
          category_ids: item!.after,
          removed: [...item!.removed],
          descendants_removed: [],
        },
      }),
    },
    bumps: (payload) => WriteEffects.assignments([payload.after.product_id]),
    event: (payload) => ({
      counts: {
        added: payload.after.added.length,
        ancestors_added: payload.after.ancestors_added.length,
      },
      ...single(payload.after.product_id),
    }),
  },
  'product.remove': {
    description: 'a category removed from one product (descendants removed with it)',
    reversible: 'exact',
    undo: {
      effect: 'assignments',
      deltas: (payload) => [
        {
          product_id: payload.after.product_id,
          added: [],
          removed: union(payload.after.removed, payload.after.descendants_removed),
        },
      ],
      inverseKind: 'product.assign',
      inverse: ([item]) => ({
        productIds: [item!.productId],
        categoryIds: [...item!.added],
        before: { product_id: item!.product_id, category_ids: item!.before },
        after: {
          product_id: item!.product_id,
          category_ids: item!.after,
          added: [...item!.added],
          ancestors_added: [],
        },
      }),
    },
    bumps: (payload) => WriteEffects.assignments([payload.after.product_id]),
    event: (payload) => ({
      counts: {
        removed: payload.after.removed.length,
        descendants_removed: payload.after.descendants_removed.length,
      },
      ...single(payload.after.product_id),
    }),
  },
  'bulk.assign': {
    description: 'categories assigned to many products',
    reversible: 'exact',
    undo: {
      effect: 'assignments',
      deltas: (payload) =>
        payload.after.changed.map((item) => ({
          product_id: item.product_id,
          added: item.added,
          removed: [],
        })),
      inverseKind: 'bulk.remove',
      inverse: bulkRemoveOf,
    },
    bumps: (payload) => bulkBumps(payload.after.changed.map((item) => item.product_id)),
    event: (payload) => ({
      counts: payload.after.summary,
      handles: payload.after.changed.map((item) => item.product_id),
      productCount: payload.after.changed.length,
    }),
  },
  'bulk.remove': {
    description: 'categories removed from many products',
    reversible: 'exact',
    undo: {
      effect: 'assignments',
      deltas: (payload) =>
        payload.after.changed.map((item) => ({
          product_id: item.product_id,
          added: [],
          removed: item.removed,
        })),
      inverseKind: 'bulk.assign',
      inverse: bulkAssignOf,
    },
    bumps: (payload) => bulkBumps(payload.after.changed.map((item) => item.product_id)),
    event: (payload) => ({
      counts: payload.after.summary,
      handles: payload.after.changed.map((item) => item.product_id),
      productCount: payload.after.changed.length,
    }),
  },
  'category.create': {
    description: 'a category created',
    reversible: 'exact',
    undo: {
      effect: 'categories',
      delta: (payload) => ({ ...noCategoryChange, created: [payload.after.id] }),
      inverseKind: 'category.delete',
      inverse: ({ deleted: [row] }) => ({
        ...categoryChangeOf([row!.id]),
        before: {
          id: row!.id,
          name: row!.name,
          level: row!.level,
          parent_id: row!.parent_id,
          created_at: row!.created_at ?? new Date().toISOString(),
          ...(row!.is_sample ? { is_sample: true } : {}),
          assignments: [],
        },
        after: null,
      }),
    },
    bumps: () => WriteEffects.taxonomy(),
    event: () => ({ counts: { created: 1 }, ...none }),
  },
  'category.rename': {
    description: 'a category renamed',
    reversible: 'exact',
    undo: {
      effect: 'categories',
      delta: (payload) => ({
        ...noCategoryChange,
        renamed: [
          { id: payload.categoryIds[0]!, from: payload.before.name, to: payload.after.name },
        ],
      }),
      inverseKind: 'category.rename',
      inverse: ({ renamed: [rename] }) => ({
        ...categoryChangeOf([rename!.id]),
        before: { name: rename!.from },
        after: { name: rename!.to },
      }),
    },
    bumps: () => WriteEffects.taxonomy(),
    event: () => ({ counts: { renamed: 1 }, ...none }),
  },
  'category.delete': {
    description: 'an unused category deleted',
    reversible: 'exact',
    // Its assignments, had it any, are gone too: pages and counts follow the taxonomy version.
    // A delete refuses a category in use, so `assignments` is empty: the row alone comes back.
    undo: {
      effect: 'categories',
      delta: (payload) => ({
        ...noCategoryChange,
        deleted: [
          {
            id: payload.before.id,
            name: payload.before.name,
            level: payload.before.level,
            parent_id: payload.before.parent_id,
            created_at: payload.before.created_at,
            ...(payload.before.is_sample ? { is_sample: true } : {}),
          },
        ],
      }),
      inverseKind: 'category.create',
      inverse: ({ createdRows: [row] }) => ({
        ...categoryChangeOf([row!.id]),
        before: null,
        after: row!,
      }),
    },
    bumps: (payload) => [
      ...WriteEffects.taxonomy(),
      ...(payload.before.assignments.length > 0 ? [Namespaces.assignments, Namespaces.counts] : []),
    ],
    event: (payload) => ({
      counts: { deleted: 1, assignments_removed: payload.before.assignments.length },
      ...none,
    }),
  },
  'category.move': {
    description:
      'a category moved under another parent (products follow: new ancestors added, unneeded old ones removed)',
    reversible: 'exact',
    // Undone by moving it back and giving each product exactly the rows it had: the rows the
    // move inserted are deleted, those it deleted inserted again (`product_changes`).
    undo: {
      effect: 'restructure',
      delta: (payload) =>
        restructureDelta(payload.after, { created: [], deleted: [], requires: [] }),
      why: OLD_RESTRUCTURE,
      inverseKind: 'category.move',
      inverse: (undone, payload) => ({
        productIds: productIdsOf(undone.products),
        categoryIds: payload.categoryIds,
        before: { parent_id: payload.after.parent_id, path: payload.after.path },
        after: {
          parent_id: payload.before.parent_id,
          path: payload.before.path,
          ...undoneSummary(undone, payload.after),
          ...writesOf(undone),
        },
      }),
    },
    bumps: () => restructureBumps,
    event: (payload) => restructureEvent(payload.after),
  },
  'category.merge': {
    description: 'a category merged into another of its level, then deleted',
    reversible: 'exact',
    // Undone by re-creating the deleted categories with their ids, moving the children back and
    // giving each product exactly the rows it had (recorded as `category.unmerge`).
    undo: {
      effect: 'restructure',
      delta: (payload) =>
        restructureDelta(payload.after, {
          created: [],
          deleted: payload.after.deleted,
          requires: [{ id: payload.after.into_id, role: 'the merge target' }],
        }),
      why: OLD_RESTRUCTURE,
      inverseKind: 'category.unmerge',
      inverse: (undone, payload) => ({
        productIds: productIdsOf(undone.products),
        categoryIds: payload.categoryIds,
        before: { path: payload.after.into_path },
        after: {
          from_id: payload.categoryIds[0]!,
          into_id: payload.after.into_id,
          path: payload.before.path,
          created: undone.created,
          ...undoneSummary(undone, payload.after),
          ...writesOf(undone),
        },
      }),
    },
    bumps: () => restructureBumps,
    event: (payload) => restructureEvent(payload.after),
  },
  'category.unmerge': {
    description:
      'a merge undone: the merged categories re-created, their children moved back, the products as before',
    reversible: 'exact',
    undo: {
      effect: 'restructure',
      delta: (payload) =>
        restructureDelta(payload.after, {
          created: payload.after.created,
          deleted: [],
          requires: [{ id: payload.after.into_id, role: 'the merge target' }],
        }),
      why: OLD_RESTRUCTURE,
      inverseKind: 'category.merge',
      inverse: (undone, payload) => ({
        productIds: productIdsOf(undone.products),
        categoryIds: payload.categoryIds,
        before: { path: payload.after.path },
        after: {
          into_id: payload.after.into_id,
          into_path: payload.before.path,
          deleted: undone.deleted,
          ...undoneSummary(undone, payload.after),
          ...writesOf(undone),
        },
      }),
    },
    bumps: () => restructureBumps,
    event: (payload) => restructureEvent(payload.after),
  },
  'import.products': {
    description: 'a Shopify product export imported',
    reversible: 'none',
    undo: {
      effect: 'none',
      why: 'a product import keeps no before values (a 100 MB import would double the log): restore the export taken before it',
    },
    bumps: () => WriteEffects.productImport(),
    event: (payload) => ({
      counts: { ...payload.after },
      handles: [],
      productCount: payload.productIds.length,
    }),
  },
  'import.categories': {
    description: 'a category list imported',
    reversible: 'exact',
    undo: {
      effect: 'categories',
      delta: (payload) => ({
        created: payload.after.created_ids,
        deleted: payload.after.deleted ?? [],
        renamed: payload.after.renamed,
        madeReal: payload.after.claimed_from_sample ?? [],
        madeSample: payload.after.returned_to_sample ?? [],
      }),
      inverseKind: 'import.categories',
      inverse: (undone) => ({
        ...categoryChangeOf(
          union(
            undone.created,
            undone.deleted.map((row) => row.id),
            undone.renamed.map((item) => item.id),
            undone.madeReal,
            undone.madeSample,
          ),
        ),
        before: null,
        after: {
          records: 0,
          created: undone.created.length,
          updated: undone.renamed.length,
          unchanged: 0,
          rejected: 0,
          created_ids: [...undone.created],
          renamed: [...undone.renamed],
          ...(undone.madeReal.length > 0 ? { claimed_from_sample: [...undone.madeReal] } : {}),
          ...(undone.deleted.length > 0 ? { deleted: [...undone.deleted] } : {}),
          ...(undone.madeSample.length > 0 ? { returned_to_sample: [...undone.madeSample] } : {}),
        },
      }),
    },
    bumps: () => WriteEffects.taxonomy(),
    event: (payload) => ({
      counts: {
        records: payload.after.records,
        created: payload.after.created,
        updated: payload.after.updated,
        unchanged: payload.after.unchanged,
        rejected: payload.after.rejected,
      },
      ...none,
    }),
  },
  'import.assignments': {
    description: "an assignments file imported (each named product's categories set exactly)",
    reversible: 'exact',
    undo: {
      effect: 'assignments',
      deltas: (payload) => {
        const before = new Map(
          payload.before.products.map((item) => [item.product_id, item.category_ids]),
        );
        return payload.after.products.map((item) => {
          const was = before.get(item.product_id) ?? [];
          return {
            product_id: item.product_id,
            added: minus(item.category_ids, was),
            removed: minus(was, item.category_ids),
          };
        });
      },
      inverseKind: 'import.assignments',
      inverse: (undone, payload) => ({
        productIds: undone.map((item) => item.productId),
        categoryIds: union(...undone.map((item) => [...item.added, ...item.removed])),
        before: {
          products: undone.map((item) => ({
            product_id: item.product_id,
            category_ids: item.before,
          })),
        },
        after: {
          records: undone.length,
          created: 0,
          updated: undone.length,
          unchanged: 0,
          rejected: 0,
          format: payload.after.format,
          added: total(undone, (item) => item.added),
          removed: total(undone, (item) => item.removed),
          products: undone.map((item) => ({
            product_id: item.product_id,
            category_ids: item.after,
          })),
        },
      }),
    },
    bumps: (payload) =>
      WriteEffects.assignments(payload.after.products.map((item) => item.product_id)),
    event: (payload) => ({
      counts: {
        records: payload.after.records,
        updated: payload.after.updated,
        unchanged: payload.after.unchanged,
        added: payload.after.added,
        removed: payload.after.removed,
      },
      handles: payload.after.products.map((item) => item.product_id),
      productCount: payload.after.products.length,
    }),
  },
  'token.create': {
    description: 'an API token created (its secret is never recorded)',
    // Undone by revoking it; a token cannot be un-created, and its secret is not kept.
    reversible: 'revoke',
    undo: { effect: 'token', tokenId: (payload) => payload.after.id },
    bumps: () => [],
    event: () => ({ counts: { created: 1 }, ...none }),
  },
  'token.revoke': {
    description: 'an API token revoked',
    // A revocation is final by design: a leaked token must never come back.
    reversible: 'none',
    undo: {
      effect: 'none',
      why: 'a revocation is final by design: a leaked token must never come back (create a new token)',
    },
    bumps: () => [],
    event: () => ({ counts: { revoked: 1 }, ...none }),
  },
  seed: {
    description: 'a synthetic catalog loaded (everything before it is truncated)',
    reversible: 'none',
    undo: {
      effect: 'none',
      why: 'a seed empties the database first and the log does not keep what was there',
    },
    bumps: () => WriteEffects.everything(),
    event: (payload) => ({ counts: { ...payload.after }, handles: [], productCount: 0 }),
  },
  'sample.remove': {
    description: 'the sample catalog removed (products, categories, assignments)',
    // Not from the log (the rows are not kept): `npm run seed` writes the same catalog again.
    reversible: 'none',
    undo: {
      effect: 'none',
      why: 'the removed sample rows are not kept: `npm run seed` writes the same catalog again',
    },
    bumps: () => WriteEffects.everything(),
    event: (payload) => ({
      counts: { ...payload.after.removed, kept_categories: payload.after.kept_categories.length },
      handles: [],
      productCount: payload.after.removed.products,
    }),
  },
} satisfies { [Kind in ChangeKind]: ChangeKindDefinition<ChangePayloads[Kind]> };

export const changeKinds = Object.keys(ChangeKinds) as ChangeKind[];

function definitionOf<Kind extends ChangeKind>(
  kind: Kind,
): ChangeKindDefinition<ChangePayloads[Kind]> {
  return ChangeKinds[kind] as unknown as ChangeKindDefinition<ChangePayloads[Kind]>;
}

export function namespacesBumpedBy<Kind extends ChangeKind>(
  kind: Kind,
  payload: ChangePayloads[Kind],
): readonly string[] {
  return definitionOf(kind).bumps(payload);
}

/** The event a change would publish: kind, who, counts, and at most EVENT_HANDLES handles. */
export function changeEvent<Kind extends ChangeKind>(
  kind: Kind,
  context: WriteContext,
  payload: ChangePayloads[Kind],
): ChangeEvent {
  const { counts, handles, productCount } = definitionOf(kind).event(payload);
  return {
    kind,
    actor: context.actor,
    source: context.source,
    counts,
    handles: handles.slice(0, EVENT_HANDLES),
    product_count: productCount,
    category_count: new Set(payload.categoryIds).size,
  };
}

/** How a stored change set's kind can be undone (`none` for a kind no longer in the table). */
export function reversibilityOf(kind: string): Reversibility {
  return kind in ChangeKinds ? ChangeKinds[kind as ChangeKind].reversible : 'none';
}
