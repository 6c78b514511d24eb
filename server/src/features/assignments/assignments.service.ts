/** Assigning and removing categories, for one product or many, in one transaction per request. */
import type {
  AssignResult,
  BulkAssignItem,
  BulkAssignResult,
  BulkItemError,
  BulkRemoveItem,
  BulkRemoveResult,
  RemoveResult,
} from '@tag-manager/contract';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { noChangeNotifier, type ChangeNotifier } from '../../cache/namespaces.js';
import type { Executor } from '../../db/client.js';
import { noPrecondition, strongEtag, type Precondition } from '../../http/preconditions.js';
import { notFound } from '../../errors.js';
import type { CategoryService } from '../categories/categories.service.js';
import { lockCategoryCounters } from '../categories/categories.repository.js';
import type { CategoryIndex } from '../categories/category-index.js';
import { applyChange, type ChangeTarget } from '../changes/apply-change.js';
import type { BulkAssignedItem, BulkRemovedItem } from '../changes/change-kinds.js';
import type { WriteContext } from '../changes/changes.repository.js';
import {
  assignmentsOf,
  deleteAssignments,
  deleteOrder,
  insertAssignments,
  insertOrder,
  lockProducts,
  type NewAssignment,
} from './assignments.repository.js';
import { assignmentRows, fillsGap, planAssignment, planRemoval } from './assignment-rules.js';

/**
 * A bulk request (up to BULK_MAX_PRODUCTS products × many categories) is planned and written in
 * slices, with a turn of the event loop between them, so one big request does not keep every
 * other request waiting. All slices still belong to the request's one transaction.
 */
const PLAN_SLICE = 500; // products planned between two yields
const WRITE_SLICE = 10_000; // assignment rows per insert/delete statement

async function mapInSlices<Item, Result>(
  items: readonly Item[],
  map: (item: Item) => Result,
): Promise<Result[]> {
  const results: Result[] = [];
  for (let start = 0; start < items.length; start += PLAN_SLICE) {
    if (start > 0) await yieldToEventLoop();
    for (const item of items.slice(start, start + PLAN_SLICE)) results.push(map(item));
  }
  return results;
}

async function inSlices<Row>(
  rows: readonly Row[],
  size: number,
  write: (slice: readonly Row[]) => Promise<void>,
): Promise<void> {
  for (let start = 0; start < rows.length; start += size) {
    if (start > 0) await yieldToEventLoop();
    await write(rows.slice(start, start + size));
  }
}

/** A product as GET /api/products/{product_id} answers it, read inside a write's transaction. */
export type ProductReader = (handle: string, transaction: Executor) => Promise<unknown>;

export class AssignmentService {
  private readonly target: ChangeTarget;

  constructor(
    db: Executor,
    private readonly categories: CategoryService,
    /** For the ETag a one-product write returns (the product as the write leaves it). */
    private readonly readProduct: ProductReader,
    notifier: ChangeNotifier = noChangeNotifier,
  ) {
    this.target = { db, notifier };
  }

  /** The strong ETag of the product as this transaction leaves it (what its GET will answer). */
  private async etagAfter(handle: string, transaction: Executor): Promise<string> {
    return strongEtag(await this.readProduct(handle, transaction));
  }

  async assign(
    handle: string,
    categoryIds: number[],
    context: WriteContext,
    precondition: Precondition = noPrecondition,
  ): Promise<AssignResult> {
    return applyChange(this.target, 'product.assign', context, async (transaction) => {
      const { product, index, current } = await this.loadProduct(
        transaction,
        handle,
        categoryIds,
        precondition,
      );
      const plan = planAssignment(index, current, categoryIds);
      const inserted = [...plan.added, ...plan.ancestorsAdded];
      await lockCategoryCounters(transaction, inserted);
      await insertAssignments(transaction, assignmentRows(index, product.id, inserted));
      const after = new Set([...current, ...inserted]);
      const result: AssignResult = {
        product_id: handle,
        added: plan.added.map((id) => index.ref(id)),
        ancestors_added: plan.ancestorsAdded.map((id) => index.ref(id)),
        already_assigned: plan.alreadyAssigned.map((id) => index.ref(id)),
        categories: index.sortForDisplay(after).map((id) => index.withPath(id)),
        product_etag: await this.etagAfter(handle, transaction),
      };
      const change =
        inserted.length === 0
          ? null
          : {
              productIds: [product.id],
              categoryIds: inserted,
              before: { product_id: handle, category_ids: [...current] },
              after: {
                product_id: handle,
                category_ids: [...after],
                added: plan.added,
                ancestors_added: plan.ancestorsAdded,
              },
            };
      return { result, change };
    });
  }

  async remove(
    handle: string,
    categoryId: number,
    context: WriteContext,
    precondition: Precondition = noPrecondition,
  ): Promise<RemoveResult> {
    return applyChange(this.target, 'product.remove', context, async (transaction) => {
      const { product, index, current } = await this.loadProduct(
        transaction,
        handle,
        [categoryId],
        precondition,
      );
      const plan = planRemoval(index, current, [categoryId]);
      if (plan.notAssigned.length > 0) {
        throw notFound(
          'assignment',
          `${handle}/${categoryId}`,
          `Product ${JSON.stringify(handle)} does not have category ${categoryId}`,
        );
      }
      const removed = [...plan.removed, ...plan.descendantsRemoved];
      await lockCategoryCounters(transaction, removed);
      await deleteAssignments(
        transaction,
        removed.map((id) => ({ product_id: product.id, category_id: id })),
      );
      const after = new Set([...current].filter((id) => !removed.includes(id)));
      const result: RemoveResult = {
        product_id: handle,
        removed: plan.removed.map((id) => index.ref(id)),
        descendants_removed: plan.descendantsRemoved.map((id) => index.ref(id)),
        categories: index.sortForDisplay(after).map((id) => index.withPath(id)),
        product_etag: await this.etagAfter(handle, transaction),
      };
      const change = {
        productIds: [product.id],
        categoryIds: removed,
        before: { product_id: handle, category_ids: [...current] },
        after: {
          product_id: handle,
          category_ids: [...after],
          removed: plan.removed,
          descendants_removed: plan.descendantsRemoved,
        },
      };
      return { result, change };
    });
  }

  async bulkAssign(
    handles: string[],
    categoryIds: number[],
    context: WriteContext,
  ): Promise<BulkAssignResult> {
    return applyChange(this.target, 'bulk.assign', context, async (transaction) => {
      const batch = await this.loadBatch(transaction, handles, categoryIds);
      const inserts: NewAssignment[] = [];
      const changed: BulkAssignedItem[] = [];
      const results = await mapInSlices(handles, (handle): BulkAssignItem => {
        const productId = batch.idByHandle.get(handle);
        if (productId === undefined)
          return { ...emptyAssignItem(handle), errors: [productMissing] };
        const plan = planAssignment(batch.index, batch.currentOf(productId), batch.knownCategories);
        const added = [...plan.added, ...plan.ancestorsAdded];
        inserts.push(...assignmentRows(batch.index, productId, added));
        if (added.length > 0) changed.push({ product_id: handle, added });
        return {
          product_id: handle,
          assigned: plan.added,
          ancestors_added: plan.ancestorsAdded,
          skipped: plan.alreadyAssigned,
          errors: batch.categoryErrors,
        };
      });
      await lockCategoryCounters(
        transaction,
        inserts.map((row) => row.categoryId),
      );
      inserts.sort(insertOrder);
      await inSlices(inserts, WRITE_SLICE, (slice) => insertAssignments(transaction, slice));
      const summary = {
        products_processed: results.length,
        total_assigned: sum(results, (item) => item.assigned.length),
        total_ancestors_added: sum(results, (item) => item.ancestors_added.length),
        total_skipped: sum(results, (item) => item.skipped.length),
        total_errors: sum(results, (item) => item.errors.length),
      };
      const change = bulkChangeSet(inserts, summary, changed);
      return { result: { results, summary } satisfies BulkAssignResult, change };
    });
  }

  /**
   * Removes categories from many products; their assigned descendants go with them, and with
   * `removeUnneededParents` also their ancestors that nothing left on the product needs.
   */
  async bulkRemove(
    handles: string[],
    categoryIds: number[],
    context: WriteContext,
    removeUnneededParents = false,
  ): Promise<BulkRemoveResult> {
    return applyChange(this.target, 'bulk.remove', context, async (transaction) => {
      const batch = await this.loadBatch(transaction, handles, categoryIds);
      const deletes: { productId: number; categoryId: number }[] = [];
      const changed: BulkRemovedItem[] = [];
      const results = await mapInSlices(handles, (handle): BulkRemoveItem => {
        const productId = batch.idByHandle.get(handle);
        if (productId === undefined)
          return { ...emptyRemoveItem(handle, removeUnneededParents), errors: [productMissing] };
        const plan = planRemoval(
          batch.index,
          batch.currentOf(productId),
          batch.knownCategories,
          removeUnneededParents,
        );
        const removed = [...plan.removed, ...plan.descendantsRemoved, ...plan.parentsRemoved];
        deletes.push(...removed.map((categoryId) => ({ productId, categoryId })));
        if (removed.length > 0) changed.push({ product_id: handle, removed });
        return {
          product_id: handle,
          removed: plan.removed,
          descendants_removed: plan.descendantsRemoved,
          ...(removeUnneededParents ? { parents_removed: plan.parentsRemoved } : {}),
          skipped: plan.notAssigned,
          errors: batch.categoryErrors,
        };
      });
      await lockCategoryCounters(
        transaction,
        deletes.map((row) => row.categoryId),
      );
      const levelOf = (categoryId: number) => batch.index.get(categoryId)?.level ?? 0;
      const rows = deletes.map((row) => ({
        product_id: row.productId,
        category_id: row.categoryId,
      }));
      rows.sort(deleteOrder(levelOf));
      await inSlices(rows, WRITE_SLICE, (slice) => deleteAssignments(transaction, slice));
      const summary = {
        products_processed: results.length,
        total_removed: sum(results, (item) => item.removed.length),
        total_descendants_removed: sum(results, (item) => item.descendants_removed.length),
        ...(removeUnneededParents
          ? { total_parents_removed: sum(results, (item) => item.parents_removed?.length ?? 0) }
          : {}),
        total_skipped: sum(results, (item) => item.skipped.length),
        total_errors: sum(results, (item) => item.errors.length),
      };
      const change = bulkChangeSet(
        deletes,
        summary,
        changed,
        removeUnneededParents ? { remove_unneeded_parents: true } : {},
      );
      return { result: { results, summary } satisfies BulkRemoveResult, change };
    });
  }

  /**
   * One category per product (accepted suggestions), as one `bulk.assign` change set. Only
   * where it still fills a gap (`fillsGap`: the product has no category, or the category lies
   * below one of its open branches), checked with the products locked: a product categorised
   * since its suggestion was computed is left as it is and reported in `skipped`.
   */
  async assignEachFillingGap(
    pairs: readonly { handle: string; categoryId: number }[],
    context: WriteContext,
  ): Promise<{ assigned: string[]; skipped: string[] }> {
    return applyChange(this.target, 'bulk.assign', context, async (transaction) => {
      const handles = pairs.map((pair) => pair.handle);
      const categoryIds = [...new Set(pairs.map((pair) => pair.categoryId))];
      const batch = await this.loadBatch(transaction, handles, categoryIds);
      const inserts: NewAssignment[] = [];
      const changed: BulkAssignedItem[] = [];
      const assigned: string[] = [];
      const skipped: string[] = [];
      let ancestors = 0;
      for (const { handle, categoryId } of pairs) {
        const productId = batch.idByHandle.get(handle);
        if (productId === undefined || !batch.index.has(categoryId)) {
          skipped.push(handle);
          continue;
        }
        const current = batch.currentOf(productId);
        // Checked again under the lock: a product categorised meanwhile is left alone.
        if (!fillsGap(batch.index, current, categoryId)) {
          skipped.push(handle);
          continue;
        }
        const plan = planAssignment(batch.index, current, [categoryId]);
        const added = [...plan.added, ...plan.ancestorsAdded];
        ancestors += plan.ancestorsAdded.length;
        inserts.push(...assignmentRows(batch.index, productId, added));
        changed.push({ product_id: handle, added });
        assigned.push(handle);
      }
      await lockCategoryCounters(
        transaction,
        inserts.map((row) => row.categoryId),
      );
      inserts.sort(insertOrder);
      await inSlices(inserts, WRITE_SLICE, (slice) => insertAssignments(transaction, slice));
      const summary = {
        products_processed: pairs.length,
        total_assigned: assigned.length,
        total_ancestors_added: ancestors,
        total_skipped: skipped.length,
        total_errors: 0,
      };
      const change = bulkChangeSet(inserts, summary, changed);
      return { result: { assigned, skipped }, change };
    });
  }

  /**
   * One product, locked, with the taxonomy and its current categories; unknown ids → 404. The
   * If-Match precondition is checked once the row is locked: nothing can change it until commit.
   */
  private async loadProduct(
    transaction: Executor,
    handle: string,
    categoryIds: number[],
    precondition: Precondition,
  ) {
    const [product] = await lockProducts(transaction, [handle]);
    if (!product) throw notFound('product', handle);
    await precondition(transaction);
    const index = await this.categories.index(transaction);
    const unknown = categoryIds.filter((id) => !index.has(id));
    if (unknown.length > 0) {
      throw notFound(
        'category',
        unknown.length === 1 ? unknown[0]! : unknown.join(','),
        `Unknown category id${unknown.length === 1 ? '' : 's'}: ${unknown.join(', ')}`,
      );
    }
    const current = new Set(
      (await assignmentsOf(transaction, [product.id])).map((row) => row.category_id),
    );
    return { product, index, current };
  }

  /** Many products, locked in id order, with their current categories; unknown ids are kept apart. */
  private async loadBatch(transaction: Executor, handles: string[], categoryIds: number[]) {
    const locked = await lockProducts(transaction, handles);
    const idByHandle = new Map(locked.map((row) => [row.product_id, row.id]));
    const index: CategoryIndex = await this.categories.index(transaction);
    const knownCategories = categoryIds.filter((id) => index.has(id));
    const categoryErrors: BulkItemError[] = categoryIds
      .filter((id) => !index.has(id))
      .map((id) => ({ category_id: id, reason: 'category not found' }));
    const currentByProduct = new Map<number, Set<number>>();
    for (const row of await assignmentsOf(transaction, [...idByHandle.values()])) {
      const set = currentByProduct.get(row.product_id);
      if (set) set.add(row.category_id);
      else currentByProduct.set(row.product_id, new Set([row.category_id]));
    }
    const none: ReadonlySet<number> = new Set();
    return {
      index,
      idByHandle,
      knownCategories,
      categoryErrors,
      currentOf: (productId: number) => currentByProduct.get(productId) ?? none,
    };
  }
}

/**
 * The change set of a bulk write (`bulk.assign`, `bulk.remove`): the products and categories
 * of the rows it wrote, and what each product gained or lost; null when it wrote nothing.
 */
export function bulkChangeSet<Item, Extra extends object = object>(
  rows: readonly { productId: number; categoryId: number }[],
  summary: Record<string, number>,
  changed: Item[],
  extra?: Extra,
) {
  if (rows.length === 0) return null;
  return {
    productIds: [...new Set(rows.map((row) => row.productId))],
    categoryIds: [...new Set(rows.map((row) => row.categoryId))],
    before: null,
    after: { summary, changed, ...extra },
  };
}

const productMissing: BulkItemError = { category_id: null, reason: 'product not found' };

const emptyAssignItem = (handle: string): BulkAssignItem => ({
  product_id: handle,
  assigned: [],
  ancestors_added: [],
  skipped: [],
  errors: [],
});

const emptyRemoveItem = (handle: string, parents: boolean): BulkRemoveItem => ({
  product_id: handle,
  removed: [],
  descendants_removed: [],
  ...(parents ? { parents_removed: [] } : {}),
  skipped: [],
  errors: [],
});

function sum<Item>(items: readonly Item[], count: (item: Item) => number): number {
  return items.reduce((total, item) => total + count(item), 0);
}
