/**
 * The product filters, sorts and statuses: defined once here and used by the list and export
 * query schemas (and so the OpenAPI parameters), the server's filter table
 * (server/src/features/products/filters.ts, keyed by the same names) and the web app's URL state.
 *
 * To add a filter: add an entry to PRODUCT_FILTERS (its query fields with description, and the
 * applied value reported in the list metadata), then the server's table entry with the same key
 * (the compiler asks for it). See README "Adding a product filter".
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Id, Nullable } from './common.js';

export const PRODUCT_STATUSES = ['active', 'draft', 'archived'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];
export const ProductStatus = Type.Enum(PRODUCT_STATUSES);

export const PRODUCT_SORTS = [
  'product_name',
  '-product_name',
  'last_modified',
  '-last_modified',
  'product_id',
  '-product_id',
] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];
export const ProductSortField = Type.Enum(PRODUCT_SORTS, {
  default: 'product_name',
  description:
    'Order of the rows: a column, ascending, or with a leading "-" descending; ties by internal id.',
});

/**
 * Text that reaches a PostgreSQL `text` value, which cannot hold U+0000: refused by validation
 * (naming the field) rather than by the database (a 422 that names nothing).
 */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

const exactText = (description: string) =>
  Type.String({ minLength: 1, maxLength: 255, pattern: NO_NUL_PATTERN, description });

/** One filter's part of the contract. */
export interface ProductFilterContract {
  /** Its query fields (list and export), each with a description for the OpenAPI document. */
  query: Record<string, TSchema>;
  /** The same fields as the list reports them applied (`metadata.filters`): null when unset. */
  applied: Record<string, TSchema>;
}

export const PRODUCT_FILTERS = {
  hide_allocated: {
    query: {
      hide_allocated: Type.Boolean({
        default: false,
        description: 'true: only products without any category',
      }),
    },
    applied: { hide_allocated: Type.Boolean() },
  },
  search: {
    query: {
      search: Type.Optional(
        Type.String({
          maxLength: 200,
          pattern: NO_NUL_PATTERN,
          description:
            'Case- and accent-insensitive match on name, handle, SKU, vendor and type (surrounding spaces ignored; % _ \\ are literal). Several words, one of them with three letters or digits in a row: each word is contained in one of them, in any order ("grey levelling" finds "Levelling Compound Grey"; a shorter word must start a word). One word with three letters or digits in a row: contains it. Fewer: the whole name, handle or SKU equals the term. Without any letter or digit: 422 (no index can serve it). Products whose SKU or handle equals the whole term are listed first, then the rest in the requested sort.',
        }),
      ),
    },
    applied: { search: Nullable(Type.String()) },
  },
  category: {
    query: {
      category_id: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 2_147_483_647,
          description: 'Only products assigned this category (see include_descendants)',
        }),
      ),
      include_descendants: Type.Boolean({
        default: true,
        description:
          'With category_id: true counts products in its subcategories too; false only products whose most specific category it is',
      }),
    },
    applied: { category_id: Nullable(Id), include_descendants: Type.Boolean() },
  },
  vendor: {
    query: { vendor: Type.Optional(exactText('Only products of this vendor (exact match)')) },
    applied: { vendor: Nullable(Type.String()) },
  },
  status: {
    query: {
      status: Type.Optional(
        Type.Enum(PRODUCT_STATUSES, { description: 'Only products with this status' }),
      ),
    },
    applied: { status: Nullable(ProductStatus) },
  },
  product_type: {
    query: {
      product_type: Type.Optional(
        exactText('Only products of this product type (Shopify "Type"; exact match)'),
      ),
    },
    applied: { product_type: Nullable(Type.String()) },
  },
  tag: {
    query: {
      tag: Type.Optional(
        exactText('Only products carrying this tag (exact, case-sensitive match)'),
      ),
    },
    applied: { tag: Nullable(Type.String()) },
  },
  incomplete: {
    query: {
      incomplete: Type.Boolean({
        default: false,
        description:
          'true: only products assigned a category that has subcategories but none of those subcategories (filed too coarsely: the work left is choosing the subcategory)',
      }),
    },
    applied: { incomplete: Type.Boolean() },
  },
} as const satisfies Record<string, ProductFilterContract>;

export type ProductFilterName = keyof typeof PRODUCT_FILTERS;
export const PRODUCT_FILTER_NAMES = Object.keys(PRODUCT_FILTERS) as ProductFilterName[];

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;
type Merged<Part extends 'query' | 'applied'> = UnionToIntersection<
  (typeof PRODUCT_FILTERS)[ProductFilterName][Part]
>;
type Flat<T> = { [K in keyof T]: T[K] };

const merged = <Part extends 'query' | 'applied'>(part: Part) =>
  Object.assign({}, ...Object.values(PRODUCT_FILTERS).map((filter) => filter[part])) as Flat<
    Merged<Part>
  >;

/** Every filter's query fields, as one property map. */
export const ProductFilterFields = merged('query');
export type ProductFilterField = keyof typeof ProductFilterFields;
/** The query field names, in table order (the web app's URL state iterates over them). */
export const PRODUCT_FILTER_FIELDS = Object.keys(ProductFilterFields) as ProductFilterField[];

export const AppliedFilters = Type.Object(merged('applied'), { additionalProperties: false });
export type AppliedFilters = Static<typeof AppliedFilters>;
