import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StatsResponse } from '@tag-manager/contract';
import { ReadDependencies } from '../../cache/namespaces.js';
import { cachedReply } from '../../http/cached.js';
import { envelope } from '../../http/envelope.js';

const statsRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/api/stats',
    {
      schema: {
        operationId: 'getStats',
        tags: ['stats'],
        summary: 'Totals, categorised share, per-level counts, most-used categories',
        response: { 200: StatsResponse },
      },
    },
    async (request, reply) => {
      return cachedReply(
        request,
        reply,
        { cache: 'stats', dependsOn: ReadDependencies.stats, params: null },
        async (stamp) => envelope(stamp, await app.services.stats.stats()),
      );
    },
  );
};

export default statsRoutes;
