import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { readFileSync } from 'node:fs';
import { HealthResponse, LivenessResponse, ReadinessResponse } from '@tag-manager/contract';
import { serviceUnavailable } from '../../errors.js';
import { envelope } from '../../http/envelope.js';

const READY_TIMEOUT_MS = 2000;
const VERSION = (
  JSON.parse(readFileSync(new URL('../../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

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
    '/health',
    {
      schema: {
        tags: ['health'],
        summary: 'Version, uptime and the database connection pool',
        response: { 200: HealthResponse },
      },
    },
    async (request) => {
      const pool = app.database.poolStats();
      return envelope(request, {
        status: 'ok' as const,
        version: VERSION,
        uptime_seconds: Math.round(process.uptime()),
        database: {
          driver: app.database.driver,
          pool:
            pool === undefined
              ? null
              : {
                  size: pool.size,
                  total: pool.total,
                  idle: pool.idle,
                  waiting: pool.waiting,
                  acquired: pool.acquired,
                  acquire_wait_ms_total: Math.round(pool.acquireWaitMsTotal * 1000) / 1000,
                  acquire_wait_ms_max: Math.round(pool.acquireWaitMsMax * 1000) / 1000,
                },
        },
      });
    },
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
