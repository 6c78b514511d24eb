/**
 * Streaming reader of an assignments file: the app's own export (`product_id,…,categories`) or
 * the Shopify file (`Handle,…` with the category metafield column or `Tags`), told apart by the
 * header. Yields one line per product with its written paths, or a rejection with its line.
 */
import { pipeline, type Readable } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import type { ImportRejection } from '@tag-manager/contract';
import { AppError, validationError } from '../../errors.js';
import { splitPathList } from '../categories/category-path.js';
import {
  metafieldOfHeader,
  pathsFromMetafield,
  pathsFromTags,
  type ShopifyExportOptions,
} from '../exports/shopify-file.js';
import { CSV_READ_OPTIONS, MAX_ROW_CHARACTERS } from './shopify-csv.js';

export type AssignmentsFormat = 'app' | 'shopify';

export type AssignmentLine =
  | { kind: 'line'; line: number; handle: string; paths: string[] }
  | { kind: 'rejected'; rejection: ImportRejection };

export function notAssignmentsFile(reason: string): AppError {
  return validationError(
    [{ field: 'file', message: reason }],
    `The file is not an assignments file: ${reason}`,
  );
}

/**
 * Every CSV export of the app prefixes a cell a spreadsheet would run as a formula with `'`
 * (csv-stringify's escape_formulas); reading the file back takes it off again.
 */
const FORMULA_ESCAPED = /^'(?=[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20])/;
const unescapeCell = (value: string | undefined) => (value ?? '').replace(FORMULA_ESCAPED, '');

interface Layout {
  format: AssignmentsFormat;
  handle: string;
  categories: string;
  /** How the categories cell holds its paths. */
  read: (cell: string) => string[];
}

function layoutOf(names: string[], shopify: ShopifyExportOptions): Layout {
  if (names.includes('product_id') && names.includes('categories')) {
    return { format: 'app', handle: 'product_id', categories: 'categories', read: splitPathList };
  }
  if (names.includes('Handle')) {
    const wanted = shopify.metafield && `${shopify.metafield.namespace}.${shopify.metafield.key}`;
    const metafield = names.find((name) => wanted && metafieldOfHeader(name) === wanted);
    if (metafield) {
      return {
        format: 'shopify',
        handle: 'Handle',
        categories: metafield,
        read: pathsFromMetafield,
      };
    }
    const tags = ['Tags', 'Current Tags'].find((name) => names.includes(name));
    if (tags) {
      return {
        format: 'shopify',
        handle: 'Handle',
        categories: tags,
        read: (cell) => pathsFromTags(cell, shopify.tagPrefix),
      };
    }
    throw notAssignmentsFile(
      `a Shopify file needs the categories metafield column${wanted ? ` (product.metafields.${wanted})` : ''} or a Tags column`,
    );
  }
  throw notAssignmentsFile(
    'the header names neither product_id and categories (the app export) nor Handle (the Shopify file)',
  );
}

/**
 * Reads the file. `onFormat` hears which format the header named (before the first line). In
 * the Shopify file the rows of one handle are contiguous and only the first one counts (later
 * rows are variants and images); in the app export every line is a product.
 */
export async function* readAssignmentLines(
  input: Readable,
  shopify: ShopifyExportOptions,
  onFormat: (format: AssignmentsFormat, categoriesColumn: string) => void,
): AsyncGenerator<AssignmentLine> {
  let layout: Layout | undefined;
  let columnCount = 0;
  const parser = parse({
    ...CSV_READ_OPTIONS,
    columns: (header: string[]) => {
      const names = header.map((name) => name.trim());
      layout = layoutOf(names, shopify);
      onFormat(layout.format, layout.categories);
      columnCount = names.length;
      return names;
    },
  });
  pipeline(input, parser, () => {});

  let previousEndLine = 1;
  let previousHandle: string | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const line = previousEndLine + 1;
      previousEndLine = info.lines;
      const current = layout!;
      const handle = unescapeCell(record[current.handle]).trim();
      if (current.format === 'shopify' && handle !== '' && handle === previousHandle) continue;
      previousHandle = handle;
      if (Object.keys(record).length !== columnCount) {
        yield rejected(line, `has ${Object.keys(record).length} fields, expected ${columnCount}`);
        continue;
      }
      if (!handle) {
        yield rejected(line, `${current.handle} is empty`);
        continue;
      }
      yield {
        kind: 'line',
        line,
        handle,
        paths: current.read(unescapeCell(record[current.categories])),
      };
    }
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof CsvError) {
      const reason =
        error.code === 'CSV_MAX_RECORD_SIZE'
          ? `a row is longer than ${MAX_ROW_CHARACTERS} characters`
          : `it is not readable CSV (${error.message})`;
      throw notAssignmentsFile(reason);
    }
    throw error;
  }
}

function rejected(line: number, reason: string): AssignmentLine {
  return { kind: 'rejected', rejection: { line, reason } };
}
