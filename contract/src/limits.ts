/**
 * Limits on what a product may store, in characters (Unicode code points, as PostgreSQL's
 * char_length counts them). One place for the import's per-row checks, the database's CHECK
 * constraints (server/src/db/schema.ts) and the documentation. They follow Shopify's own limits,
 * so a real Shopify export always fits, and they keep every indexed column under PostgreSQL's
 * btree row limit (~2,700 bytes; 255 + 255 four-byte characters is 2,040 bytes).
 */
export const PRODUCT_LIMITS = {
  handle: 255,
  title: 255,
  vendor: 255,
  type: 255,
  sku: 255,
  imageUrl: 2048,
  tagCount: 250,
  tagLength: 255,
  /**
   * The description as plain text (Shopify's Body (HTML) without its tags), cut to this length at
   * import: enough for the work queue's preview and for suggestions, not a copy of the page.
   */
  description: 2000,
} as const;

/** Rejections listed in an import report; `rejected_total` counts them all. */
export const IMPORT_REJECTIONS_LISTED = 1000;

/** Input echoed in a rejection reason is cut to this many characters. */
export const IMPORT_ECHO_MAX_LENGTH = 100;

/** Entries in one category list file. */
export const CATEGORY_IMPORT_MAX_ENTRIES = 50_000;
