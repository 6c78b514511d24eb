/**
 * The Shopify file's columns and cells, and how the assignment import reads them back. The
 * rules and the Shopify help pages they come from: docs/shopify-csv.md.
 *
 * - `Handle` and `Title`: the two columns Shopify requires to update a product; every other
 *   column is left out, so that Shopify keeps what the store holds for it.
 * - `Tags`: the product's own tags (as last imported), without the tags that start with the
 *   category prefix, plus one tag per most specific category, `<prefix><path>`. Re-exporting
 *   after a re-import therefore never duplicates a category tag, and the category tags of
 *   categories no longer assigned disappear.
 * - the metafield column `<Label> (product.metafields.<namespace>.<key>)`: the same paths as a
 *   list, values joined by "; " as Shopify's own export writes list metafields.
 */
import { PRODUCT_LIMITS } from '@tag-manager/contract';
import { formatPath, formatPathList, splitPathList } from '../categories/category-path.js';
import type { ProductRow } from '../products/products.repository.js';

export interface ShopifyExportOptions {
  /** Category tags start with this (SHOPIFY_CATEGORY_TAG_PREFIX, default "Category: "). */
  tagPrefix: string;
  /** The list metafield that carries the paths (SHOPIFY_CATEGORY_METAFIELD), or none. */
  metafield: { namespace: string; key: string; label: string } | null;
}

/** Shopify separates tags with commas; its export writes ", ". */
export const TAG_SEPARATOR = ', ';

export const metafieldHeader = (metafield: NonNullable<ShopifyExportOptions['metafield']>) =>
  `${metafield.label} (product.metafields.${metafield.namespace}.${metafield.key})`;

export function shopifyHeader(options: ShopifyExportOptions): string[] {
  return [
    'Handle',
    'Title',
    'Tags',
    ...(options.metafield ? [metafieldHeader(options.metafield)] : []),
  ];
}

const codePoints = (text: string) => [...text].length;

const isCategoryTag = (tag: string, prefix: string) =>
  tag.trim().toLowerCase().startsWith(prefix.trim().toLowerCase());

/**
 * The product's tags with its category tags replaced: its other tags first (all kept), then
 * one tag per path. A category tag longer than Shopify's 255 characters, or beyond its 250 tags,
 * is left out (the metafield still carries the path).
 */
export function mergedTags(
  ownTags: readonly string[],
  paths: readonly (readonly string[])[],
  prefix: string,
): string[] {
  const tags: string[] = [];
  const seen = new Set<string>();
  const add = (tag: string) => {
    const key = tag.toLowerCase();
    if (seen.has(key) || tags.length >= PRODUCT_LIMITS.tagCount) return;
    seen.add(key);
    tags.push(tag);
  };
  for (const tag of ownTags) if (!isCategoryTag(tag, prefix)) add(tag.trim());
  for (const path of paths) {
    const tag = `${prefix}${formatPath(path, true)}`;
    if (codePoints(tag) <= PRODUCT_LIMITS.tagLength) add(tag);
  }
  return tags;
}

/** What the Shopify file needs of a product. */
export type ShopifyProduct = Pick<ProductRow, 'product_id' | 'product_name' | 'tags'>;

export function shopifyRow(
  product: ShopifyProduct,
  paths: readonly (readonly string[])[],
  options: ShopifyExportOptions,
): string[] {
  return [
    product.product_id,
    product.product_name,
    mergedTags(product.tags, paths, options.tagPrefix).join(TAG_SEPARATOR),
    ...(options.metafield ? [formatPathList(paths)] : []),
  ];
}

/** The written paths in a Shopify `Tags` cell: the tags that start with the prefix. */
export function pathsFromTags(cell: string, prefix: string): string[] {
  return cell
    .split(',')
    .map((tag) => tag.trim())
    .filter((tag) => isCategoryTag(tag, prefix))
    .map((tag) => tag.slice(prefix.trim().length).trim());
}

/** The written paths in a metafield list cell ("a; b"; Shopify may also write a JSON array). */
export function pathsFromMetafield(cell: string): string[] {
  const text = cell.trim();
  if (text.startsWith('[')) {
    try {
      const values: unknown = JSON.parse(text);
      if (Array.isArray(values)) return values.map(String).filter((value) => value.trim() !== '');
    } catch {
      // Not JSON after all: read it as the "; " list.
    }
  }
  return splitPathList(text);
}

/** `namespace.key` of a metafield column header, or undefined for any other header. */
export function metafieldOfHeader(header: string): string | undefined {
  return /\(product\.metafields\.([^.()\s]+\.[^.()\s]+)\)\s*$/.exec(header)?.[1];
}
