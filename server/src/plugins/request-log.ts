/**
 * Logging: pino JSON lines. One line per request when it is answered — request id, method,
 * route pattern, URL path, status, duration, client address — at `warn` with `slow: true` when
 * it took longer than SLOW_REQUEST_MS. Failures (5xx) are logged by the error handler with
 * their stack and request id. Credentials never reach the log: Fastify's own request logging is
 * off (it would log headers), and anything shaped like a secret is redacted. Errors are logged
 * through `serializeError`: bounded, and without query parameters (user data).
 */
import { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import fp from 'fastify-plugin';
import type { Writable } from 'node:stream';
import pretty from 'pino-pretty';
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

/** Longest message, stack or SQL text an error keeps in the log. */
export const MAX_LOGGED_TEXT = 2048;
/** How deep the chain of causes (and of AggregateError members) is followed. */
const MAX_CAUSE_DEPTH = 3;
const MAX_AGGREGATED = 3;
/** Fields of a PostgreSQL (pg / PGlite) error worth keeping; none holds query parameters. */
const DATABASE_FIELDS = [
  'severity',
  'detail',
  'hint',
  'schema',
  'table',
  'column',
  'constraint',
  'routine',
] as const;

const clip = (text: string, limit = MAX_LOGGED_TEXT) =>
  text.length > limit ? `${text.slice(0, limit)}… [${text.length - limit} more characters]` : text;

export interface LoggedError {
  [field: string]: unknown;
  type: string;
  message: string;
  stack: string;
}

/**
 * The log's view of an error: type, message, stack, SQLSTATE code and a few database fields,
 * each at most 2 KB, and the chain of causes to depth 3 — never query parameters. Drizzle's
 * DrizzleQueryError carries the parameters (`params`) and repeats them in its message and
 * stack: a failed 2,000-row import batch once wrote a 61 MB line, the whole file three times.
 * The parameters are user data, so only their count is logged.
 */
export function serializeError(error: unknown, depth = 0): LoggedError {
  if (error === null || typeof error !== 'object') {
    return { type: typeof error, message: clip(String(error)), stack: '' };
  }
  const source = error as Record<string, unknown> & { stack?: unknown; message?: unknown };
  // The class name, as pino's own serializer reports it (DrizzleQueryError's name is "Error").
  const constructorName = (source.constructor as { name?: unknown } | undefined)?.name;
  const type =
    typeof constructorName === 'string' && constructorName !== 'Object'
      ? constructorName
      : typeof source.name === 'string'
        ? source.name
        : 'Error';
  let message = typeof source.message === 'string' ? source.message : '';
  const params = Array.isArray(source.params) ? source.params : undefined;
  const cut = params ? message.indexOf('\nparams: ') : -1;
  if (cut >= 0) message = message.slice(0, cut);
  const frames =
    typeof source.stack === 'string'
      ? source.stack.split('\n').filter((line) => /^\s+at /.test(line))
      : [];
  const serialized: LoggedError = {
    type,
    message: clip(message),
    stack: clip([`${type}: ${clip(message, 200)}`, ...frames].join('\n')),
  };
  if (typeof source.code === 'string' || typeof source.code === 'number') {
    serialized.code = source.code;
  }
  if (typeof source.statusCode === 'number') serialized.statusCode = source.statusCode;
  for (const field of DATABASE_FIELDS) {
    if (typeof source[field] === 'string') serialized[field] = clip(source[field] as string, 500);
  }
  if (typeof source.query === 'string') serialized.query = clip(source.query);
  if (params) serialized.params_count = params.length;
  if (depth < MAX_CAUSE_DEPTH) {
    if (source.cause !== undefined) serialized.cause = serializeError(source.cause, depth + 1);
    if (Array.isArray(source.errors)) {
      serialized.errors = source.errors
        .slice(0, MAX_AGGREGATED)
        .map((inner) => serializeError(inner, depth + 1));
      serialized.errors_count = source.errors.length;
    }
  }
  return serialized;
}

/** Fastify's logger options: level, destination (stdout, LOG_FILE, or a test's stream). */
/**
 * Whether stdout gets readable lines rather than JSON: LOG_FORMAT=pretty, or LOG_FORMAT=auto
 * (the default) on a terminal outside production. A log file, a pipe or a container's stdout
 * (not a terminal) keeps JSON lines, which log collectors read.
 */
export function usesPrettyLogs(
  config: Pick<Config, 'logFormat' | 'logFile'>,
  terminal = process.stdout.isTTY === true,
  nodeEnv = process.env.NODE_ENV,
): boolean {
  if (config.logFile) return false;
  if (config.logFormat !== 'auto') return config.logFormat === 'pretty';
  return terminal && nodeEnv !== 'production';
}

/**
 * One readable line per log entry (pino-pretty, in this thread so it stays in order with the
 * start-up messages): `[14:02:11.532] INFO: request {"method":"GET",…}`.
 */
export function prettyStream(destination?: Writable, colorize = process.stdout.isTTY === true) {
  return pretty({
    colorize,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    sync: true,
    ...(destination ? { destination } : {}),
  });
}

export function loggerOptions(
  config: Readonly<Config>,
  stream?: Writable,
): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  const output = stream
    ? { stream }
    : config.logFile
      ? { file: config.logFile }
      : usesPrettyLogs(config)
        ? { stream: prettyStream() }
        : {};
  return {
    logger: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: (error: unknown) => serializeError(error) },
      ...output,
    },
    logController: new LogController({ disableRequestLogging: true }),
  };
}

/** pino's level numbers: `info` lines are written at `info` and below. */
const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30 };
const infoEnabled = (level: string) => (LEVELS[level] ?? Infinity) <= 30;

async function requestLog(app: FastifyInstance) {
  const slowMs = app.config.slowRequestMs;
  // A callback hook (no promise per request). Below LOG_LEVEL=info the request line is not
  // built at all (pino would drop it): only a slow request's warning is.
  app.addHook('onResponse', (request, reply, done) => {
    const duration = reply.elapsedTime;
    const stream = request.routeOptions.config?.longLived === true && reply.statusCode === 200;
    const slow = duration > slowMs && !stream;
    if (!slow && !infoEnabled(request.log.level)) return done();
    const line = {
      method: request.method,
      route: request.routeOptions.url ?? null,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      duration_ms: Math.round(duration * 100) / 100,
      client: request.ip,
    };
    if (slow) request.log.warn({ ...line, slow: true }, 'slow request');
    else request.log.info(line, 'request');
    done();
  });
}

export default fp(requestLog, { name: 'request-log' });
