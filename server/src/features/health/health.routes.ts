import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { LivenessResponse, ReadinessResponse } from '@tag-manager/contract';
import { serviceUnavailable } from '../../errors.js';
import { envelope } from '../../http/envelope.js';

const READY_TIMEOUT_MS = 2000;

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['health'],
        summary: 'The process is up',
        response: { 200: LivenessResponse },
      },
    },
    async (request) => envelope(request, { status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['health'],
        summary: 'The database answers (503 naming the failing dependency otherwise)',
        response: { 200: ReadinessResponse },
      },
    },
    async (request) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          app.database.ping(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), READY_TIMEOUT_MS);
          }),
        ]);
      } catch {
        throw serviceUnavailable('database', 'The database is not reachable');
      } finally {
        clearTimeout(timer);
      }
      return envelope(request, { status: 'ok' as const, checks: { database: 'ok' } });
    },
  );
};

export default healthRoutes;
