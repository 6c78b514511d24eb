/**
 * Category paths in files (the CSV export, the Shopify file, the assignment import): one format
 * that stays unambiguous whatever the names.
 *
 * A path is its names from level 1 down, joined by " > "; several paths are joined by "; ". Inside
 * a name, the characters that separate something are percent-encoded: `%` → `%25`, `>` → `%3E`,
 * `;` → `%3B`, and in Shopify tags (which commas separate) also `,` → `%2C`. So
 * `Power > Cordless; Drills` as one name is written `Power %3E Cordless%3B Drills`, and a reader
 * splits on the separators first and decodes each name after. Names without these characters
 * (every name of the real category list) are written as they are.
 */
const ENCODED: Record<string, string> = { '%': '%25', '>': '%3E', ';': '%3B', ',': '%2C' };
const DECODED: Record<string, string> = { '25': '%', '3E': '>', '3B': ';', '2C': ',' };

export const FILE_PATH_SEPARATOR = ' > ';
export const FILE_LIST_SEPARATOR = '; ';

/** `forTag`: commas too (a Shopify tag cannot hold one). */
export const encodeName = (name: string, forTag = false) =>
  name.replace(forTag ? /[%>;,]/g : /[%>;]/g, (char) => ENCODED[char]!);

/** Decodes the four escapes; any other `%` is kept as it is. */
export const decodeName = (text: string) =>
  text.replace(/%(25|3E|3B|2C)/gi, (_match, hex: string) => DECODED[hex.toUpperCase()]!);

export const formatPath = (names: readonly string[], forTag = false) =>
  names.map((name) => encodeName(name, forTag)).join(FILE_PATH_SEPARATOR);

export const formatPathList = (paths: readonly (readonly string[])[]) =>
  paths.map((path) => formatPath(path)).join(FILE_LIST_SEPARATOR);

/** The names of one written path, decoded (empty names included, for the caller to refuse). */
export const parsePath = (text: string): string[] =>
  text.split('>').map((part) => decodeName(part.trim()));

/** The written paths of a list cell; empty entries (a trailing "; ") are skipped. */
export const splitPathList = (text: string): string[] =>
  text
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
