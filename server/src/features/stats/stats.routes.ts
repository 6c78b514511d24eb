import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StatsResponse } from '@tag-manager/contract';
import { envelope } from '../../http/envelope.js';

const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Totals, categorised share, per-level counts, most-used categories',
        response: { 200: StatsResponse },
      },
    },
    async (request) => envelope(request, await app.services.stats.stats()),
  );
};

export default statsRoutes;
