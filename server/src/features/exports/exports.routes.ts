import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ProductFilterQuery } from '@tag-manager/contract';

const exportRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/export/csv',
    {
      schema: {
        operationId: 'exportProductsCsv',
        tags: ['export'],
        summary:
          'Stream product_id,product_name,categories as CSV (filters as in the product list)',
        querystring: ProductFilterQuery,
        response: {
          200: {
            description: 'RFC 4180 CSV; category paths joined by "; "',
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const csv = app.services.exports.csv(request.query, {
        onRows: (rows) => app.metrics.exportRows.inc(rows),
      });
      return (
        reply
          .header('Content-Type', 'text/csv; charset=utf-8')
          .header('Content-Disposition', 'attachment; filename=product_categories.csv')
          // The typed reply expects the JSON schema's type; a stream is what Fastify sends as-is.
          .send(csv as unknown as string)
      );
    },
  );
};

export default exportRoutes;
