import {
  ProductCategoriesResponse,
  ProductListQuery,
  ProductListResponse,
  ProductParams,
  ProductResponse,
} from '@tag-manager/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { envelope, pagedEnvelope } from '../../http/envelope.js';

const tags = ['products'];

const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const products = app.services.products;

  app.get(
    '/api/products',
    {
      schema: {
        tags,
        summary: 'Products with their categories: filters, sorting, offset or cursor paging',
        querystring: ProductListQuery,
        response: { 200: ProductListResponse },
      },
    },
    async (request) => {
      const page = await products.list(request.query);
      return pagedEnvelope(request, page.products, page.metadata, page.pagination);
    },
  );

  app.get(
    '/api/products/:product_id',
    {
      schema: {
        tags,
        summary: 'One product with its categories (as paths)',
        params: ProductParams,
        response: { 200: ProductResponse },
      },
    },
    async (request) => envelope(request, await products.get(request.params.product_id)),
  );

  app.get(
    '/api/products/:product_id/categories',
    {
      schema: {
        tags,
        summary: "A product's categories with full paths",
        params: ProductParams,
        response: { 200: ProductCategoriesResponse },
      },
    },
    async (request) => envelope(request, await products.categoriesOf(request.params.product_id)),
  );
};

export default productRoutes;
