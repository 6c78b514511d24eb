import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StatsResponse } from '@tag-manager/contract';
import { ReadDependencies } from '../../cache/namespaces.js';
import { cachedRead, NOT_MODIFIED } from '../../http/cached.js';
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
    async (request, reply) => {
      const stats = await cachedRead(
        request,
        reply,
        { cache: 'stats', dependsOn: ReadDependencies.stats, params: null },
        () => app.services.stats.stats(),
      );
      if (stats === NOT_MODIFIED) return reply;
      return envelope(request, stats);
    },
  );
};

export default statsRoutes;
