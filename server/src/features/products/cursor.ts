/**
 * The opaque keyset cursor of the product list: the sort, the last row's sort value and id, the
 * page it leads to, and a fingerprint of the filters, so that a cursor is never applied to a
 * different query than the one that produced it.
 */
import { createHash } from 'node:crypto';
import type { ProductSort } from '@tag-manager/contract';
import { invalidField } from '../../errors.js';

/** timestamptz as PostgreSQL writes it in text, e.g. `2026-11-29 20:22:07.809123+00`. */
const POSTGRES_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

export interface CursorPosition {
  sort: ProductSort;
  value: string;
  id: number;
  page: number;
  filters: string;
  /** A search listing exact SKU/handle matches first: the row's rank (0 exact, 1 the rest). */
  rank?: number | undefined;
}

export function filtersFingerprint(filters: object): string {
  return createHash('sha1').update(JSON.stringify(filters)).digest('base64url').slice(0, 12);
}

export function encodeCursor(position: CursorPosition): string {
  const payload: unknown[] = [
    position.sort,
    position.value,
    position.id,
    position.page,
    position.filters,
  ];
  if (position.rank !== undefined) payload.push(position.rank);
  return Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, sort: ProductSort, filters: string): CursorPosition {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidField('cursor', 'is not a cursor this API issued');
  }
  if (
    !Array.isArray(payload) ||
    (payload.length !== 5 && payload.length !== 6) ||
    typeof payload[0] !== 'string' ||
    typeof payload[1] !== 'string' ||
    !Number.isSafeInteger(payload[2]) ||
    !Number.isSafeInteger(payload[3]) ||
    (payload[3] as number) < 1 ||
    typeof payload[4] !== 'string' ||
    (payload.length === 6 && payload[5] !== 0 && payload[5] !== 1)
  ) {
    throw invalidField('cursor', 'is not a cursor this API issued');
  }
  const [cursorSort, value, id, page, cursorFilters, rank] = payload as [
    string,
    string,
    number,
    number,
    string,
    (0 | 1)?,
  ];
  if (id < 1 || id > 2_147_483_647 || page > 10_000_000) {
    throw invalidField('cursor', 'is not a cursor this API issued');
  }
  if (cursorSort.endsWith('last_modified') && !POSTGRES_TIMESTAMP.test(value)) {
    throw invalidField('cursor', 'is not a cursor this API issued');
  }
  if (cursorSort !== sort)
    throw invalidField('cursor', `was issued for sort "${cursorSort}", not "${sort}"`);
  if (cursorFilters !== filters) {
    throw invalidField('cursor', 'was issued for different filters; start again without a cursor');
  }
  return { sort, value, id, page, filters, rank };
}
