import { Type, type Static } from 'typebox';
import { Envelope, Id, Nullable } from './common.js';
import { CategoryIdList, ProductHandle } from './products.js';

export const DEFAULT_BULK_MAX_PRODUCTS = 10_000;

/** The bulk request; the product limit is a server setting, so the schema is built from it. */
export function bulkRequestSchema(maxProducts: number = DEFAULT_BULK_MAX_PRODUCTS) {
  return Type.Object(
    {
      product_ids: Type.Array(ProductHandle, {
        minItems: 1,
        maxItems: maxProducts,
        uniqueItems: true,
      }),
      category_ids: CategoryIdList,
    },
    { additionalProperties: false },
  );
}
export const BulkRequest = bulkRequestSchema();
export type BulkRequest = Static<typeof BulkRequest>;

export const BulkItemError = Type.Object(
  { category_id: Nullable(Id), reason: Type.String() },
  { additionalProperties: false },
);
export type BulkItemError = Static<typeof BulkItemError>;

export const BulkAssignItem = Type.Object(
  {
    product_id: Type.String(),
    assigned: Type.Array(Id),
    ancestors_added: Type.Array(Id),
    skipped: Type.Array(Id),
    errors: Type.Array(BulkItemError),
  },
  { additionalProperties: false },
);
export type BulkAssignItem = Static<typeof BulkAssignItem>;

export const BulkRemoveItem = Type.Object(
  {
    product_id: Type.String(),
    removed: Type.Array(Id),
    descendants_removed: Type.Array(Id),
    skipped: Type.Array(Id),
    errors: Type.Array(BulkItemError),
  },
  { additionalProperties: false },
);
export type BulkRemoveItem = Static<typeof BulkRemoveItem>;

export const BulkAssignResult = Type.Object(
  {
    results: Type.Array(BulkAssignItem),
    summary: Type.Object(
      {
        products_processed: Type.Integer({ minimum: 0 }),
        total_assigned: Type.Integer({ minimum: 0 }),
        total_ancestors_added: Type.Integer({ minimum: 0 }),
        total_skipped: Type.Integer({ minimum: 0 }),
        total_errors: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type BulkAssignResult = Static<typeof BulkAssignResult>;

export const BulkRemoveResult = Type.Object(
  {
    results: Type.Array(BulkRemoveItem),
    summary: Type.Object(
      {
        products_processed: Type.Integer({ minimum: 0 }),
        total_removed: Type.Integer({ minimum: 0 }),
        total_descendants_removed: Type.Integer({ minimum: 0 }),
        total_skipped: Type.Integer({ minimum: 0 }),
        total_errors: Type.Integer({ minimum: 0 }),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type BulkRemoveResult = Static<typeof BulkRemoveResult>;

export const BulkAssignResponse = Envelope(BulkAssignResult);
export const BulkRemoveResponse = Envelope(BulkRemoveResult);
