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
import { strongEtag } from '../../http/preconditions.js';
import { cachedProductPage } from './cached-page.js';

const tags = ['products'];

const productRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const products = app.services.products;

  app.get(
    '/api/products',
    {
      schema: {
        operationId: 'listProducts',
        tags,
        summary: 'Products with their categories: filters, sorting, offset or cursor paging',
        description:
          'Two ways to page. Offset paging: `limit` and `offset` (pages can shift while the catalog changes). Cursor paging: read `pagination.next_cursor` and send it back as `cursor` with the same filters and sort; the next page then starts right after the last product seen, costs the same at any depth and never repeats or skips a product. `next_cursor` is null on the last page. `metadata.filtered_products` is the number of matches (an estimate when `count_estimated` is true).',
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
        operationId: 'getProduct',
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
        { strongEtag },
      );
    },
  );

  app.get(
    '/api/products/:product_id/categories',
    {
      schema: {
        operationId: 'listProductCategories',
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
