import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { CatalogValuesQuery, CatalogValuesResponse } from '@tag-manager/contract';
import { ReadDependencies } from '../../cache/namespaces.js';
import { cachedReply } from '../../http/cached.js';
import { envelope } from '../../http/envelope.js';
import type { ValueField } from './catalog-values.repository.js';

const ROUTES: { url: string; field: ValueField; operationId: string; summary: string }[] = [
  {
    url: '/api/vendors',
    field: 'vendor',
    operationId: 'listVendors',
    summary: 'Vendors with their product counts, the most used first (the vendor filter choices)',
  },
  {
    url: '/api/product-types',
    field: 'product_type',
    operationId: 'listProductTypes',
    summary:
      'Product types (Shopify "Type") with their product counts, the most used first (the product type filter choices)',
  },
];

const catalogValueRoutes: FastifyPluginAsyncTypebox = async (app) => {
  for (const { url, field, operationId, summary } of ROUTES) {
    app.get(
      url,
      {
        schema: {
          tags: ['products'],
          operationId,
          summary,
          querystring: CatalogValuesQuery,
          response: { 200: CatalogValuesResponse },
        },
      },
      async (request, reply) =>
        cachedReply(
          request,
          reply,
          {
            cache: `values-${field}`,
            dependsOn: ReadDependencies.catalogValues,
            params: request.query,
          },
          async (stamp) =>
            envelope(stamp, await app.services.catalogValues.values(field, request.query)),
        ),
    );
  }
};

export default catalogValueRoutes;
