import {
  ProductCategoriesResponse,
  ProductListQuery,
  ProductListResponse,
  ProductParams,
  ProductResponse,
} from '@tag-manager/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ReadDependencies } from '../../cache/namespaces.js';
import { cachedReply } from '../../http/cached.js';
import { envelope } from '../../http/envelope.js';
import { cachedProductPage } from './cached-page.js';

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
    async (request, reply) => cachedProductPage(request, reply, products, request.query),
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
    async (request, reply) => {
      const handle = request.params.product_id;
      return cachedReply(
        request,
        reply,
        { cache: 'product', dependsOn: ReadDependencies.productDetail(handle), params: handle },
        async (stamp) => envelope(stamp, await products.get(handle)),
      );
    },
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
    async (request, reply) => {
      const handle = request.params.product_id;
      return cachedReply(
        request,
        reply,
        {
          cache: 'product-categories',
          dependsOn: ReadDependencies.productDetail(handle),
          params: handle,
        },
        async (stamp) => envelope(stamp, await products.categoriesOf(handle)),
      );
    },
  );
};

export default productRoutes;
