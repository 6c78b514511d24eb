/** The one rule for category names: trimmed, 1–100 characters, no control characters. */
import { CATEGORY_NAME_MAX_LENGTH } from '@tag-manager/contract';

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Returns the name to store, or the reason it cannot be stored. */
export function cleanCategoryName(raw: string): { name: string } | { problem: string } {
  if (CONTROL_CHARACTERS.test(raw)) return { problem: 'must not contain control characters' };
  // Every run of whitespace (no-break spaces included) becomes one space, so the stored name
  // and the database's normalised name agree on what a space is.
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0) return { problem: 'must not be empty' };
  if ([...name].length > CATEGORY_NAME_MAX_LENGTH) {
    return { problem: `must be at most ${CATEGORY_NAME_MAX_LENGTH} characters` };
  }
  return { name };
}

/** How sibling names are compared (the database computes the same in `normalized_name`). */
export const normalizeCategoryName = (name: string) =>
  name.trim().replace(/\s+/g, ' ').toLowerCase();
