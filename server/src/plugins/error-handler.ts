/**
 * One place that turns every failure into the error envelope: AppError from services, schema
 * validation failures (422), body parsing problems (400/413/415), unknown routes (404), known
 * routes with the wrong method (405), PostgreSQL errors and anything unexpected (500, generic).
 */
import { findPostgresError } from '../db/postgres-error.js';
import {
  ERROR_CODE_FOR_STATUS,
  ErrorEnvelope,
  MAX_REPORTED_FIELD_ERRORS,
  type FieldError,
} from '@tag-manager/contract';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, validationError } from '../errors.js';

/** @fastify/swagger takes a response's description from this key and drops it from the schema. */
const RESPONSE_DESCRIPTION = 'x-response-description';

/**
 * The reads that answer If-None-Match with 304: those served through the cache (http/cached.ts),
 * and one job (polled for its progress; jobs.routes.ts).
 */
// Suggestions are computed per request, never cached: no ETag, no 304.
const CACHED_READ =
  /^\/api\/(products|categories|stats|vendors|product-types|sample-data)(\/|$)(?!.*\/suggestions$)|^\/api\/jobs\/:id$/;

/** What each error status means, as the OpenAPI document describes it. */
export const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST: the body is not valid JSON, the multipart upload is malformed, or a path parameter has broken percent-encoding',
  401: 'UNAUTHORIZED (AUTH_MODE=token): no token, a malformed Authorization header, or an unknown or revoked token; `WWW-Authenticate: Bearer` says which',
  403: "FORBIDDEN: the token's role is too low (details.required_role), the Host is not in ALLOWED_HOSTS, or a write came from another site",
  404: 'NOT_FOUND: the resource named in the path does not exist (details.resource, details.identifier)',
  409: 'CONFLICT: the change conflicts with stored data (a duplicate name, a category in use, a concurrent change)',
  412: 'PRECONDITION_FAILED: `If-Match` names an ETag the resource no longer has; nothing was changed (details.etag is the current ETag, details.current the resource as it is now)',
  413: 'PAYLOAD_TOO_LARGE: the body is larger than this route accepts',
  414: 'URI_TOO_LONG: a path parameter is longer than the server accepts',
  415: 'UNSUPPORTED_MEDIA_TYPE: the Content-Type is not one this route reads',
  422: 'VALIDATION_ERROR: a field is missing, unknown or out of range (details.field_errors names each)',
  429: 'RATE_LIMITED: the client used up its budget for this group of routes, or sent bad credentials too often; retry after `Retry-After` seconds',
  431: "HEADERS_TOO_LARGE: the request line and headers together exceed the server's limit (16 KiB), for instance a very long URL; the connection is closed",
  500: 'INTERNAL_ERROR: an unexpected failure (logged with the request id)',
  503: 'SERVICE_UNAVAILABLE: the database is unavailable or too slow (details.dependency), or the server is shutting down',
};

/** The probes answer without the Host check (cross-site.ts) and without a database (live). */
const PROBES = new Set(['/health/live', '/health/ready']);
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

interface DocumentedRoute {
  method: string | string[];
  url: string;
  schema?: { params?: unknown; querystring?: unknown; body?: unknown; headers?: unknown };
  config?: unknown;
}

/**
 * The error statuses a route can really give, derived in this one place from what the plugins
 * in front of it do (app.ts registers them): every route can meet an oversized header block
 * (431), an unexpected failure (500) and a shutdown or a database outage (503); the Host
 * allow-list (403) skips the probes; /api and the detailed /health need a token in token mode
 * (401, 403, and 429 for repeated bad credentials), and /api routes are rate limited (429);
 * path parameters can be badly encoded (400), name nothing (404) or be too long (414); a query
 * string or a body is validated (422); a body can be malformed (400), too large (413) or of
 * another type (415);
 * writes are refused from other sites (403) and can conflict with stored data (409); writes
 * that take If-Match can find it stale (412).
 */
export function errorStatusesFor(route: DocumentedRoute): number[] {
  const methods = (Array.isArray(route.method) ? route.method : [route.method]).map((method) =>
    method.toUpperCase(),
  );
  const url = route.url;
  const statuses = new Set([431, 500, 503]);
  const api = url === '/api' || url.startsWith('/api/');
  if (!PROBES.has(url)) statuses.add(403);
  if (api || url === '/health') {
    statuses.add(401).add(403).add(429);
  }
  if (route.schema?.params || url.includes(':')) {
    statuses.add(400).add(404).add(414).add(422);
  }
  if (route.schema?.querystring) statuses.add(422);
  if (methods.some((method) => BODY_METHODS.has(method))) {
    statuses.add(400).add(413).add(415).add(403);
    if (route.schema?.body || (route.config as { documentedBody?: unknown })?.documentedBody) {
      statuses.add(422);
    }
    if (api) statuses.add(409);
  }
  // Imports and exports that name a reserved job (job_id): unknown → 404, not reserved → 409.
  const query = route.schema?.querystring as { properties?: Record<string, unknown> } | undefined;
  if (query?.properties?.job_id) statuses.add(404).add(409);
  // Routes that document If-Match (http/preconditions.ts): stale → 412, malformed → 400.
  const headers = route.schema?.headers as { properties?: Record<string, unknown> } | undefined;
  if (headers?.properties?.['if-match']) statuses.add(400).add(412);
  return [...statuses].sort((a, b) => a - b);
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** Field names and messages echo the request (unknown keys): reported up to this length. */
const MAX_FIELD_LENGTH = 200;
const MAX_MESSAGE_LENGTH = 300;
const ANY_OF = 'must match a schema in anyOf';

const clip = (text: string, limit: number) =>
  text.length > limit ? `${text.slice(0, limit)}… (${text.length} characters)` : text;

/**
 * Ajv issues → `[{field, message}]`, with fields named as the client sent them: the first
 * `MAX_REPORTED_FIELD_ERRORS` distinct ones, and how many distinct ones there were. One pass,
 * with sets for the duplicate checks, so a request with a hundred thousand bad keys costs no
 * more than reading it.
 */
export function fieldErrorsFromValidation(
  issues: AjvIssue[],
  context: string | undefined,
): { fieldErrors: FieldError[]; errorCount: number } {
  const fieldErrors: FieldError[] = [];
  const seen = new Set<string>();
  const fieldsSeen = new Set<string>();
  let errorCount = 0;
  for (const issue of issues) {
    const segments = issue.instancePath.split('/').filter(Boolean).map(decodePointer);
    if (issue.keyword === 'required') segments.push(String(issue.params.missingProperty));
    if (issue.keyword === 'additionalProperties') {
      segments.push(String(issue.params.additionalProperty));
    }
    const field = segments.join('.') || context || 'body';
    let message = issue.message ?? 'is invalid';
    if (issue.keyword === 'additionalProperties') message = 'is not a known field';
    if (issue.keyword === 'enum' || issue.keyword === 'const') {
      const allowed = issue.params.allowedValues ?? issue.params.allowedValue;
      message = `must be one of ${JSON.stringify(allowed)}`;
    }
    // anyOf reports one issue per branch and then its own; keep it only as a field's first.
    if (message === ANY_OF && fieldsSeen.has(field)) continue;
    const key = `${field}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    fieldsSeen.add(field);
    errorCount += 1;
    if (fieldErrors.length < MAX_REPORTED_FIELD_ERRORS) {
      fieldErrors.push({
        field: clip(field, MAX_FIELD_LENGTH),
        message: clip(message, MAX_MESSAGE_LENGTH),
      });
    }
  }
  return { fieldErrors, errorCount };
}

const decodePointer = (segment: string) => segment.replace(/~1/g, '/').replace(/~0/g, '~');

function fromPostgres(error: { code: string; message: string }): AppError | undefined {
  const { code } = error;
  if (code === '23505' || code === '23503' || code === '23P01') {
    return new AppError(409, 'CONFLICT', 'The change conflicts with stored data', {
      reason: code === '23505' ? 'duplicate' : 'reference',
    });
  }
  if (code.startsWith('22') || code === '23514' || code === '23502') {
    return validationError([], 'A value is out of range or malformed');
  }
  if (code === '57014' || code === '55P03') {
    return new AppError(503, 'SERVICE_UNAVAILABLE', 'The database took too long to answer', {
      dependency: 'database',
    });
  }
  // 08xxx connection exceptions; 57P01-03 shutting down or starting up; 53300 no free slot.
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) {
    return new AppError(503, 'SERVICE_UNAVAILABLE', 'The database is not available', {
      dependency: 'database',
    });
  }
  if (code === '40001' || code === '40P01') {
    return new AppError(503, 'SERVICE_UNAVAILABLE', 'The database was busy; retry the request', {
      dependency: 'database',
      retryable: true,
    });
  }
  return undefined;
}

// busboy (under @fastify/multipart) reports a malformed upload with plain Errors and no status.
const MALFORMED_MULTIPART =
  /^(Unexpected end of (multipart data|form)|Boundary not found|Multipart: Boundary not found|Part terminated early|Malformed part header)/;

const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** What pg and pg-pool say when there is no connection to PostgreSQL, or it broke. */
const CONNECTION_MESSAGES = [
  // pg-pool: no client became free within connectionTimeoutMillis
  'timeout exceeded when trying to connect',
  // pg: the connection ended ("… unexpectedly", "… due to connection timeout")
  'Connection terminated',
  // pg: a query on a client whose connection had already broken
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
];

/**
 * A connection-level failure anywhere in the chain of causes: Drizzle wraps the driver's error
 * (the network error is the cause), and a failed connect to a host name with several addresses
 * is an AggregateError of one error per address.
 */
function isConnectionFailure(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 5) return false;
  const { code, message, cause, errors } = error as {
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (typeof code === 'string' && CONNECTION_ERRORS.has(code)) return true;
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((text) => message.includes(text))) {
    return true;
  }
  if (Array.isArray(errors) && errors.some((inner) => isConnectionFailure(inner, depth + 1))) {
    return true;
  }
  return isConnectionFailure(cause, depth + 1);
}

/** Any thrown value → an AppError that is safe to show. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const candidate = error as Partial<FastifyError> & {
    code?: string;
    validation?: AjvIssue[];
    validationContext?: string;
  };
  if (Array.isArray(candidate.validation)) {
    const { fieldErrors, errorCount } = fieldErrorsFromValidation(
      candidate.validation,
      candidate.validationContext,
    );
    return validationError(fieldErrors, undefined, errorCount);
  }
  // Drizzle wraps driver errors; the SQLSTATE is on the cause.
  const pgError = findPostgresError(error);
  if (pgError) {
    const mapped = fromPostgres(pgError);
    if (mapped) return mapped;
  }
  if (candidate.message && MALFORMED_MULTIPART.test(candidate.message)) {
    return new AppError(
      400,
      'BAD_REQUEST',
      `The multipart upload is malformed: ${candidate.message}`,
      {},
    );
  }
  if (isConnectionFailure(error)) {
    return new AppError(503, 'SERVICE_UNAVAILABLE', 'The database is not available', {
      dependency: 'database',
    });
  }
  const status = candidate.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = ERROR_CODE_FOR_STATUS[status] ?? 'BAD_REQUEST';
    const message =
      candidate.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error instanceof SyntaxError
        ? 'The request body is not valid JSON'
        : // Fastify's 414 message quotes the whole URL (up to megabytes): not echoed.
          status === 414
          ? 'A path parameter is longer than the server accepts'
          : (candidate.message ?? 'Bad request');
    return new AppError(status, code, message, {});
  }
  return new AppError(500, 'INTERNAL_ERROR', 'An unexpected error occurred', {});
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: AppError) {
  if (error.statusCode === 405 && Array.isArray(error.details.allowed)) {
    reply.header('Allow', (error.details.allowed as string[]).join(', '));
  }
  // A route may have set its own headers before failing (the CSV export sets text/csv and an
  // attachment name before its first query runs); the error envelope is always plain JSON.
  reply.removeHeader('content-disposition');
  request.server.metrics.errors.inc({ code: error.code, status_code: String(error.statusCode) });
  return reply.status(error.statusCode).type('application/json; charset=utf-8').send({
    success: false,
    error: error.message,
    code: error.code,
    details: error.details,
    timestamp: new Date().toISOString(),
    request_id: request.id,
  });
}

/** Node's HTTP parser errors: which status, code and message each gets. */
function clientErrorAnswer(code: string | undefined): AppError {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new AppError(
      431,
      'HEADERS_TOO_LARGE',
      'The request line and headers are larger than the server accepts (a URL or a header is too long)',
      {},
    );
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new AppError(408, 'REQUEST_TIMEOUT', 'The request did not arrive in time', {});
  }
  return new AppError(400, 'BAD_REQUEST', 'The request is not valid HTTP', {});
}

/**
 * Fastify's `clientErrorHandler`: what Node's HTTP parser refuses before any route runs (a
 * header block over 16 KiB, which a very long URL makes too, is a 431; a request that did not
 * arrive in time a 408; anything unparsable a 400) is answered in the error envelope, with a
 * request id of its own, and the connection is closed, as Node does.
 */
export function answerClientError(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
) {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = clientErrorAnswer(error.code);
  const requestId = randomUUID();
  this.log.debug({ err: error, request_id: requestId }, 'client error');
  this.metrics?.errors.inc({ code: answer.code, status_code: String(answer.statusCode) });
  const body = JSON.stringify({
    success: false,
    error: answer.message,
    code: answer.code,
    details: answer.details,
    timestamp: new Date().toISOString(),
    request_id: requestId,
  });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${answer.statusCode} ${STATUS_CODES[answer.statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The 404 / 405 / 414 answer for a request no route takes. */
    answerNoRoute(request: FastifyRequest, reply: FastifyReply): FastifyReply;
  }
}

const METHODS: HTTPMethod[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

async function errorHandler(app: FastifyInstance) {
  // A second router over the same routes answers "which methods does this path accept?"
  // It matches as the main router does (trailing slashes), and at any parameter length: a
  // too-long parameter on a method the path has is answered 414 by the main router first.
  const knownRoutes = FindMyWay({
    ignoreTrailingSlash: true,
    maxParamLength: Number.MAX_SAFE_INTEGER,
  });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (METHODS.includes(method as HTTPMethod) && !route.url.includes('*')) {
        knownRoutes.on(method as HTTPMethod, route.url, () => {});
      }
    }
    // Every route documents the error envelope for the errors it can give (errorStatusesFor).
    if (route.schema && !route.schema.hide) {
      const response = (route.schema.response ?? {}) as Record<string, unknown>;
      for (const status of errorStatusesFor(route)) {
        response[status] ??= {
          ...ErrorEnvelope,
          [RESPONSE_DESCRIPTION]: ERROR_DESCRIPTIONS[status],
        };
      }
      // Cached reads answer a matching If-None-Match with an empty 304.
      if (methods.includes('GET') && CACHED_READ.test(route.url)) {
        response[304] ??= {
          description: 'Not Modified: the If-None-Match ETag is current',
          type: 'null',
        };
      }
      route.schema.response = response;
    }
  });

  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.statusCode >= 500) {
      request.log.error({ err: error, request_id: request.id }, 'request failed');
    } else {
      request.log.info({ code: appError.code, message: appError.message }, 'request rejected');
    }
    return sendError(request, reply, appError);
  });

  app.setNotFoundHandler((request, reply) => noRoute(request, reply));
  // app.ts also calls it from an onRequest hook, after access control and before the body is
  // read: a wrong method is then a 405 (an unknown path a 404) whatever the body holds.
  app.decorate('answerNoRoute', noRoute);

  function noRoute(request: FastifyRequest, reply: FastifyReply) {
    const path = request.url.split('?')[0] ?? '/';
    if (knownRoutes.find(request.method as HTTPMethod, path) !== null) {
      // The path takes this method, yet the main router refused it: only its parameter length
      // limit does that (a GET lands here through the web app's wildcard route).
      return sendError(
        request,
        reply,
        new AppError(414, 'URI_TOO_LONG', 'A path parameter is longer than the server accepts', {}),
      );
    }
    const allowed = METHODS.filter(
      (method) => method !== request.method && knownRoutes.find(method, path) !== null,
    );
    if (allowed.length > 0) {
      return sendError(
        request,
        reply,
        new AppError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`, {
          allowed,
        }),
      );
    }
    return sendError(
      request,
      reply,
      new AppError(404, 'NOT_FOUND', `No route for ${request.method} ${path}`, {
        resource: 'route',
        identifier: `${request.method} ${path}`,
      }),
    );
  }
}

export default fp(errorHandler, { name: 'error-handler' });
