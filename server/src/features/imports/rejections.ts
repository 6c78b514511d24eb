/**
 * What an import report says about refused rows, bounded whatever the file: the first
 * IMPORT_REJECTIONS_LISTED rejections plus a total, and reasons that quote at most
 * IMPORT_ECHO_MAX_LENGTH characters of the input.
 */
import {
  IMPORT_ECHO_MAX_LENGTH,
  IMPORT_REJECTIONS_LISTED,
  type ImportRejection,
} from '@tag-manager/contract';

/** Rejections in the order they are found (a CSV's line order): the first ones kept, all counted. */
export class RejectionList {
  readonly listed: ImportRejection[] = [];
  total = 0;

  add(rejection: ImportRejection): void {
    this.total += 1;
    if (this.listed.length < IMPORT_REJECTIONS_LISTED) this.listed.push(rejection);
  }
}

/** The first IMPORT_REJECTIONS_LISTED of rejections found out of order, by line. */
export function firstByLine(rejections: ImportRejection[]): ImportRejection[] {
  return [...rejections].sort((a, b) => a.line - b.line).slice(0, IMPORT_REJECTIONS_LISTED);
}

// eslint-disable-next-line no-control-regex -- replacing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A string quoted for a reason: at most IMPORT_ECHO_MAX_LENGTH characters (then "…"), control
 * characters shown as U+FFFD, so that an answer never grows with (or multiplies) the input.
 */
export function quote(value: string): string {
  let end = 0;
  let characters = 0;
  while (end < value.length && characters < IMPORT_ECHO_MAX_LENGTH) {
    const code = value.charCodeAt(end);
    end += code >= 0xd800 && code <= 0xdbff && end + 1 < value.length ? 2 : 1;
    characters += 1;
  }
  const shown = value.slice(0, end).replace(CONTROL_CHARACTERS, '\uFFFD');
  return `"${shown}${end < value.length ? '…' : ''}"`;
}

/** Names a JSON value's kind, or quotes a scalar, without walking into arrays or objects. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a${typeof value === 'object' ? 'n object' : ` ${typeof value}`}`;
}

/** Characters (code points, as PostgreSQL's char_length counts them) in `value`, up to `max + 1`. */
export function longerThan(value: string, max: number): boolean {
  // A UTF-16 length within the limit is within it in code points too.
  if (value.length <= max) return false;
  let characters = 0;
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code < 0xdc00 || code > 0xdfff) characters += 1;
    if (characters > max) return true;
  }
  return false;
}
