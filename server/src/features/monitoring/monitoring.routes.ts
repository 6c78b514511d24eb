/**
 * GET /api/metrics/history: this instance's short metrics history (see history.ts), for the
 * Monitoring page to fill its charts on opening. A read like the others: a viewer token or better
 * in token mode, the same role the page needs for GET /metrics.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { MetricsHistoryResponse } from '@tag-manager/contract';
import fp from 'fastify-plugin';
import { processRegistry } from '../../plugins/metrics.js';
import { envelope } from '../../http/envelope.js';
import { MetricsHistoryBuffer, readSamples } from './history.js';

declare module 'fastify' {
  interface FastifyInstance {
    metricsHistory: MetricsHistoryBuffer;
  }
}

const monitoringRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const history = new MetricsHistoryBuffer(() =>
    readSamples([app.metrics.registry, processRegistry()]),
  );
  app.decorate('metricsHistory', history);
  let lastReported = 0;
  // Ready once the first sample is in: the history is never empty while the app answers.
  app.addHook('onReady', async () => {
    await history.start((error) => {
      if (Date.now() - lastReported < 60_000) return;
      lastReported = Date.now();
      app.log.warn({ err: error }, 'metrics history: a sample could not be taken');
    });
  });
  app.addHook('onClose', async () => history.stop());

  app.get(
    '/api/metrics/history',
    {
      schema: {
        operationId: 'getMetricsHistory',
        tags: ['monitoring'],
        summary: "This instance's metrics of the last 10 minutes, sampled every 5 s",
        description:
          'What the Monitoring charts are computed from (request counts per status, latency ' +
          'buckets, cache hits and misses, process start time), summed over routes and caches; ' +
          'requests to /metrics and /health are left out. Each instance answers with its own ' +
          'history, which starts when the instance starts.',
        response: { 200: MetricsHistoryResponse },
      },
    },
    async (request, reply) => {
      reply.header('Cache-Control', 'no-store');
      return envelope(request, history.snapshot());
    },
  );
};

// fastify-plugin: `app.metricsHistory` is visible to the whole app (and its tests).
export default fp(monitoringRoutes, { name: 'monitoring' });
