/**
 * One place that turns every failure into the error envelope: AppError from services, schema
 * validation failures (422), body parsing problems (400/413/415), unknown routes (404), known
 * routes with the wrong method (405), PostgreSQL errors and anything unexpected (500, generic).
 */
import {
  ERROR_CODE_FOR_STATUS,
  ErrorEnvelope,
  MAX_REPORTED_FIELD_ERRORS,
  type FieldError,
} from '@tag-manager/contract';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import FindMyWay, { type HTTPMethod } from 'find-my-way';
import { AppError, validationError } from '../errors.js';

const ERROR_RESPONSES = [400, 401, 403, 404, 405, 409, 413, 414, 415, 422, 429, 500, 503];

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
        : (candidate.message ?? 'Bad request');
    return new AppError(status, code, message, {});
  }
  return new AppError(500, 'INTERNAL_ERROR', 'An unexpected error occurred', {});
}

function findPostgresError(error: unknown): { code: string; message: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return current as { code: string; message: string };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
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
    // Every route documents the error envelope for every error status.
    if (route.schema) {
      const response = (route.schema.response ?? {}) as Record<string, unknown>;
      for (const status of ERROR_RESPONSES) response[status] ??= ErrorEnvelope;
      // Cached reads answer a matching If-None-Match with an empty 304.
      if (methods.includes('GET')) {
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
