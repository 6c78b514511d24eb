/**
 * Reader of the category list the old system exported:
 * `[{category_name, category_level: "Level N Category", connected_to: parent name | null}]`.
 * Parents are named, not numbered, and names repeat, so an entry belongs under every category
 * of the level above whose name matches (compared as sibling names are).
 */
import { CATEGORY_IMPORT_MAX_ENTRIES, type ImportRejection } from '@tag-manager/contract';
import { type AppError, validationError } from '../../errors.js';
import { cleanCategoryName } from '../categories/category-name.js';
import { describeValue } from './rejections.js';

export interface CategoryEntry {
  /** The entry's position in the file, 1-based (reported as `line`). */
  entry: number;
  name: string;
  level: 1 | 2 | 3;
  parentName: string | null;
}

export function notCategoryList(reason: string): AppError {
  return validationError(
    [{ field: 'file', message: reason }],
    `The file is not a category list: ${reason}`,
  );
}

/** A missing parent: JSON null, empty, or the string "null" the old export wrote for Vendors. */
function parentName(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.toLowerCase() === 'null' ? null : trimmed;
}

function parseLevel(value: unknown): 1 | 2 | 3 | undefined {
  const match =
    typeof value === 'number'
      ? String(value)
      : typeof value === 'string'
        ? /^\s*(?:level\s*)?([123])(?:\s*category)?\s*$/i.exec(value)?.[1]
        : undefined;
  return match === '1' || match === '2' || match === '3' ? (Number(match) as 1 | 2 | 3) : undefined;
}

export function readCategoryFile(document: unknown): {
  entries: CategoryEntry[];
  rejected: ImportRejection[];
} {
  const list = Array.isArray(document)
    ? document
    : document &&
        typeof document === 'object' &&
        Array.isArray((document as { categories?: unknown }).categories)
      ? (document as { categories: unknown[] }).categories
      : undefined;
  if (!list)
    throw notCategoryList('expected a JSON array of {category_name, category_level, connected_to}');
  if (list.length > CATEGORY_IMPORT_MAX_ENTRIES) {
    throw notCategoryList(
      `it has ${list.length} entries, more than the ${CATEGORY_IMPORT_MAX_ENTRIES} one import takes`,
    );
  }
  if (
    list.length > 0 &&
    !list.some(
      (item) =>
        item && typeof item === 'object' && 'category_name' in item && 'category_level' in item,
    )
  ) {
    throw notCategoryList('no entry has category_name and category_level');
  }

  const entries: CategoryEntry[] = [];
  const rejected: ImportRejection[] = [];
  list.forEach((item: unknown, position) => {
    const entry = position + 1;
    if (!item || typeof item !== 'object') {
      rejected.push({ line: entry, reason: 'entry is not an object' });
      return;
    }
    const {
      category_name: rawName,
      category_level: rawLevel,
      connected_to: rawParent,
    } = item as Record<string, unknown>;
    if (rawName !== undefined && rawName !== null && typeof rawName !== 'string') {
      rejected.push({
        line: entry,
        reason: `category_name is ${describeValue(rawName)}, not a string`,
      });
      return;
    }
    if (typeof rawName !== 'string' || rawName.trim().toLowerCase() === 'null') {
      rejected.push({ line: entry, reason: 'category_name is missing' });
      return;
    }
    const cleaned = cleanCategoryName(rawName);
    if ('problem' in cleaned) {
      rejected.push({ line: entry, reason: `category_name ${cleaned.problem}` });
      return;
    }
    const level = parseLevel(rawLevel);
    if (!level) {
      rejected.push({
        line: entry,
        // Never JSON.stringify the input: a value nested 10,000 deep overflows the stack.
        reason: `category_level ${describeValue(rawLevel)} is not Level 1, 2 or 3`,
      });
      return;
    }
    const parent = parentName(rawParent);
    if (parent === undefined) {
      rejected.push({ line: entry, reason: 'connected_to must be a category name or null' });
      return;
    }
    if (level === 1 && parent !== null) {
      rejected.push({ line: entry, reason: 'a Level 1 category cannot be connected to a parent' });
      return;
    }
    if (level > 1 && parent === null) {
      rejected.push({ line: entry, reason: `a Level ${level} category needs connected_to` });
      return;
    }
    entries.push({ entry, name: cleaned.name, level, parentName: parent });
  });
  return { entries, rejected };
}
