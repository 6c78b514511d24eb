/**
 * The CSV export: `product_id,product_name,categories`, streamed in keyset batches so memory
 * stays flat whatever the catalog size. `categories` lists the most specific assigned categories
 * as paths ("A > B > C"), joined by "; " — ancestors are implied by their paths.
 */
import { Readable } from 'node:stream';
import type { ProductFilterQuery } from '@tag-manager/contract';
import { stringify } from 'csv-stringify/sync';
import type { Executor } from '../../db/client.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { CategoryIndex } from '../categories/category-index.js';
import { assignmentsOf } from '../assignments/assignments.repository.js';
import { listProducts } from '../products/products.repository.js';
import { productFilters } from '../products/filters.js';

const BATCH_SIZE = 5000;
const COLUMNS = ['product_id', 'product_name', 'categories'];

/**
 * Rows as CSV text for every export. A cell starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return (or the full-width `＝＋－＠`) is a formula to Excel, Sheets and Numbers
 * (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`), so it gets a leading `'` (OWASP's advice;
 * csv-stringify's `escape_formulas`): the spreadsheet shows text, and a script reading the
 * file sees the apostrophe.
 */
export const csvText = (rows: unknown[][]) => stringify(rows, { escape_formulas: true });

/** Lets other requests run between batches: a full export must not hold the event loop. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ExportOptions {
  /** Hears how many rows each batch wrote (the metrics count them). */
  onRows?: (rows: number) => void;
}

export class ExportService {
  constructor(
    private readonly db: Executor,
    private readonly categories: CategoryService,
  ) {}

  /**
   * The CSV as a stream of text chunks, one per batch of rows. While one batch is turned into
   * CSV and sent, the database already reads the next.
   */
  csv(query: ProductFilterQuery, options: ExportOptions = {}): Readable {
    return Readable.from(this.chunks(query, options), { objectMode: false });
  }

  private async *chunks(query: ProductFilterQuery, options: ExportOptions): AsyncGenerator<string> {
    const filters = productFilters(query);
    const index = await this.categories.index();
    interface Batch {
      batch: Awaited<ReturnType<typeof listProducts>>;
      assignments: Awaited<ReturnType<typeof assignmentsOf>>;
    }
    const batchAfter = async (after: { value: string; id: number } | undefined): Promise<Batch> => {
      const batch = await listProducts(this.db, filters, {
        sort: query.sort,
        limit: BATCH_SIZE,
        offset: 0,
        after,
      });
      const assignments = await assignmentsOf(
        this.db,
        batch.filter((row) => row.category_count > 0).map((row) => row.id),
      );
      return { batch, assignments };
    };

    // The header goes out with the first batch: a failure before it is still a JSON error.
    let header = csvText([COLUMNS]);
    let next: Promise<Batch> | undefined = batchAfter(undefined);
    while (next) {
      const current: Batch = await next;
      const { batch, assignments } = current;
      const last = batch.at(-1);
      next =
        last && batch.length === BATCH_SIZE
          ? batchAfter({ value: last.sort_value, id: last.id })
          : undefined;
      // A failed prefetch is raised by the await above on the next turn, not left unhandled.
      next?.catch(() => {});
      if (batch.length === 0) {
        yield header;
        return;
      }
      const byProduct = new Map<number, number[]>();
      for (const row of assignments) {
        const ids = byProduct.get(row.product_id);
        if (ids) ids.push(row.category_id);
        else byProduct.set(row.product_id, [row.category_id]);
      }
      yield (
        header +
        csvText(
          batch.map((row) => [
            row.product_id,
            row.product_name,
            leafPaths(index, byProduct.get(row.id) ?? []),
          ]),
        )
      );
      header = '';
      options.onRows?.(batch.length);
      if (next) await nextTurn();
    }
  }
}

/** Paths of the assigned categories that have no assigned child. */
function leafPaths(index: CategoryIndex, categoryIds: number[]): string {
  const assigned = new Set(categoryIds);
  const parents = new Set(categoryIds.map((id) => index.get(id)?.parent_id));
  return index
    .sortForDisplay([...assigned].filter((id) => !parents.has(id)))
    .map((id) => index.path(id))
    .join('; ');
}
