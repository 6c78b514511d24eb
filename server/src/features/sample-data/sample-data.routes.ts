/**
 * GET /api/sample-data (how much sample data there is: the UI's banner), DELETE /api/sample-data
 * (admin: remove it all, one change set) and the sample pictures, /sample-images/{n}.svg.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SampleDataRemovalResponse, SampleDataResponse } from '@tag-manager/contract';
import { ReadDependencies } from '../../cache/namespaces.js';
import { notFound } from '../../errors.js';
import { cachedReply } from '../../http/cached.js';
import { writeContext } from '../../http/context.js';
import { envelope } from '../../http/envelope.js';
import { sampleImageSvg } from './sample-images.js';

const tags = ['sample data'];
const IMAGE_NAME = /^([0-9]{1,3})\.svg$/;

const sampleDataRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const service = app.services.sampleData;

  app.get(
    '/api/sample-data',
    {
      schema: {
        operationId: 'getSampleData',
        tags,
        summary:
          'How many sample products and categories (the synthetic catalog seeded on first start) there are, and how many real ones',
        response: { 200: SampleDataResponse },
      },
    },
    async (request, reply) =>
      cachedReply(
        request,
        reply,
        { cache: 'sample-data', dependsOn: ReadDependencies.sampleData, params: null },
        async (stamp) => envelope(stamp, await service.counts()),
      ),
  );

  app.delete(
    '/api/sample-data',
    {
      config: { requiredRole: 'admin' as const },
      schema: {
        operationId: 'removeSampleData',
        tags,
        summary:
          'Remove every sample product, sample category and their assignments, as one change set; sample categories real data still uses are kept and become real',
        response: { 200: SampleDataRemovalResponse },
      },
    },
    async (request) => envelope(request, await service.remove(writeContext(request))),
  );

  // The sample products' pictures: generated here, so no request leaves the app.
  app.get<{ Params: { name: string } }>(
    '/sample-images/:name',
    { schema: { hide: true } },
    async (request, reply) => {
      const match = IMAGE_NAME.exec(request.params.name);
      const svg = match ? sampleImageSvg(Number(match[1])) : undefined;
      if (svg === undefined) throw notFound('sample image', request.params.name);
      return reply
        .type('image/svg+xml')
        .header('Cache-Control', 'public, max-age=86400')
        .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
        .header('X-Content-Type-Options', 'nosniff')
        .send(svg);
    },
  );
};

export default sampleDataRoutes;
