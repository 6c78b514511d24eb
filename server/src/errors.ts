/**
 * The one error type of the application. Services throw it; the error-handler plugin turns it
 * (and every other error) into the error envelope.
 */
import { MAX_REPORTED_FIELD_ERRORS, type ErrorCode, type FieldError } from '@tag-manager/contract';

export class AppError extends Error {
  constructor(
    public readonly statusCode: number,
    public readonly code: ErrorCode,
    message: string,
    public readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (resource: string, identifier: string | number, message?: string) =>
  new AppError(404, 'NOT_FOUND', message ?? `${resource} ${JSON.stringify(identifier)} not found`, {
    resource,
    identifier,
  });

export const conflict = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(409, 'CONFLICT', message, details);

export const badRequest = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(400, 'BAD_REQUEST', message, details);

export const payloadTooLarge = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(413, 'PAYLOAD_TOO_LARGE', message, details);

/** 401: no usable credentials. The auth plugin adds the `WWW-Authenticate` header. */
export const unauthorized = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(401, 'UNAUTHORIZED', message, details);

/** 403: the caller is known but may not do this. */
export const forbidden = (message: string, details: Record<string, unknown> = {}) =>
  new AppError(403, 'FORBIDDEN', message, details);

/** 429: the client's rate limit for this group of routes is used up. */
export const rateLimited = (group: string, limit: number, retryAfterSeconds: number) =>
  new AppError(
    429,
    'RATE_LIMITED',
    `Too many requests: the limit is ${limit} per minute for these routes; retry in ${retryAfterSeconds} s`,
    { group, limit, retry_after_seconds: retryAfterSeconds },
  );

/** Too many open live-update streams (GET /api/events), for this client or this instance. */
export const tooManyStreams = (scope: 'client' | 'server', limit: number) =>
  new AppError(
    429,
    'RATE_LIMITED',
    scope === 'client'
      ? `Too many open event streams for this client: the limit is ${limit}; close one (one stream per browser is enough)`
      : `Too many open event streams on this server: the limit is ${limit}; retry later`,
    { group: 'events', scope, limit, retry_after_seconds: 5 },
  );

export const serviceUnavailable = (dependency: string, message?: string) =>
  new AppError(503, 'SERVICE_UNAVAILABLE', message ?? `The ${dependency} is not available`, {
    dependency,
  });

/**
 * 422 with the field errors listed twice, as `field_errors` and `validation_errors` (the brief
 * names both), each cut to the first `MAX_REPORTED_FIELD_ERRORS` so that neither grows with the
 * request; `error_count` is how many distinct errors were found (`errorCount`, when the caller
 * counted more than it kept) and `truncated` whether some were left out.
 */
export function validationError(
  fieldErrors: FieldError[],
  message?: string,
  errorCount = fieldErrors.length,
): AppError {
  const reported = fieldErrors.slice(0, MAX_REPORTED_FIELD_ERRORS);
  const total = Math.max(errorCount, fieldErrors.length);
  const summary =
    message ??
    (total === 1 && reported.length === 1
      ? `${reported[0]!.field}: ${reported[0]!.message}`
      : `${total} fields are invalid`);
  return new AppError(422, 'VALIDATION_ERROR', summary, {
    field_errors: reported,
    validation_errors: reported,
    error_count: total,
    truncated: total > reported.length,
  });
}

export const invalidField = (field: string, message: string) =>
  validationError([{ field, message }]);
