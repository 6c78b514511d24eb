/**
 * The distinct values of a product field with how many products carry each: what the web app's
 * vendor and product type filters offer (`GET /api/vendors`, `GET /api/product-types`).
 */
import { Type, type Static } from 'typebox';
import { Envelope } from './common.js';
import { NO_NUL_PATTERN } from './product-filters.js';

export const CATALOG_VALUES_MAX_LIMIT = 1000;

export const CatalogValuesQuery = Type.Object(
  {
    search: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: NO_NUL_PATTERN,
        description: 'Only values starting with this text (case-insensitive; % _ \\ are literal)',
      }),
    ),
    limit: Type.Integer({
      minimum: 1,
      maximum: CATALOG_VALUES_MAX_LIMIT,
      default: 100,
      description: 'At most this many values, the most used first',
    }),
  },
  { additionalProperties: false },
);
export type CatalogValuesQuery = Static<typeof CatalogValuesQuery>;

export const CatalogValue = Type.Object(
  {
    value: Type.String(),
    product_count: Type.Integer({ minimum: 1, description: 'Products with this value' }),
  },
  { additionalProperties: false },
);
export type CatalogValue = Static<typeof CatalogValue>;

/** Sorted by product_count descending, then by value. */
export const CatalogValuesResponse = Envelope(Type.Array(CatalogValue));
