/**
 * Streaming reader of a Shopify product export. Rows of one handle are contiguous; the first
 * row carries the product fields, later rows are variants and images whose `Title` is empty or
 * the literal `nan` and must not overwrite anything (they may still supply the first SKU or
 * image when the first row has none).
 */
import { pipeline, type Readable } from 'node:stream';
import { CsvError, Parser, type Options } from 'csv-parse';
import {
  PRODUCT_LIMITS,
  PRODUCT_STATUSES,
  type ImportRejection,
  type ProductStatus,
} from '@tag-manager/contract';
import { AppError, validationError } from '../../errors.js';
import { longerThan, quote } from './rejections.js';
import { descriptionText } from './description-text.js';

export interface ProductDraft {
  product_id: string;
  product_name: string;
  vendor: string | null;
  product_type: string | null;
  status: ProductStatus;
  sku: string | null;
  image_url: string | null;
  tags: string[];
  /**
   * Plain text of `Body (HTML)` (descriptionText); null when the cell is empty, undefined when the
   * file has no such column (a re-import then leaves the stored description as it is).
   */
  description?: string | null;
}

export type ShopifyRecord =
  { kind: 'product'; draft: ProductDraft } | { kind: 'rejected'; rejection: ImportRejection };

const REQUIRED_COLUMNS = ['Handle', 'Title'] as const;
/**
 * A row (all its cells) longer than this many characters ends the import with 422: the CSV
 * parser holds a whole row, so this bounds its memory. A real export's longest row (with its
 * HTML description) is ~21 KB.
 */
export const MAX_ROW_CHARACTERS = 1_048_576;

/**
 * How every uploaded CSV is read (products, assignments): a BOM is dropped, each record comes
 * with its line numbers, a record past MAX_ROW_CHARACTERS fails, short and long rows are kept
 * for the reader to judge, blank lines are skipped.
 */
export const CSV_READ_OPTIONS = {
  bom: true,
  info: true,
  max_record_size: MAX_ROW_CHARACTERS,
  relax_column_count: true,
  skip_empty_lines: true,
} as const;
// eslint-disable-next-line no-control-regex -- rejecting control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * csv-parse's stream, each record with the line it ends on, as `info: true` gives it
 * (`{ record, info: { lines } }`), without the rest of `info`: that option copies the parser's
 * whole state into a new object per record, a quarter of the time the product import spends
 * reading a file. The line count is read when the record is pushed, the moment `info` copies it.
 */
class LineNumberedParser extends Parser {
  constructor(options: Options) {
    super({ ...options, info: false });
  }

  override push(record: unknown, encoding?: BufferEncoding): boolean {
    return super.push(
      record === null ? null : { record, info: { lines: this.info.lines } },
      encoding,
    );
  }
}

/** Empty cells, and the `nan` that pandas writes for them, mean "no value". */
function cell(record: Record<string, string | undefined>, column: string): string | null {
  const value = record[column]?.trim();
  return value && value.toLowerCase() !== 'nan' ? value : null;
}

export function notShopifyExport(reason: string): AppError {
  return validationError(
    [{ field: 'file', message: reason }],
    `The file is not a Shopify product export: ${reason}`,
  );
}

/**
 * Yields one product per handle group, or a rejection with its line number. A file without the
 * Handle and Title columns, or one that is not CSV at all, throws before anything is yielded.
 */
export async function* readShopifyProducts(input: Readable): AsyncGenerator<ShopifyRecord> {
  let columnCount = 0;
  const parser = new LineNumberedParser({
    ...CSV_READ_OPTIONS,
    columns: (header: string[]) => {
      const names = header.map((name) => name.trim());
      const missing = REQUIRED_COLUMNS.filter((column) => !names.includes(column));
      if (missing.length > 0) {
        throw notShopifyExport(
          `missing the ${missing.join(' and ')} column${missing.length > 1 ? 's' : ''}`,
        );
      }
      columnCount = names.length;
      return names;
    },
  });
  // pipeline, not pipe: an input that already failed (an upload cut short before reading began)
  // still fails the parser, instead of leaving it waiting for data that never comes.
  pipeline(input, parser, () => {});

  let current: { draft: ProductDraft; line: number } | undefined;
  const seen = new Set<string>();
  let previousEndLine = 1; // the header is line 1

  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const line = previousEndLine + 1;
      previousEndLine = info.lines;
      const fieldCount = Object.keys(record).length;
      const handle = record.Handle?.trim() ?? '';
      const title = cell(record, 'Title');

      if (current && handle !== current.draft.product_id) {
        yield completed(current);
        current = undefined;
      }
      if (fieldCount !== columnCount) {
        yield rejected(line, `has ${fieldCount} fields, expected ${columnCount}`);
        continue;
      }
      if (Object.values(record).some((value) => value.includes('\u0000'))) {
        // PostgreSQL text cannot hold U+0000; the row is refused, the file goes on.
        yield rejected(line, 'contains a NUL character');
        continue;
      }
      if (current) {
        // A variant or image row: fill what the first row left empty, never overwrite.
        current.draft.sku ??= cell(record, 'Variant SKU');
        current.draft.image_url ??= cell(record, 'Image Src');
        continue;
      }
      if (!handle) {
        yield rejected(line, 'Handle is empty');
        continue;
      }
      if (seen.has(handle)) {
        if (title)
          yield rejected(line, `Handle ${quote(handle)} appears again after other products`);
        continue;
      }
      // Only handles that can be stored are remembered: the set grows with products, not bytes.
      if (!longerThan(handle, PRODUCT_LIMITS.handle)) seen.add(handle);
      const problem = draftProblem(handle, title, record.Status);
      if (problem) {
        yield rejected(line, problem);
        continue;
      }
      current = {
        line,
        draft: {
          product_id: handle,
          product_name: title!,
          vendor: cell(record, 'Vendor'),
          product_type: cell(record, 'Type'),
          status: (cell(record, 'Status')?.toLowerCase() ?? 'active') as ProductStatus,
          sku: cell(record, 'Variant SKU'),
          image_url: cell(record, 'Image Src'),
          tags: splitTags(cell(record, 'Current Tags') ?? cell(record, 'Tags')),
          description:
            'Body (HTML)' in record ? descriptionText(cell(record, 'Body (HTML)')) : undefined,
        },
      };
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    const message = (error as Error).message ?? 'unreadable';
    if (error instanceof CsvError && error.code === 'CSV_MAX_RECORD_SIZE') {
      throw notShopifyExport(
        `the row ending at line ${previousEndLine + 1} or later is longer than ${MAX_ROW_CHARACTERS} characters`,
      );
    }
    if (error instanceof CsvError) {
      throw notShopifyExport(
        `the CSV cannot be read (${message.replace(/^Invalid /, 'invalid ')})`,
      );
    }
    throw error;
  }
  if (columnCount === 0) throw notShopifyExport('the file is empty');
  if (current) yield completed(current);
}

/** A product whose rows have all been read: checked against the field limits as a whole. */
function completed(current: { draft: ProductDraft; line: number }): ShopifyRecord {
  const problem = fieldProblem(current.draft);
  return problem ? rejected(current.line, problem) : { kind: 'product', draft: current.draft };
}

/** The limits of PRODUCT_LIMITS that the database also holds as CHECK constraints. */
function fieldProblem(draft: ProductDraft): string | undefined {
  const fields = [
    ['Vendor', draft.vendor, PRODUCT_LIMITS.vendor],
    ['Type', draft.product_type, PRODUCT_LIMITS.type],
    ['Variant SKU', draft.sku, PRODUCT_LIMITS.sku],
  ] as const;
  for (const [column, value, max] of fields) {
    if (value !== null && longerThan(value, max))
      return `${column} is longer than ${max} characters`;
  }
  if (draft.image_url !== null) {
    const problem = imageUrlProblem(draft.image_url);
    if (problem) return problem;
  }
  if (draft.tags.length > PRODUCT_LIMITS.tagCount) {
    return `Tags has ${draft.tags.length} tags, more than ${PRODUCT_LIMITS.tagCount}`;
  }
  if (draft.tags.some((tag) => longerThan(tag, PRODUCT_LIMITS.tagLength))) {
    return `Tags has a tag longer than ${PRODUCT_LIMITS.tagLength} characters`;
  }
  return undefined;
}

/**
 * Images are shown from https: only (the web app's Content-Security-Policy allows no other
 * image source), so a row whose Image Src is anything else is refused rather than stored with
 * an image nobody can see, or silently stored without it.
 */
function imageUrlProblem(url: string): string | undefined {
  if (longerThan(url, PRODUCT_LIMITS.imageUrl))
    return `Image Src is longer than ${PRODUCT_LIMITS.imageUrl} characters`;
  if (!/^https:\/\//i.test(url)) return `Image Src ${quote(url)} is not an https: URL`;
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\s\u0000-\u001f\u007f]/.test(url) || !URL.canParse(url))
    return `Image Src ${quote(url)} is not a valid URL`;
  return undefined;
}

function draftProblem(
  handle: string,
  title: string | null,
  status: string | undefined,
): string | undefined {
  if (longerThan(handle, PRODUCT_LIMITS.handle))
    return `Handle is longer than ${PRODUCT_LIMITS.handle} characters`;
  if (CONTROL_CHARACTERS.test(handle)) return 'Handle contains control characters';
  if (handle === '.' || handle === '..')
    return `Handle "${handle}" cannot be used: it is not a URL path segment`;
  if (!title) return `Title is empty on the first row of ${quote(handle)}`;
  if (longerThan(title, PRODUCT_LIMITS.title))
    return `Title is longer than ${PRODUCT_LIMITS.title} characters`;
  const normalizedStatus = status?.trim().toLowerCase();
  if (
    normalizedStatus &&
    normalizedStatus !== 'nan' &&
    !(PRODUCT_STATUSES as readonly string[]).includes(normalizedStatus)
  ) {
    return `Status ${quote(status!)} is not one of ${PRODUCT_STATUSES.join(', ')}`;
  }
  return undefined;
}

function splitTags(tags: string | null): string[] {
  if (!tags) return [];
  return [
    ...new Set(
      tags
        .split(',')
        .map((tag) => tag.trim())
        .filter(Boolean),
    ),
  ];
}

const rejected = (line: number, reason: string): ShopifyRecord => ({
  kind: 'rejected',
  rejection: { line, reason },
});
