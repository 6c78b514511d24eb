/**
 * The assignment import: restores the categories of the products a file names, exactly. All or
 * nothing: any line with a problem (unknown product, unknown or ambiguous path, a product named
 * twice) and nothing is written; the answer lists the lines (422). Otherwise each named
 * product's assignments become exactly the file's (ancestors added, as everywhere), in one
 * change set; products the file does not name are left alone.
 */
import type { Readable } from 'node:stream';
import {
  IMPORT_REJECTIONS_LISTED,
  type ImportRejection,
  type ImportReport,
} from '@tag-manager/contract';
import { AppError } from '../../errors.js';
import type { Executor } from '../../db/client.js';
import {
  assignmentsOf,
  deleteAssignments,
  insertAssignments,
  lockProducts,
  type AssignmentRow,
  type NewAssignment,
} from '../assignments/assignments.repository.js';
import type { CategoryIndex } from '../categories/category-index.js';
import { normalizeCategoryName } from '../categories/category-name.js';
import { parsePath } from '../categories/category-path.js';
import type { ShopifyExportOptions } from '../exports/shopify-file.js';
import {
  notAssignmentsFile,
  readAssignmentLines,
  type AssignmentsFormat,
} from './assignments-file.js';
import { quote } from './rejections.js';

/** Products locked and read per statement. */
const CHUNK = 5000;

export interface AssignmentsOutcome {
  report: ImportReport;
  /** Per changed product: handle, integer id, categories before and after. */
  changed: { handle: string; productId: number; before: number[]; after: number[] }[];
  added: number;
  removed: number;
}

/** Finds categories by written path: full paths from level 1, or a lone name used once. */
class PathResolver {
  private readonly byPath = new Map<string, number>();
  private readonly byName = new Map<string, number[]>();

  constructor(private readonly index: CategoryIndex) {
    for (const row of index.rows) {
      const names = index.pathNames(row.id).map(normalizeCategoryName);
      this.byPath.set(names.join('\u0000'), row.id);
      const key = normalizeCategoryName(row.name);
      const ids = this.byName.get(key);
      if (ids) ids.push(row.id);
      else this.byName.set(key, [row.id]);
    }
  }

  resolve(written: string): { id: number } | { problem: string } {
    const names = parsePath(written);
    if (names.some((name) => name === '')) {
      return { problem: `path ${quote(written)} has an empty name` };
    }
    const id = this.byPath.get(names.map(normalizeCategoryName).join('\u0000'));
    if (id !== undefined) return { id };
    if (names.length === 1) {
      const ids = this.byName.get(normalizeCategoryName(names[0]!)) ?? [];
      if (ids.length === 1) return { id: ids[0]! };
      if (ids.length > 1) {
        return {
          problem: `path ${quote(written)} is ambiguous: ${ids.length} categories have that name (${ids
            .slice(0, 3)
            .map((candidate) => quote(this.index.path(candidate)))
            .join(', ')}${ids.length > 3 ? ', …' : ''}); write the full path`,
        };
      }
    }
    return { problem: `unknown category path ${quote(written)}` };
  }
}

export async function importAssignmentsFile(
  transaction: Executor,
  index: CategoryIndex,
  input: Readable,
  shopify: ShopifyExportOptions,
): Promise<AssignmentsOutcome> {
  const resolver = new PathResolver(index);
  // Two passes find rejections, each in line order (reading, then products and paths): the
  // first IMPORT_REJECTIONS_LISTED of each are kept, and merged by line at the end.
  const found: ImportRejection[][] = [[], []];
  let pass = 0;
  let rejectedTotal = 0;
  const reject = (rejection: ImportRejection) => {
    rejectedTotal += 1;
    if (found[pass]!.length < IMPORT_REJECTIONS_LISTED) found[pass]!.push(rejection);
  };
  let format: AssignmentsFormat = 'app';
  let categoriesColumn = '';
  const lines: { line: number; handle: string; categoryIds: Set<number>; problems: string[] }[] =
    [];
  const firstLine = new Map<string, number>();

  for await (const item of readAssignmentLines(input, shopify, (found, column) => {
    format = found;
    categoriesColumn = column;
  })) {
    if (item.kind === 'rejected') {
      reject(item.rejection);
      continue;
    }
    const earlier = firstLine.get(item.handle);
    if (earlier !== undefined) {
      reject({
        line: item.line,
        reason: `product ${quote(item.handle)} is already on line ${earlier}`,
      });
      continue;
    }
    firstLine.set(item.handle, item.line);
    const categoryIds = new Set<number>();
    const problems: string[] = [];
    for (const written of item.paths) {
      const found = resolver.resolve(written);
      if ('id' in found) categoryIds.add(found.id);
      else problems.push(found.problem);
    }
    lines.push({ line: item.line, handle: item.handle, categoryIds, problems });
  }

  // A plain Shopify product export read through its tags, without a single category tag, is
  // almost certainly the wrong file: importing it would take every category off its products.
  if (
    (categoriesColumn === 'Tags' || categoriesColumn === 'Current Tags') &&
    lines.length > 0 &&
    lines.every((line) => line.categoryIds.size === 0 && line.problems.length === 0)
  ) {
    throw notAssignmentsFile(
      `no tag in its ${categoriesColumn} column starts with ${quote(shopify.tagPrefix)}: this looks like a Shopify export without categories, and importing it would remove every category from its products. Use the file from "Shopify CSV" or the app's CSV export`,
    );
  }
  pass = 1;
  // Products: locked in id order (as every assignment write does), unknown handles rejected.
  const products = new Map<string, number>();
  for (let start = 0; start < lines.length; start += CHUNK) {
    const handles = lines.slice(start, start + CHUNK).map((line) => line.handle);
    for (const row of await lockProducts(transaction, handles)) {
      products.set(row.product_id, row.id);
    }
  }
  for (const line of lines) {
    if (!products.has(line.handle)) line.problems.unshift(`unknown product ${quote(line.handle)}`);
    if (line.problems.length > 0) {
      const more = line.problems.length > 3 ? `; and ${line.problems.length - 3} more` : '';
      reject({ line: line.line, reason: line.problems.slice(0, 3).join('; ') + more });
    }
  }
  if (rejectedTotal > 0) {
    const rejections = [...found[0]!, ...found[1]!]
      .sort((a, b) => a.line - b.line)
      .slice(0, IMPORT_REJECTIONS_LISTED);
    const summary = `${rejectedTotal} line${rejectedTotal === 1 ? '' : 's'} of the file cannot be imported; nothing was changed`;
    throw new AppError(422, 'VALIDATION_ERROR', summary, {
      field_errors: [{ field: 'file', message: summary }],
      validation_errors: [{ field: 'file', message: summary }],
      error_count: 1,
      truncated: false,
      rejected: rejections,
      rejected_total: rejectedTotal,
    });
  }

  const outcome: AssignmentsOutcome = {
    report: {
      kind: 'assignments',
      format,
      records: lines.length,
      created: 0,
      updated: 0,
      unchanged: 0,
      rejected: [],
      rejected_total: 0,
      assignments_added: 0,
      assignments_removed: 0,
    },
    changed: [],
    added: 0,
    removed: 0,
  };
  for (let start = 0; start < lines.length; start += CHUNK) {
    const chunk = lines.slice(start, start + CHUNK);
    const ids = chunk.map((line) => products.get(line.handle)!);
    const current = new Map<number, Set<number>>(ids.map((id) => [id, new Set()]));
    for (const row of await assignmentsOf(transaction, ids)) {
      current.get(row.product_id)!.add(row.category_id);
    }
    const toInsert: NewAssignment[] = [];
    const toDelete: AssignmentRow[] = [];
    for (const line of chunk) {
      const productId = products.get(line.handle)!;
      const target = new Set<number>();
      for (const id of line.categoryIds) for (const pathId of index.pathIds(id)) target.add(pathId);
      const before = current.get(productId)!;
      const gone = [...before].filter((id) => !target.has(id));
      const added = [...target].filter((id) => !before.has(id));
      if (gone.length === 0 && added.length === 0) {
        outcome.report.unchanged += 1;
        continue;
      }
      outcome.report.updated += 1;
      for (const categoryId of gone)
        toDelete.push({ product_id: productId, category_id: categoryId });
      for (const categoryId of added) {
        const row = index.get(categoryId)!;
        toInsert.push({
          productId,
          categoryId,
          categoryLevel: row.level,
          parentCategoryId: row.parent_id,
        });
      }
      outcome.added += added.length;
      outcome.removed += gone.length;
      outcome.changed.push({
        handle: line.handle,
        productId,
        before: [...before].sort((a, b) => a - b),
        after: [...target].sort((a, b) => a - b),
      });
    }
    // Removed first: the target sets are closed under "parent of", so no kept row loses its
    // parent; the inserts then reference parents that exist or arrive in the same statement.
    await deleteAssignments(transaction, toDelete);
    await insertAssignments(transaction, toInsert);
  }
  outcome.report.assignments_added = outcome.added;
  outcome.report.assignments_removed = outcome.removed;
  return outcome;
}
