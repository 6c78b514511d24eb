/**
 * Category suggestions for a product (issue 12), learned from the catalog's own assignments.
 * GET /api/products/{product_id}/suggestions answers with `ProductSuggestionsResponse`; the work
 * queue and the bulk suggestions use the same `ProductSuggestions` per product.
 */
import { Type, type Static } from 'typebox';
import { CategoryWithPath } from './categories.js';
import { Envelope, Nullable } from './common.js';
import { NO_NUL_PATTERN, ProductFilterFields } from './product-filters.js';
import { ProductHandle } from './products.js';

export const SUGGESTIONS_DEFAULT_LIMIT = 5;
export const SUGGESTIONS_MAX_LIMIT = 20;

/** Why a category is suggested: one signal and its plain-language explanation. */
export const SuggestionReason = Type.Object(
  {
    signal: Type.Union(
      [
        Type.Literal('name'),
        Type.Literal('type'),
        Type.Literal('vendor'),
        Type.Literal('tags'),
        Type.Literal('words'),
      ],
      {
        description: 'The signal: similar names, Shopify Type, vendor, tags, or handle/name words',
      },
    ),
    text: Type.String({
      description: 'For people, e.g. "9 of 12 products named like this are in it"',
    }),
    weight: Type.Number({
      minimum: 0,
      maximum: 1,
      description: "This signal's share of the score",
    }),
  },
  { additionalProperties: false },
);
export type SuggestionReason = Static<typeof SuggestionReason>;

export const Suggestion = Type.Object(
  {
    category: CategoryWithPath,
    score: Type.Number({
      minimum: 0,
      maximum: 1,
      description: 'How sure the suggestion is; comparable across products',
    }),
    reasons: Type.Array(SuggestionReason, { description: 'Strongest first' }),
  },
  { additionalProperties: false },
);
export type Suggestion = Static<typeof Suggestion>;

export const ProductSuggestions = Type.Object(
  {
    product_id: Type.String({ description: "The product's handle" }),
    suggestions: Type.Array(Suggestion, {
      description:
        'Best first; categories the product already has are left out; empty when nothing is known',
    }),
  },
  { additionalProperties: false },
);
export type ProductSuggestions = Static<typeof ProductSuggestions>;

export const SuggestionsQuery = Type.Object(
  {
    limit: Type.Integer({
      minimum: 1,
      maximum: SUGGESTIONS_MAX_LIMIT,
      default: SUGGESTIONS_DEFAULT_LIMIT,
      description: 'How many suggestions at most',
    }),
  },
  { additionalProperties: false },
);
export type SuggestionsQuery = Static<typeof SuggestionsQuery>;

export const ProductSuggestionsResponse = Envelope(ProductSuggestions);

/** Products per POST /api/suggestions or POST /api/suggestions/accept request. */
export const SUGGESTIONS_BULK_MAX_PRODUCTS = 200;
export const SUGGESTIONS_BULK_MAX_LIMIT = 9;

const SuggestionHandles = Type.Array(ProductHandle, {
  minItems: 1,
  maxItems: SUGGESTIONS_BULK_MAX_PRODUCTS,
  uniqueItems: true,
  description: `Product handles (at most ${SUGGESTIONS_BULK_MAX_PRODUCTS}); give these or a filter, not both (neither: every product)`,
});

const SuggestionFilter = Type.Object(ProductFilterFields, {
  additionalProperties: false,
  description:
    'The product list filters (the same fields as GET /api/products); give this or product_ids, not both (neither: every product)',
});

export const BulkSuggestionsBody = Type.Object(
  {
    product_ids: Type.Optional(SuggestionHandles),
    filter: Type.Optional(SuggestionFilter),
    after: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        pattern: NO_NUL_PATTERN,
        description:
          "With a filter: continue after this handle (the previous answer's next_after); products are taken in handle order",
      }),
    ),
    limit: Type.Integer({
      minimum: 1,
      maximum: SUGGESTIONS_BULK_MAX_LIMIT,
      default: 3,
      description: 'Suggestions per product',
    }),
  },
  { additionalProperties: false },
);
export type BulkSuggestionsBody = Static<typeof BulkSuggestionsBody>;

export const BulkSuggestions = Type.Object(
  {
    items: Type.Array(ProductSuggestions, {
      description: 'In the order asked (product_ids) or in handle order (filter)',
    }),
    missing: Type.Array(Type.String(), { description: 'Asked handles that are not products' }),
    next_after: Nullable(
      Type.String({
        description: `With a filter: the handle to pass as "after" for the next ${SUGGESTIONS_BULK_MAX_PRODUCTS} products; null at the end`,
      }),
    ),
  },
  { additionalProperties: false },
);
export type BulkSuggestions = Static<typeof BulkSuggestions>;
export const BulkSuggestionsResponse = Envelope(BulkSuggestions);

export const AcceptSuggestionsBody = Type.Object(
  {
    product_ids: Type.Optional(SuggestionHandles),
    filter: Type.Optional(SuggestionFilter),
    min_score: Type.Number({
      minimum: 0,
      maximum: 1,
      description: "Accept a product's top suggestion only when its score is at least this",
    }),
    dry_run: Type.Boolean({
      default: true,
      description: 'true: only preview what would be assigned; false: assign it (one change set)',
    }),
  },
  { additionalProperties: false },
);
export type AcceptSuggestionsBody = Static<typeof AcceptSuggestionsBody>;

export const AcceptedSuggestion = Type.Object(
  {
    product_id: Type.String(),
    category: CategoryWithPath,
    score: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { additionalProperties: false },
);
export type AcceptedSuggestion = Static<typeof AcceptedSuggestion>;

export const AcceptSuggestions = Type.Object(
  {
    dry_run: Type.Boolean(),
    products_considered: Type.Integer({
      description: `Products looked at (at most ${SUGGESTIONS_BULK_MAX_PRODUCTS}: with a filter, the first ones in handle order that have no category or a subcategory missing)`,
    }),
    accepted_count: Type.Integer({
      description:
        'Products whose suggestion reaches min_score (assigned unless dry_run): the top one of an uncategorised product, the best one below the open branch of a product whose subcategory is missing',
    }),
    below_score: Type.Integer({ description: 'Products whose top suggestion is below min_score' }),
    without_suggestion: Type.Integer({ description: 'Products with no suggestion at all' }),
    skipped_categorised: Type.Array(Type.String(), {
      description:
        'Products with nothing to fill: categorised with no subcategory missing (or filled meanwhile); nothing is changed for them',
    }),
    missing: Type.Array(Type.String(), { description: 'Asked handles that are not products' }),
    accepted: Type.Array(AcceptedSuggestion, {
      description: 'Each accepted product and the category it gets (with dry_run: would get)',
    }),
    has_more: Type.Boolean({
      description: 'With a filter: more products with something to fill match than were looked at',
    }),
  },
  { additionalProperties: false },
);
export type AcceptSuggestions = Static<typeof AcceptSuggestions>;
export const AcceptSuggestionsResponse = Envelope(AcceptSuggestions);
