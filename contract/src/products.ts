import { Type, type Static } from 'typebox';
import { CategoryRef, CategoryWithPath } from './categories.js';
import { Envelope, Id, Nullable, PagedEnvelope, PageQuery } from './common.js';
import {
  AppliedFilters,
  NO_NUL_PATTERN,
  ProductFilterFields,
  ProductSortField,
  ProductStatus,
} from './product-filters.js';
import { PRODUCT_LIMITS } from './limits.js';

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
    /**
     * Plain text of the Shopify description (Body (HTML) without its markup), at most
     * PRODUCT_LIMITS.description characters; null when the product has none.
     */
    description: Nullable(
      Type.String({
        maxLength: PRODUCT_LIMITS.description,
        description: 'Plain-text description (Body (HTML) without markup), or null',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ProductDetail = Static<typeof ProductDetail>;

export const ProductListQuery = Type.Object(
  {
    ...PageQuery,
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2000,
        description:
          'Keyset paging: the `pagination.next_cursor` of the previous page. Send the same filters and sort with it (a cursor made for others is refused with 422); `offset` is ignored when a cursor is given.',
      }),
    ),
    ...ProductFilterFields,
    sort: ProductSortField,
  },
  { additionalProperties: false },
);
export type ProductListQuery = Static<typeof ProductListQuery>;

/** The filters of the product list and the CSV export (no paging). */
export const ProductFilterQuery = Type.Object(
  { ...ProductFilterFields, sort: ProductSortField },
  { additionalProperties: false },
);
export type ProductFilterQuery = Static<typeof ProductFilterQuery>;

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
    product_etag: Type.String({
      description:
        'The strong ETag GET /api/products/{product_id} answers right after this write: send it as If-Match with the next write based on this result, without reading the product again',
    }),
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
    product_etag: Type.String({
      description:
        'The strong ETag GET /api/products/{product_id} answers right after this write: send it as If-Match with the next write based on this result, without reading the product again',
    }),
  },
  { additionalProperties: false },
);
export type RemoveResult = Static<typeof RemoveResult>;

export const ProductListResponse = PagedEnvelope(Product, ProductListMetadata);
export const ProductResponse = Envelope(ProductDetail);
export const ProductCategoriesResponse = Envelope(Type.Array(CategoryWithPath));
export const AssignResponse = Envelope(AssignResult);
export const RemoveResponse = Envelope(RemoveResult);
