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

/** An import's report, without the rejected lines. */
export interface ImportSummary {
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  rejected: number;
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
  'category.create': ChangeSet<null, CategoryFields>;
  /** The id is `categoryIds[0]`. */
  'category.rename': ChangeSet<{ name: string }, { name: string }>;
  /**
   * The deleted row, and the assignments that went with it. A delete refuses a category that
   * has products or children, so `assignments` is empty today; it is recorded so that the
   * payload stays complete if that rule ever changes.
   */
  'category.delete': ChangeSet<
    CategoryFields & { created_at: string; assignments: { product_id: number }[] },
    null
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

export interface ChangeKindDefinition<Payload extends ChangeSet<unknown, unknown>> {
  description: string;
  reversible: Reversibility;
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

export const ChangeKinds = {
  'product.assign': {
    description: 'categories assigned to one product (ancestors added with them)',
    reversible: 'exact',
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
    bumps: () => WriteEffects.taxonomy(),
    event: () => ({ counts: { created: 1 }, ...none }),
  },
  'category.rename': {
    description: 'a category renamed',
    reversible: 'exact',
    bumps: () => WriteEffects.taxonomy(),
    event: () => ({ counts: { renamed: 1 }, ...none }),
  },
  'category.delete': {
    description: 'an unused category deleted',
    reversible: 'exact',
    // Its assignments, had it any, are gone too: pages and counts follow the taxonomy version.
    bumps: (payload) => [
      ...WriteEffects.taxonomy(),
      ...(payload.before.assignments.length > 0 ? [Namespaces.assignments, Namespaces.counts] : []),
    ],
    event: (payload) => ({
      counts: { deleted: 1, assignments_removed: payload.before.assignments.length },
      ...none,
    }),
  },
  'import.products': {
    description: 'a Shopify product export imported',
    reversible: 'none',
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
    bumps: () => [],
    event: () => ({ counts: { created: 1 }, ...none }),
  },
  'token.revoke': {
    description: 'an API token revoked',
    // A revocation is final by design: a leaked token must never come back.
    reversible: 'none',
    bumps: () => [],
    event: () => ({ counts: { revoked: 1 }, ...none }),
  },
  seed: {
    description: 'a synthetic catalog loaded (everything before it is truncated)',
    reversible: 'none',
    bumps: () => WriteEffects.everything(),
    event: (payload) => ({ counts: { ...payload.after }, handles: [], productCount: 0 }),
  },
  'sample.remove': {
    description: 'the sample catalog removed (products, categories, assignments)',
    // Not from the log (the rows are not kept): `npm run seed` writes the same catalog again.
    reversible: 'none',
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
