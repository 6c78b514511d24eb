/**
 * The one error handler of the web app. A form passes the fields it shows; errors that belong
 * to one of them are put next to it, everything else becomes a toast with the server's message
 * and the request id.
 */
import { useCallback } from 'react';
import { ApiError } from '../api/client';
import { useToasts, type Toast } from '../components/Toasts';

export type FieldErrorMap = Record<string, string>;

export interface HandleErrorOptions {
  /** What was being done, e.g. "Could not create the category" (the toast's title). */
  action?: string;
  /** The fields the caller shows; field errors for them are returned instead of toasted. */
  fields?: readonly string[];
  /** Receives the field errors for the caller's fields (only called when there are some). */
  onFieldErrors?: (errors: FieldErrorMap) => void;
  /** What the toast is about ("category.rename"): a later success on it dismisses this error. */
  topic?: string;
}

export interface ErrorOutcome {
  fieldErrors: FieldErrorMap;
  toast: Omit<Toast, 'id'> | null;
}

/** Pure: decide what an error turns into (field errors, a toast, or both). */
export function describeError(error: unknown, options: HandleErrorOptions = {}): ErrorOutcome {
  const title = options.action ?? 'Something went wrong';
  if (!(error instanceof ApiError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { fieldErrors: {}, toast: { kind: 'error', title, message, topic: options.topic } };
  }
  if (error.code === 'FORBIDDEN' || error.code === 'UNAUTHORIZED') {
    return {
      fieldErrors: {},
      toast: {
        kind: 'error',
        title,
        message: accessMessage(error),
        requestId: error.requestId,
        topic: options.topic,
      },
    };
  }
  const fieldErrors: FieldErrorMap = {};
  const unplaced: string[] = [];
  const known = new Set(options.fields ?? []);
  for (const { field, message } of error.fieldErrors) {
    // Nested fields ("category_ids.0") belong to their top-level input.
    const key = known.has(field) ? field : field.split('.')[0]!;
    if (known.has(key)) {
      fieldErrors[key] ??= message;
    } else {
      unplaced.push(field === 'body' ? message : `${field}: ${message}`);
    }
  }
  const placed = Object.keys(fieldErrors).length > 0;
  if (placed && unplaced.length === 0) return { fieldErrors, toast: null };
  const message = placed ? unplaced.join('; ') : error.message;
  return {
    fieldErrors,
    toast: { kind: 'error', title, message, requestId: error.requestId, topic: options.topic },
  };
}

/**
 * Whether asking again can help: a network failure, a timeout, too many requests or a server
 * error can pass on a retry; any other refusal (4xx: the request itself is wrong) cannot.
 */
export function isRetryable(error: unknown): boolean {
  if (!(error instanceof ApiError)) return true;
  return error.status === 0 || error.status === 408 || error.status === 429 || error.status >= 500;
}

const FIELD_LABELS: Record<string, string> = {
  search: 'The search',
  name: 'The name',
  category_id: 'The category',
  limit: 'The page size',
  offset: 'The page',
};

/** The validator's phrasing ("must NOT have more than 200 characters") in plain words. */
export function readableFieldMessage(field: string, message: string): string {
  const label = FIELD_LABELS[field] ?? `The ${field.replace(/[._]/g, ' ')}`;
  const rules: [RegExp, (match: RegExpMatchArray) => string][] = [
    [
      /^must NOT have more than (\d+) characters?$/,
      (m) => `is too long: at most ${m[1]} characters`,
    ],
    [/^must NOT have fewer than 1 characters?$/, () => 'cannot be empty'],
    [
      /^must NOT have fewer than (\d+) characters$/,
      (m) => `is too short: at least ${m[1]} characters`,
    ],
    [/^must be <= (\d+)$/, (m) => `must be at most ${m[1]}`],
    [/^must be >= (\d+)$/, (m) => `must be at least ${m[1]}`],
    [/^must be integer$/, () => 'must be a whole number'],
    [/^must be equal to one of the allowed values$/, () => 'is not one of the allowed values'],
  ];
  for (const [pattern, phrase] of rules) {
    const match = message.match(pattern);
    if (match) return `${label} ${phrase(match)}.`;
  }
  return `${label}: ${message}`;
}

/** A failed read as the screen shows it: a readable message, and whether "Try again" can help. */
export function describeLoadError(error: unknown): { message: string; retryable: boolean } {
  const retryable = isRetryable(error);
  if (error instanceof ApiError && error.code === 'VALIDATION_ERROR') {
    const fields = error.fieldErrors.filter(({ field }) => field !== 'body');
    if (fields.length > 0) {
      return {
        message: fields.map(({ field, message }) => readableFieldMessage(field, message)).join(' '),
        retryable,
      };
    }
  }
  return { message: error instanceof Error ? error.message : String(error), retryable };
}

/** Access control (AUTH_MODE=token): what the operator can do about a 403 or a 401. */
function accessMessage(error: ApiError): string {
  if (error.code === 'UNAUTHORIZED') {
    return `${error.message}. Retry to enter an API token (an administrator creates one with: npm run token -- create --role editor).`;
  }
  const role = typeof error.details.token_role === 'string' ? error.details.token_role : null;
  const needed =
    typeof error.details.required_role === 'string' ? error.details.required_role : null;
  if (!role || !needed) return error.message;
  return `Your token's role (${role}) can't do this: it needs the ${needed} role. Sign out and use a token with that role (an administrator creates one with: npm run token -- create --role ${needed}).`;
}

export function useErrorHandler() {
  const { show } = useToasts();
  return useCallback(
    (error: unknown, options: HandleErrorOptions = {}): ErrorOutcome => {
      const outcome = describeError(error, options);
      if (Object.keys(outcome.fieldErrors).length > 0) options.onFieldErrors?.(outcome.fieldErrors);
      if (outcome.toast) show(outcome.toast);
      return outcome;
    },
    [show],
  );
}
