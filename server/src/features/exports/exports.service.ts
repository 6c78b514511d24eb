/**
 * The CSV exports, streamed in keyset batches so memory stays flat whatever the catalog size:
 * - the spreadsheet export `product_id,product_name,categories`: `categories` lists the most
 *   specific assigned categories as paths ("A > B > C"), joined by "; " — ancestors are implied
 *   by their paths; names are written through category-path.ts, so separators inside names are
 *   escaped;
 * - the Shopify file (`Handle,Title,Tags[,metafield]`, docs/shopify-csv.md): the same paths as
 *   category tags merged into the product's own tags, and as a list metafield.
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
import type { ProductRow } from '../products/products.repository.js';
import { formatPathList } from '../categories/category-path.js';
import { shopifyHeader, shopifyRow, type ShopifyExportOptions } from './shopify-file.js';

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
  /** Awaited after each batch (an export's job records its progress: rows written). */
  onBatch?: (rows: number) => Promise<void>;
  /** Awaited once the last row was produced, before the stream ends (the job succeeds). */
  onEnd?: () => Promise<void>;
  /** Starts the file with a UTF-8 byte order mark (Excel needs it to read UTF-8). */
  bom?: boolean;
}

/** How one export turns a batch's rows into cells. */
interface FileFormat {
  header: string[];
  row: (product: ProductRow, leafIds: number[], index: CategoryIndex) => unknown[];
}

const SPREADSHEET: FileFormat = {
  header: COLUMNS,
  row: (product, leafIds, index) => [
    product.product_id,
    product.product_name,
    formatPathList(leafIds.map((id) => index.pathNames(id))),
  ],
};

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
    return Readable.from(this.chunks(query, options, SPREADSHEET), { objectMode: false });
  }

  /** The file for Shopify's product CSV import ("overwrite products with matching handles"). */
  shopifyCsv(
    query: ProductFilterQuery,
    shopify: ShopifyExportOptions,
    options: ExportOptions = {},
  ): Readable {
    const format: FileFormat = {
      header: shopifyHeader(shopify),
      row: (product, leafIds, index) =>
        shopifyRow(
          product,
          leafIds.map((id) => index.pathNames(id)),
          shopify,
        ),
    };
    return Readable.from(this.chunks(query, options, format), { objectMode: false });
  }

  private async *chunks(
    query: ProductFilterQuery,
    options: ExportOptions,
    format: FileFormat,
  ): AsyncGenerator<string> {
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
    let header = (options.bom ? '\uFEFF' : '') + csvText([format.header]);
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
        await options.onEnd?.();
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
          batch.map((row) => format.row(row, leafIds(index, byProduct.get(row.id) ?? []), index)),
        )
      );
      header = '';
      options.onRows?.(batch.length);
      await options.onBatch?.(batch.length);
      if (next) await nextTurn();
    }
    await options.onEnd?.();
  }
}

/** The assigned categories that have no assigned child, in display order. */
function leafIds(index: CategoryIndex, categoryIds: number[]): number[] {
  const assigned = new Set(categoryIds);
  const parents = new Set(categoryIds.map((id) => index.get(id)?.parent_id));
  return index.sortForDisplay([...assigned].filter((id) => !parents.has(id)));
}
