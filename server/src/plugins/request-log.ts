/**
 * Logging: pino JSON lines. One line per request when it is answered — request id, method,
 * route pattern, URL path, status, duration, client address — at `warn` with `slow: true` when
 * it took longer than SLOW_REQUEST_MS. Failures (5xx) are logged by the error handler with
 * their stack and request id. Credentials never reach the log: Fastify's own request logging is
 * off (it would log headers), and anything shaped like a secret is redacted.
 */
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';

/** Paths redacted wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'authorization',
  'token',
  'secret',
  'password',
  '*.token',
  '*.secret',
  '*.password',
  'err.config.headers.authorization',
];

/** Fastify's logger options: level, destination (stdout, LOG_FILE, or a test's stream). */
export function loggerOptions(
  config: Readonly<Config>,
  stream?: Writable,
): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  return {
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      ...(stream ? { stream } : config.logFile ? { file: config.logFile } : {}),
    },
    logController: new LogController({ disableRequestLogging: true }),
  };
}

async function requestLog(app: FastifyInstance) {
  const slowMs = app.config.slowRequestMs;
  app.addHook('onResponse', async (request, reply) => {
    const duration = reply.elapsedTime;
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      duration_ms: Math.round(duration * 100) / 100,
      client: request.ip,
    };
    if (duration > slowMs) request.log.warn({ ...line, slow: true }, 'slow request');
    else request.log.info(line, 'request');
  });
}

export default fp(requestLog, { name: 'request-log' });
