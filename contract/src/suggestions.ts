/**
 * Category suggestions for a product (issue 12), learned from the catalog's own assignments.
 * GET /api/products/{product_id}/suggestions answers with `ProductSuggestionsResponse`; the work
 * queue and the bulk suggestions use the same `ProductSuggestions` per product.
 */
import { Type, type Static } from 'typebox';
import { CategoryWithPath } from './categories.js';
import { Envelope } from './common.js';

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
