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
import { sql } from 'drizzle-orm';
import type { Executor } from '../../db/client.js';
import type { CategoryService } from '../categories/categories.service.js';
import type { CategoryIndex } from '../categories/category-index.js';
import { listProducts } from '../products/products.repository.js';
import { productFilters } from '../products/filters.js';
import { formatPathList } from '../categories/category-path.js';
import {
  shopifyHeader,
  shopifyRow,
  type ShopifyExportOptions,
  type ShopifyProduct,
} from './shopify-file.js';

/**
 * Rows per batch (one query each). Smaller batches keep less alive across the awaits (what
 * the young-generation GC copies, and the peak memory); larger ones make more round trips
 * unnecessary. docs/performance-io.md has the figures.
 */
const BATCH_SIZE = 2000;
const COLUMNS = ['product_id', 'product_name', 'categories'];

/**
 * Rows as CSV text for every export. A cell starting with `=`, `+`, `-`, `@`, a tab or a
 * carriage return (or the full-width `＝＋－＠`) is a formula to Excel, Sheets and Numbers
 * (`=HYPERLINK(…)`, `=cmd|' /C calc'!A0`), so it gets a leading `'` (OWASP's advice;
 * csv-stringify's `escape_formulas`): the spreadsheet shows text, and a script reading the
 * file sees the apostrophe.
 *
 * The same bytes as csv-stringify's `stringify(rows, { escape_formulas: true })` (a test
 * compares them on random text), written directly for string cells: the export writes a
 * million rows, and csv-stringify's general path (options per cell, casting) was a tenth of
 * its time. A row with any other kind of cell goes through csv-stringify.
 */
export function csvText(rows: readonly (readonly unknown[])[]): string {
  let text = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < row.length; i += 1) {
      const value = row[i];
      if (typeof value === 'string') line += value === '' ? '' : csvCell(value);
      else if (value !== null && value !== undefined) {
        line = stringify([row as unknown[]], { escape_formulas: true }).slice(0, -1);
        break;
      }
      if (i !== row.length - 1) line += ',';
    }
    text += `${line}\n`;
  }
  return text;
}

const NEEDS_QUOTES = /[",\n\r]/;
const FORMULA_STARTS = new Set([
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\uFF1D',
  '\uFF0B',
  '\uFF0D',
  '\uFF20',
]);

/** One non-empty cell: quoted when it holds a quote, comma or line break (judged before the `'`). */
function csvCell(value: string): string {
  const quoted = NEEDS_QUOTES.test(value);
  const text = FORMULA_STARTS.has(value[0]!) ? `'${value}` : value;
  return quoted ? `"${text.replaceAll('"', '""')}"` : text;
}

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

/** What a batch reads of each product: the file's columns and the assigned category ids. */
interface ExportRow extends ShopifyProduct {
  id: number;
  /** The assigned category ids joined by commas, or null for none. */
  category_ids: string | null;
  sort_value: string;
  rank: number | null;
}

/** How one export turns a batch's rows into cells. */
interface FileFormat {
  header: string[];
  /** Whether the rows need the product's own tags (the Shopify file's Tags). */
  tags: boolean;
  row: (product: ExportRow, paths: CategoryPaths) => unknown[];
}

/** A product's most specific categories, as name paths in display order and as one cell. */
interface CategoryPaths {
  names: readonly (readonly string[])[];
  list: string;
}

const NO_PATHS: CategoryPaths = { names: [], list: '' };

/**
 * Distinct assignment sets remembered per export (most products share theirs with many
 * others); past this many the memo starts again, so it stays small whatever the catalog.
 */
const PATHS_MEMO_SIZE = 20_000;

const SPREADSHEET: FileFormat = {
  header: COLUMNS,
  tags: false,
  row: (product, paths) => [product.product_id, product.product_name, paths.list],
};

/**
 * The batch's columns: one statement per batch, each product's category ids read with it
 * (through the assignments' primary key) rather than by a
 * second query on the batch's ids.
 */
const exportColumns = (tags: boolean) =>
  sql`p.id, p.product_id, p.product_name, ${tags ? sql`p.tags` : sql`null::text[]`} as tags,
      (select string_agg(pc.category_id::text, ',') from product_categories pc
        where pc.product_id = p.id) as category_ids`;

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
      tags: true,
      row: (product, paths) => shopifyRow(product, paths.names, shopify),
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
    const columns = exportColumns(format.tags);
    // The paths of an assignment set (its ids as the batch query joins them, in key order):
    // leaves, display order (localeCompare of whole paths) and formatting, once per set.
    const memo = new Map<string, CategoryPaths>();
    const pathsOf = (joined: string | null): CategoryPaths => {
      if (!joined) return NO_PATHS;
      let paths = memo.get(joined);
      if (!paths) {
        const names = leafIds(index, joined).map((id) => index.pathNames(id));
        paths = { names, list: formatPathList(names) };
        if (memo.size >= PATHS_MEMO_SIZE) memo.clear();
        memo.set(joined, paths);
      }
      return paths;
    };
    const batchAfter = (after: { value: string; id: number } | undefined) =>
      listProducts(this.db, filters, {
        sort: query.sort,
        limit: BATCH_SIZE,
        offset: 0,
        after,
        columns,
      }) as unknown as Promise<ExportRow[]>;

    // The header goes out with the first batch: a failure before it is still a JSON error.
    let header = (options.bom ? '\uFEFF' : '') + csvText([format.header]);
    let next: Promise<ExportRow[]> | undefined = batchAfter(undefined);
    while (next) {
      const batch: ExportRow[] = await next;
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
      yield header + csvText(batch.map((row) => format.row(row, pathsOf(row.category_ids))));
      header = '';
      options.onRows?.(batch.length);
      await options.onBatch?.(batch.length);
      if (next) await nextTurn();
    }
    await options.onEnd?.();
  }
}

/** The assigned categories that have no assigned child, in display order. */
function leafIds(index: CategoryIndex, joined: string): number[] {
  const categoryIds = joined.split(',').map(Number);
  const assigned = new Set(categoryIds);
  const parents = new Set(categoryIds.map((id) => index.get(id)?.parent_id));
  return index.sortForDisplay([...assigned].filter((id) => !parents.has(id)));
}
