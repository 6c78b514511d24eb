import {
  AssignCategoriesBody,
  AssignResponse,
  BulkAssignResponse,
  BulkRemoveResponse,
  bulkRequestSchema,
  ProductCategoryParams,
  ProductParams,
  RemoveResponse,
} from '@tag-manager/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { writeContext } from '../../http/context.js';
import { envelope } from '../../http/envelope.js';
import { IfMatchHeaders, preconditionOf } from '../../http/preconditions.js';
import { invalidField } from '../../errors.js';

/** Until bulk by filter lands (issue 13): the products must be named. */
function namedProducts(ids: string[] | undefined): string[] {
  if (!ids) throw invalidField('product_ids', 'is required');
  return ids;
}

const assignmentRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const assignments = app.services.assignments;
  const products = app.services.products;
  /** If-Match on a product's assignments compares with GET /api/products/{product_id}. */
  const productPrecondition = (request: FastifyRequest, handle: string) =>
    preconditionOf(request, 'product', handle, (transaction) => products.get(handle, transaction));
  const BulkRequest = bulkRequestSchema(app.config.bulkMaxProducts);
  // 10,000 handles of up to 255 characters do not fit the default body limit.
  const bulkBodyLimit = Math.max(
    app.config.bodyLimitBytes,
    app.config.bulkMaxProducts * 300 + 4096,
  );

  app.post(
    '/api/products/:product_id/categories',
    {
      schema: {
        operationId: 'assignCategories',
        tags: ['assignments'],
        summary: 'Assign categories to a product (their missing ancestors come with them)',
        params: ProductParams,
        headers: IfMatchHeaders,
        body: AssignCategoriesBody,
        response: { 201: AssignResponse },
      },
    },
    async (request, reply) => {
      const handle = request.params.product_id;
      const result = await assignments.assign(
        handle,
        request.body.category_ids,
        writeContext(request),
        productPrecondition(request, handle),
      );
      return reply.status(201).send(envelope(request, result));
    },
  );

  app.delete(
    '/api/products/:product_id/categories/:category_id',
    {
      schema: {
        operationId: 'removeCategory',
        tags: ['assignments'],
        summary: 'Remove a category from a product (its assigned descendants go with it)',
        params: ProductCategoryParams,
        headers: IfMatchHeaders,
        response: { 200: RemoveResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        await assignments.remove(
          request.params.product_id,
          request.params.category_id,
          writeContext(request),
          productPrecondition(request, request.params.product_id),
        ),
      ),
  );

  app.post(
    '/api/bulk/assign',
    {
      bodyLimit: bulkBodyLimit,
      schema: {
        operationId: 'bulkAssignCategories',
        tags: ['bulk'],
        summary: 'Assign categories to many products in one transaction, with per-product results',
        body: BulkRequest,
        response: { 200: BulkAssignResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        await assignments.bulkAssign(
          namedProducts(request.body.product_ids),
          request.body.category_ids,
          writeContext(request),
        ),
      ),
  );

  app.post(
    '/api/bulk/remove',
    {
      bodyLimit: bulkBodyLimit,
      schema: {
        operationId: 'bulkRemoveCategories',
        tags: ['bulk'],
        summary:
          'Remove categories from many products in one transaction, with per-product results',
        body: BulkRequest,
        response: { 200: BulkRemoveResponse },
      },
    },
    async (request) =>
      envelope(
        request,
        await assignments.bulkRemove(
          namedProducts(request.body.product_ids),
          request.body.category_ids,
          writeContext(request),
        ),
      ),
  );
};

export default assignmentRoutes;
