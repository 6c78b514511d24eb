import { Type, type Static } from 'typebox';
import { Envelope, Id, Nullable } from './common.js';
import { Job } from './jobs.js';
import { ProductFilterFields } from './product-filters.js';
import { CategoryIdList, ProductHandle } from './products.js';

export const DEFAULT_BULK_MAX_PRODUCTS = 10_000;

/**
 * The products a bulk request names: the filter fields of `GET /api/products`, defined once by
 * the filter table (contract/src/product-filters.ts), without sort or paging.
 */
export const BulkFilter = Type.Object(
  { ...ProductFilterFields },
  { additionalProperties: false, title: 'BulkFilter' },
);
export type BulkFilter = Static<typeof BulkFilter>;

/**
 * The bulk request; the product limit is a server setting, so the schema is built from it.
 * Exactly one of `product_ids` (at most BULK_MAX_PRODUCTS) and `filter` (any size) names the
 * products. A filter's match is fixed when the write executes. Up to BULK_MAX_PRODUCTS matches
 * are written at once (200); more become a job (202 with the job).
 */
export function bulkRequestSchema(maxProducts: number = DEFAULT_BULK_MAX_PRODUCTS) {
  return Type.Object(
    {
      product_ids: Type.Optional(
        Type.Array(ProductHandle, {
          minItems: 1,
          maxItems: maxProducts,
          uniqueItems: true,
        }),
      ),
      filter: Type.Optional(BulkFilter),
      category_ids: CategoryIdList,
      dry_run: Type.Optional(
        Type.Boolean({
          description:
            'true: answer the preview (what would change) and write nothing; default false',
        }),
      ),
    },
    { additionalProperties: false },
  );
}
export const BulkRequest = bulkRequestSchema();
export type BulkRequest = Static<typeof BulkRequest>;

/** The bulk remove request: the bulk request, plus the option to remove parents left unneeded. */
export function bulkRemoveRequestSchema(maxProducts: number = DEFAULT_BULK_MAX_PRODUCTS) {
  const base = bulkRequestSchema(maxProducts);
  return Type.Object(
    {
      ...base.properties,
      remove_unneeded_parents: Type.Optional(
        Type.Boolean({
          description:
            'Default false. true: also remove the ancestors of the removed categories that no other category of the product still needs (a product whose only categories were those becomes uncategorised again)',
        }),
      ),
    },
    { additionalProperties: false },
  );
}
export const BulkRemoveRequest = bulkRemoveRequestSchema();
export type BulkRemoveRequest = Static<typeof BulkRemoveRequest>;

/** One category's share of a preview: how many products gain or lose it. */
export const BulkPreviewCategory = Type.Object(
  { category_id: Id, path: Type.String(), products: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);

/** One product of the preview's sample: its category paths before and after. */
export const BulkPreviewSample = Type.Object(
  {
    product_id: Type.String(),
    product_name: Type.String(),
    before: Type.Array(Type.String()),
    after: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);

/** What a bulk write would do (`dry_run: true`), computed as the write itself would. */
export const BulkPreview = Type.Object(
  {
    dry_run: Type.Literal(true),
    matched: Type.Integer({ minimum: 0, description: 'Products the request names' }),
    will_change: Type.Integer({
      minimum: 0,
      description: 'Products that would gain or lose a row',
    }),
    unchanged: Type.Integer({
      minimum: 0,
      description: 'Products already as asked (assign: have every category; remove: have none)',
    }),
    categories: Type.Array(BulkPreviewCategory, {
      description: 'Per category asked: products that would gain (assign) or lose (remove) it',
    }),
    ancestors_added: Type.Array(BulkPreviewCategory),
    descendants_removed: Type.Array(BulkPreviewCategory),
    parents_removed: Type.Array(BulkPreviewCategory, {
      description: 'remove_unneeded_parents: ancestors removed because nothing needs them',
    }),
    parents_kept: Type.Array(BulkPreviewCategory, {
      description: 'Ancestors of removed categories that stay assigned (remove without the option)',
    }),
    become_categorized: Type.Integer({ minimum: 0 }),
    become_uncategorized: Type.Integer({ minimum: 0 }),
    runs_as_job: Type.Boolean({
      description: 'The real run would be a job (matched > BULK_MAX_PRODUCTS)',
    }),
    sample: Type.Array(BulkPreviewSample, { maxItems: 10 }),
  },
  { additionalProperties: false, title: 'BulkPreview' },
);
export type BulkPreview = Static<typeof BulkPreview>;

export const BulkPreviewResponse = Envelope(BulkPreview);
/** A bulk write too large to answer at once: the job that runs it (202, Location: the job). */
export const BulkJobAcceptedResponse = Envelope(
  Type.Object({ job: Job }, { additionalProperties: false }),
);

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
    /** remove_unneeded_parents only: the ancestors removed because nothing left needs them. */
    parents_removed: Type.Optional(Type.Array(Id)),
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
        /** remove_unneeded_parents only. */
        total_parents_removed: Type.Optional(Type.Integer({ minimum: 0 })),
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
