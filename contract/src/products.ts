import { Type, type Static } from 'typebox';
import { CategoryRef, CategoryWithPath } from './categories.js';
import { Envelope, Id, Nullable, PagedEnvelope, PageQuery } from './common.js';

export const PRODUCT_STATUSES = ['active', 'draft', 'archived'] as const;
export const ProductStatus = Type.Union([
  Type.Literal('active'),
  Type.Literal('draft'),
  Type.Literal('archived'),
]);
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export const PRODUCT_SORTS = [
  'product_name',
  '-product_name',
  'last_modified',
  '-last_modified',
  'product_id',
  '-product_id',
] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

/**
 * Text that reaches a PostgreSQL `text` value, which cannot hold U+0000: refused by validation
 * (naming the field) rather than by the database (a 422 that names nothing).
 */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/** A product handle: Shopify's `Handle`, case-sensitive, any Unicode, URL-encoded in paths. */
export const ProductHandle = Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: NO_NUL_PATTERN,
  description: "The product's Shopify handle (case-sensitive; URL-encode it in a path)",
});

export const MAX_CATEGORIES_PER_REQUEST = 50;
export const CategoryIdList = Type.Array(Id, {
  minItems: 1,
  maxItems: MAX_CATEGORIES_PER_REQUEST,
  uniqueItems: true,
});

export const Product = Type.Object(
  {
    product_id: Type.String(),
    product_name: Type.String(),
    vendor: Nullable(Type.String()),
    product_type: Nullable(Type.String()),
    status: ProductStatus,
    sku: Nullable(Type.String()),
    image_url: Nullable(Type.String()),
    tags: Type.Array(Type.String()),
    has_allocations: Type.Boolean(),
    category_count: Type.Integer({ minimum: 0 }),
    categories: Type.Array(CategoryRef),
    last_modified: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type Product = Static<typeof Product>;

export const ProductDetail = Type.Object(
  {
    ...Product.properties,
    categories: Type.Array(CategoryWithPath),
    created_at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);
export type ProductDetail = Static<typeof ProductDetail>;

export const ProductListQuery = Type.Object(
  {
    ...PageQuery,
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })),
    hide_allocated: Type.Boolean({ default: false }),
    search: Type.Optional(
      Type.String({
        maxLength: 200,
        pattern: NO_NUL_PATTERN,
        description:
          'Case-insensitive match on name, handle and SKU (surrounding spaces ignored; % _ \\ are literal). With three letters or digits in a row: contains the term. With fewer: the whole name, handle or SKU equals the term. Without any letter or digit: 422 (no index can serve it).',
      }),
    ),
    category_id: Type.Optional(Id),
    include_descendants: Type.Boolean({ default: true }),
    vendor: Type.Optional(Type.String({ minLength: 1, maxLength: 255, pattern: NO_NUL_PATTERN })),
    status: Type.Optional(ProductStatus),
    sort: Type.Union(
      [
        Type.Literal('product_name'),
        Type.Literal('-product_name'),
        Type.Literal('last_modified'),
        Type.Literal('-last_modified'),
        Type.Literal('product_id'),
        Type.Literal('-product_id'),
      ],
      { default: 'product_name' },
    ),
  },
  { additionalProperties: false },
);
export type ProductListQuery = Static<typeof ProductListQuery>;

/** The filters of the product list and the CSV export (no paging). */
export const ProductFilterQuery = Type.Object(
  {
    hide_allocated: ProductListQuery.properties.hide_allocated,
    search: ProductListQuery.properties.search,
    category_id: ProductListQuery.properties.category_id,
    include_descendants: ProductListQuery.properties.include_descendants,
    vendor: ProductListQuery.properties.vendor,
    status: ProductListQuery.properties.status,
    sort: ProductListQuery.properties.sort,
  },
  { additionalProperties: false },
);
export type ProductFilterQuery = Static<typeof ProductFilterQuery>;

export const AppliedFilters = Type.Object(
  {
    hide_allocated: Type.Boolean(),
    search: Nullable(Type.String()),
    category_id: Nullable(Id),
    include_descendants: Type.Boolean(),
    vendor: Nullable(Type.String()),
    status: Nullable(ProductStatus),
  },
  { additionalProperties: false },
);
export type AppliedFilters = Static<typeof AppliedFilters>;

export const ProductListMetadata = Type.Object(
  {
    total_products: Type.Integer({ minimum: 0 }),
    filtered_products: Type.Integer({ minimum: 0 }),
    count_estimated: Type.Boolean({
      description:
        'true when filtered_products (and pagination.total_items / total_pages) is an estimate: a text search with many matches in a large catalog is counted from a sample, rounded to 3 significant digits',
    }),
    filters: AppliedFilters,
    sort: Type.String(),
  },
  { additionalProperties: false },
);
export type ProductListMetadata = Static<typeof ProductListMetadata>;

export const ProductParams = Type.Object(
  { product_id: ProductHandle },
  { additionalProperties: false },
);
export const ProductCategoryParams = Type.Object(
  {
    product_id: ProductHandle,
    category_id: Type.Integer({ ...Id, description: 'The category to remove' }),
  },
  { additionalProperties: false },
);

export const AssignCategoriesBody = Type.Object(
  { category_ids: CategoryIdList },
  { additionalProperties: false },
);
export type AssignCategoriesBody = Static<typeof AssignCategoriesBody>;

export const AssignResult = Type.Object(
  {
    product_id: Type.String(),
    added: Type.Array(CategoryRef),
    ancestors_added: Type.Array(CategoryRef),
    already_assigned: Type.Array(CategoryRef),
    categories: Type.Array(CategoryWithPath),
  },
  { additionalProperties: false },
);
export type AssignResult = Static<typeof AssignResult>;

export const RemoveResult = Type.Object(
  {
    product_id: Type.String(),
    removed: Type.Array(CategoryRef),
    descendants_removed: Type.Array(CategoryRef),
    categories: Type.Array(CategoryWithPath),
  },
  { additionalProperties: false },
);
export type RemoveResult = Static<typeof RemoveResult>;

export const ProductListResponse = PagedEnvelope(Product, ProductListMetadata);
export const ProductResponse = Envelope(ProductDetail);
export const ProductCategoriesResponse = Envelope(Type.Array(CategoryWithPath));
export const AssignResponse = Envelope(AssignResult);
export const RemoveResponse = Envelope(RemoveResult);
