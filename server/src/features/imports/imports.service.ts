/**
 * Product and category imports: idempotent, with a report. A product import commits in batches
 * (its progress visible as a job); the category and assignment imports are one transaction each.
 */
import type { Readable } from 'node:stream';
import { CATEGORY_IMPORT_MAX_ENTRIES, type ImportReport } from '@tag-manager/contract';
import { noChangeNotifier, type ChangeNotifier } from '../../cache/namespaces.js';
import type { Executor } from '../../db/client.js';
import { isRetryableConflict } from '../../db/postgres-error.js';
import {
  insertCategory,
  renameCategory,
  type CategoryRow,
} from '../categories/categories.repository.js';
import type { CategoryService } from '../categories/categories.service.js';
import { normalizeCategoryName } from '../categories/category-name.js';
import { applyChange, type ChangeTarget } from '../changes/apply-change.js';
import type { WriteContext } from '../changes/changes.repository.js';
import { readCategoryFile } from './category-file.js';
import { claimSampleCategory, findImportSibling, upsertProducts } from './imports.repository.js';
import { firstByLine, quote, RejectionList } from './rejections.js';
import { readShopifyProducts, type ProductDraft } from './shopify-csv.js';
import { importAssignmentsFile } from './assignments-import.js';
import type { ShopifyExportOptions } from '../exports/shopify-file.js';

const PRODUCT_BATCH_SIZE = 2000;
/**
 * Product batches written at once by one import, each on its own connection. At 1,000,000
 * products on 2 cores (bench:io, 100,000 new products, 3 runs each, medians): one at a time
 * 10,548 rows/s, two 14,845, three 13,472 (the database's index upkeep on the second core; a
 * third competes with the other two and the parser).
 */
const PRODUCT_WRITES_IN_FLIGHT = 2;
/** Attempts at one batch when PostgreSQL rolls it back for a deadlock or serialization failure. */
const PRODUCT_WRITE_ATTEMPTS = 3;

/** Where an import that runs as a job writes its progress (transfer/transfer-jobs.ts). */
export interface ImportProgress {
  advance(done: number, counters: Record<string, number>, transaction: Executor): Promise<void>;
}
/** Categories one category import may create, rename or confirm (entries × matching parents). */
const MAX_PLACEMENTS = 2 * CATEGORY_IMPORT_MAX_ENTRIES;

export class ImportService {
  private readonly target: ChangeTarget;

  constructor(
    db: Executor,
    private readonly categories: CategoryService,
    notifier: ChangeNotifier = noChangeNotifier,
  ) {
    this.target = { db, notifier };
  }

  /**
   * Reads a Shopify export as it streams in. A file that is not an export (or not CSV) throws
   * before or during the transaction, which then rolls back: nothing is stored.
   */
  /**
   * A Shopify product import, in batches of PRODUCT_BATCH_SIZE rows, each its own transaction
   * with its change set and, when the import runs as a job, the job's progress (rows read,
   * products written): a poller sees it grow, and a failure keeps the batches already committed
   * (and may keep the one written beside the failed one).
   *
   * Up to PRODUCT_WRITES_IN_FLIGHT batches are written at once while the next is parsed: the
   * import's cost is PostgreSQL's index upkeep, and one statement uses one core. Batches never
   * share a product (the reader refuses a handle that appears again after other products), so
   * their order does not change what is stored. A batch rolled back by a deadlock or a
   * serialization failure (the counters' shards, another writer) is written again: it is
   * idempotent.
   */
  async importProducts(
    input: Readable,
    context: WriteContext,
    progress?: ImportProgress,
  ): Promise<ImportReport> {
    const rejections = new RejectionList();
    const report: ImportReport = {
      kind: 'products',
      records: 0,
      created: 0,
      updated: 0,
      unchanged: 0,
      rejected: rejections.listed,
      rejected_total: 0,
    };
    let batch: ProductDraft[] = [];
    let rowsRead = 0;
    let rowsReported = 0;
    const inFlight: Promise<void>[] = [];
    let failure: { error: unknown } | undefined;
    /** Waits for the oldest write; a failed write fails the import here. */
    const settleOldest = async () => {
      await inFlight.shift();
      if (failure) throw failure.error;
    };
    const writeBatch = (drafts: ProductDraft[], rows: number) =>
      applyChange(this.target, 'import.products', context, async (transaction) => {
        const outcome = await upsertProducts(transaction, drafts);
        const written = outcome.created + outcome.updated;
        await progress?.advance(rows, { rows_read: rows, products_written: written }, transaction);
        const change =
          outcome.changedIds.length === 0
            ? null
            : {
                productIds: outcome.changedIds,
                categoryIds: [],
                before: null,
                // This batch's rows (an import of more than one batch records one change set each).
                after: {
                  records: drafts.length,
                  created: outcome.created,
                  updated: outcome.updated,
                  unchanged: drafts.length - written,
                  rejected: rows - drafts.length,
                },
              };
        return { result: outcome, change };
      });
    const flush = async () => {
      const drafts = batch;
      batch = [];
      const rows = rowsRead - rowsReported;
      rowsReported = rowsRead;
      if (drafts.length === 0 && rows === 0) return;
      while (inFlight.length >= PRODUCT_WRITES_IN_FLIGHT) await settleOldest();
      const write = (async () => {
        for (let attempt = 1; ; attempt += 1) {
          try {
            const outcome = await writeBatch(drafts, rows);
            report.created += outcome.created;
            report.updated += outcome.updated;
            return;
          } catch (error) {
            if (attempt >= PRODUCT_WRITE_ATTEMPTS || !isRetryableConflict(error)) throw error;
          }
        }
      })().catch((error: unknown) => {
        // Raised by the next flush (or the end of the file), not left unhandled.
        failure ??= { error };
      });
      inFlight.push(write);
    };
    try {
      for await (const record of readShopifyProducts(input)) {
        rowsRead += 1;
        if (record.kind === 'rejected') {
          rejections.add(record.rejection);
          continue;
        }
        report.records += 1;
        batch.push(record.draft);
        if (batch.length >= PRODUCT_BATCH_SIZE) await flush();
      }
      await flush();
    } finally {
      // Every write ends before the import answers: its batches committed or rolled back.
      await Promise.all(inFlight);
    }
    if (failure) throw failure.error;
    report.unchanged = report.records - report.created - report.updated;
    report.rejected_total = rejections.total;
    return report;
  }

  /**
   * Restores assignments from the app's export or the Shopify file (assignments-import.ts):
   * every line valid, or 422 with the lines and nothing written.
   */
  async importAssignments(
    input: Readable,
    context: WriteContext,
    shopify: ShopifyExportOptions,
  ): Promise<ImportReport> {
    return applyChange(this.target, 'import.assignments', context, async (transaction) => {
      const index = await this.categories.index(transaction);
      const outcome = await importAssignmentsFile(transaction, index, input, shopify);
      const { report } = outcome;
      const change =
        outcome.changed.length === 0
          ? null
          : {
              productIds: outcome.changed.map((item) => item.productId),
              categoryIds: [
                ...new Set(outcome.changed.flatMap((item) => [...item.before, ...item.after])),
              ],
              before: {
                products: outcome.changed.map((item) => ({
                  product_id: item.handle,
                  category_ids: item.before,
                })),
              },
              after: {
                ...summary(report),
                format: report.format ?? 'app',
                added: outcome.added,
                removed: outcome.removed,
                products: outcome.changed.map((item) => ({
                  product_id: item.handle,
                  category_ids: item.after,
                })),
              },
            };
      return { result: report, change };
    });
  }

  /**
   * Imports a category list (parsed JSON, at most CATEGORY_IMPORT_MAX_ENTRIES entries). Entries
   * whose parent is unknown are rejected. Parents are found through an index by level and
   * normalised name, so the work is linear in the entries (one sibling lookup each).
   */
  async importCategories(document: unknown, context: WriteContext): Promise<ImportReport> {
    const { entries, rejected } = readCategoryFile(document);
    return applyChange(this.target, 'import.categories', context, async (transaction) => {
      const report: ImportReport = {
        kind: 'categories',
        records: entries.length + rejected.length,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected,
        rejected_total: 0,
      };
      // Categories by level and normalised name: the candidate parents of an entry.
      const byName = new Map<string, Map<number, CategoryRow>>();
      const key = (level: number, name: string) => `${level}\u0000${normalizeCategoryName(name)}`;
      const remember = (row: CategoryRow) => {
        const named = byName.get(key(row.level, row.name));
        if (named) named.set(row.id, row);
        else byName.set(key(row.level, row.name), new Map([[row.id, row]]));
      };
      for (const row of (await this.categories.index(transaction)).rows) remember(row);
      const createdIds: number[] = [];
      const renamed: { id: number; from: string; to: string }[] = [];
      const claimed: number[] = [];
      let placements = 0;
      const placed = { created: 0, updated: 0, unchanged: 0 };

      for (const level of [1, 2, 3] as const) {
        for (const entry of entries.filter((candidate) => candidate.level === level)) {
          const parents: (CategoryRow | null)[] =
            level === 1
              ? [null]
              : [...(byName.get(key(level - 1, entry.parentName!))?.values() ?? [])];
          if (parents.length === 0) {
            report.rejected.push({
              line: entry.entry,
              reason: `connected_to ${quote(entry.parentName!)} is not a Level ${level - 1} category`,
            });
            continue;
          }
          // An entry goes under every same-named parent: names repeated on two levels could
          // otherwise multiply the work far beyond the file's size.
          if (placements + parents.length > MAX_PLACEMENTS) {
            report.rejected.push({
              line: entry.entry,
              reason: `this import already places ${placements} categories, and this entry would add ${parents.length}: at most ${MAX_PLACEMENTS} per import`,
            });
            continue;
          }
          placements += parents.length;
          // The report counts entries (so that its numbers add up to `records`); an entry
          // placed under several parents is "created" if any placement was, else "updated" if
          // any was renamed. `placements` counts each placement.
          let outcome: 'created' | 'updated' | 'unchanged' = 'unchanged';
          for (const parent of parents) {
            const parentId = parent?.id ?? null;
            const existing = await findImportSibling(transaction, parentId, entry.name);
            if (!existing) {
              const row = await insertCategory(transaction, { name: entry.name, level, parentId });
              remember(row);
              createdIds.push(row.id);
              placed.created += 1;
              outcome = 'created';
            } else {
              // A sample category the import names is the operator's now (sample-data.service.ts).
              if (existing.is_sample) {
                await claimSampleCategory(transaction, existing.id);
                claimed.push(existing.id);
              }
              if (existing.name !== entry.name) {
                // A rename keeps the normalised name (that is how the sibling was found), so the
                // row stays under the same key; its stored name changes.
                const row = await renameCategory(transaction, existing.id, entry.name);
                if (row) byName.get(key(level, entry.name))?.set(row.id, row);
                renamed.push({ id: existing.id, from: existing.name, to: entry.name });
                placed.updated += 1;
                if (outcome === 'unchanged') outcome = 'updated';
              } else {
                placed.unchanged += 1;
              }
            }
          }
          report[outcome] += 1;
        }
      }
      report.placements = placed;
      report.rejected_total = report.rejected.length;
      report.rejected = firstByLine(report.rejected);
      const change =
        createdIds.length + renamed.length + claimed.length === 0
          ? null
          : {
              productIds: [],
              categoryIds: [
                ...new Set([...createdIds, ...renamed.map((item) => item.id), ...claimed]),
              ],
              before: null,
              after: {
                ...summary(report),
                created_ids: createdIds,
                renamed,
                ...(claimed.length > 0 ? { claimed_from_sample: claimed } : {}),
              },
            };
      return { result: report, change };
    });
  }
}

const summary = (report: ImportReport) => ({
  records: report.records,
  created: report.created,
  updated: report.updated,
  unchanged: report.unchanged,
  rejected: report.rejected_total,
});
