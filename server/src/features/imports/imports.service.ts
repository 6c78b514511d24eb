/** Product and category imports: idempotent, one transaction each, with a report. */
import type { Readable } from 'node:stream';
import type { ImportReport } from '@tag-manager/contract';
import { noChangeNotifier, WriteEffects, type ChangeNotifier } from '../../cache/namespaces.js';
import type { Executor } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import {
  findSibling,
  insertCategory,
  renameCategory,
  type CategoryRow,
} from '../categories/categories.repository.js';
import type { CategoryService } from '../categories/categories.service.js';
import { normalizeCategoryName } from '../categories/category-name.js';
import { recordChange, type WriteContext } from '../changes/changes.repository.js';
import { readCategoryFile } from './category-file.js';
import { upsertProducts } from './imports.repository.js';
import { readShopifyProducts, type ProductDraft } from './shopify-csv.js';

const PRODUCT_BATCH_SIZE = 2000;

export class ImportService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
    private readonly notifier: ChangeNotifier = noChangeNotifier,
  ) {}

  /**
   * Reads a Shopify export as it streams in. A file that is not an export (or not CSV) throws
   * before or during the transaction, which then rolls back: nothing is stored.
   */
  async importProducts(input: Readable, context: WriteContext): Promise<ImportReport> {
    const report = await inTransaction(this.db, async (transaction) => {
      const report: ImportReport = {
        kind: 'products',
        records: 0,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected: [],
      };
      const changedIds: number[] = [];
      let batch: ProductDraft[] = [];
      // One batch is written while the next is parsed: at most one write in flight, so the
      // transaction's statements stay in order and memory stays at two batches.
      let writing: Promise<void> = Promise.resolve();
      const flush = async () => {
        const drafts = batch;
        batch = [];
        await writing;
        writing = upsertProducts(transaction, drafts).then((outcome) => {
          report.created += outcome.created;
          report.updated += outcome.updated;
          changedIds.push(...outcome.changedIds);
        });
        // A failed write is raised by the next flush's `await writing`, not left unhandled.
        writing.catch(() => {});
      };
      for await (const record of readShopifyProducts(input)) {
        if (record.kind === 'rejected') {
          report.rejected.push(record.rejection);
          continue;
        }
        report.records += 1;
        batch.push(record.draft);
        if (batch.length >= PRODUCT_BATCH_SIZE) await flush();
      }
      await flush();
      await writing;
      report.unchanged = report.records - report.created - report.updated;
      if (changedIds.length > 0) {
        await recordChange(transaction, context, {
          kind: 'import.products',
          productIds: changedIds,
          before: null,
          after: summary(report),
        });
      }
      return report;
    });
    if (report.created + report.updated > 0)
      await this.notifier.changed(WriteEffects.productImport());
    return report;
  }

  /** Imports a category list (parsed JSON). Entries whose parent is unknown are rejected. */
  async importCategories(document: unknown, context: WriteContext): Promise<ImportReport> {
    const { entries, rejected } = readCategoryFile(document);
    const report = await inTransaction(this.db, async (transaction) => {
      const report: ImportReport = {
        kind: 'categories',
        records: entries.length + rejected.length,
        created: 0,
        updated: 0,
        unchanged: 0,
        rejected,
      };
      const known = [...(await this.categories.index(transaction)).rows];
      const changedIds: number[] = [];

      for (const level of [1, 2, 3] as const) {
        for (const entry of entries.filter((candidate) => candidate.level === level)) {
          const parents: (CategoryRow | null)[] =
            level === 1
              ? [null]
              : known.filter(
                  (row) =>
                    row.level === level - 1 &&
                    normalizeCategoryName(row.name) === normalizeCategoryName(entry.parentName!),
                );
          if (parents.length === 0) {
            report.rejected.push({
              line: entry.entry,
              reason: `connected_to "${entry.parentName}" is not a Level ${level - 1} category`,
            });
            continue;
          }
          for (const parent of parents) {
            const parentId = parent?.id ?? null;
            const existing = await findSibling(transaction, parentId, entry.name);
            if (!existing) {
              const row = await insertCategory(transaction, { name: entry.name, level, parentId });
              known.push(row);
              changedIds.push(row.id);
              report.created += 1;
            } else if (existing.name !== entry.name) {
              const row = await renameCategory(transaction, existing.id, entry.name);
              const position = known.findIndex((candidate) => candidate.id === existing.id);
              if (row && position >= 0) known[position] = row;
              changedIds.push(existing.id);
              report.updated += 1;
            } else {
              report.unchanged += 1;
            }
          }
        }
      }
      report.rejected.sort((a, b) => a.line - b.line);
      if (changedIds.length > 0) {
        await recordChange(transaction, context, {
          kind: 'import.categories',
          categoryIds: changedIds,
          before: null,
          after: summary(report),
        });
      }
      return report;
    });
    if (report.created + report.updated > 0) await this.notifier.changed(WriteEffects.taxonomy());
    return report;
  }
}

const summary = (report: ImportReport) => ({
  records: report.records,
  created: report.created,
  updated: report.updated,
  unchanged: report.unchanged,
  rejected: report.rejected.length,
});
