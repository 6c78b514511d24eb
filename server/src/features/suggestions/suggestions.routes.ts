/**
 * Category suggestions: one product's (GET), many products' (POST), and accepting the top
 * suggestion of many products at once (POST …/accept, an editor's bulk assign). Computed at
 * request time and not cached: an assignment changes the next answer.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AcceptSuggestionsBody,
  AcceptSuggestionsResponse,
  BulkSuggestionsBody,
  BulkSuggestionsResponse,
  ProductParams,
  ProductSuggestionsResponse,
  SuggestionsQuery,
} from '@tag-manager/contract';
import { writeContext } from '../../http/context.js';
import { envelope } from '../../http/envelope.js';

const suggestionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const suggestions = app.services.suggestions;

  app.get(
    '/api/products/:product_id/suggestions',
    {
      schema: {
        operationId: 'getProductSuggestions',
        tags: ['suggestions'],
        summary:
          "Suggested categories for a product, learned from the catalog's assignments (similar names, Type, vendor, tags, name words)",
        params: ProductParams,
        querystring: SuggestionsQuery,
        response: { 200: ProductSuggestionsResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        await suggestions.forProduct(request.params.product_id, request.query.limit),
      ),
  );

  app.post(
    '/api/suggestions',
    {
      config: { requiredRole: 'viewer' as const },
      schema: {
        operationId: 'bulkSuggestions',
        tags: ['suggestions'],
        summary:
          'Suggested categories for many products: a list of handles or a filter (200 products per request; continue with next_after)',
        body: BulkSuggestionsBody,
        response: { 200: BulkSuggestionsResponse },
      },
    },
    async (request) => envelope(request, await suggestions.bulk(request.body)),
  );

  app.post(
    '/api/suggestions/accept',
    {
      schema: {
        operationId: 'acceptSuggestions',
        tags: ['suggestions'],
        summary:
          "Fill each product's gap with its suggestion when the score is at least min_score: the top suggestion of an uncategorised product, the best one below the open branch of a product whose subcategory is missing (dry_run previews; otherwise one bulk.assign change set)",
        body: AcceptSuggestionsBody,
        response: { 200: AcceptSuggestionsResponse },
      },
    },
    async (request) =>
      envelope(request, await suggestions.accept(request.body, writeContext(request))),
  );
};

export default suggestionRoutes;
