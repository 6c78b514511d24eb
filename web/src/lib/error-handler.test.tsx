import { act, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient } from '../api/client';
import { ToastProvider } from '../components/Toasts';
import {
  describeError,
  describeLoadError,
  isRetryable,
  useErrorHandler,
  type FieldErrorMap,
  type HandleErrorOptions,
} from './error-handler';
import { jsonFetch } from '../test/render';

const envelope = (
  status: number,
  code: string,
  error: string,
  details: Record<string, unknown>,
) => ({
  status,
  body: {
    success: false,
    error,
    code,
    details,
    timestamp: '2026-01-01T00:00:00.000Z',
    request_id: 'req-123',
  },
});

async function apiErrorFrom(status: number, body: unknown): Promise<ApiError> {
  const { fetchMock } = jsonFetch(status, body);
  const client = createApiClient('', fetchMock);
  try {
    await client.createCategory({ name: 'x' });
  } catch (error) {
    return error as ApiError;
  }
  throw new Error('expected a failure');
}

describe('ApiError from the client', () => {
  it('carries the envelope: status, code, message, details and request id', async () => {
    const { status, body } = envelope(422, 'VALIDATION_ERROR', 'name: too short', {
      field_errors: [{ field: 'name', message: 'must NOT have fewer than 1 characters' }],
      validation_errors: [{ field: 'name', message: 'must NOT have fewer than 1 characters' }],
    });
    const error = await apiErrorFrom(status, body);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.status).toBe(422);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.requestId).toBe('req-123');
    expect(error.fieldErrors).toEqual([
      { field: 'name', message: 'must NOT have fewer than 1 characters' },
    ]);
  });

  it('turns a conflict that names its field into a field error', async () => {
    const { status, body } = envelope(
      409,
      'CONFLICT',
      'A level 1 category named "Vendors" already exists',
      {
        reason: 'duplicate_sibling_name',
        field: 'name',
      },
    );
    const error = await apiErrorFrom(status, body);
    expect(error.fieldErrors).toEqual([
      { field: 'name', message: 'A level 1 category named "Vendors" already exists' },
    ]);
  });

  it('reports an unreachable server as NETWORK_ERROR', async () => {
    const client = createApiClient('', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(client.getStats()).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 0 });
  });

  it('reports a non-envelope failure with the request id header', async () => {
    const client = createApiClient(
      '',
      async () =>
        new Response('<html>bad gateway</html>', {
          status: 502,
          statusText: 'Bad Gateway',
          headers: { 'x-request-id': 'edge-1' },
        }),
    );
    await expect(client.getStats()).rejects.toMatchObject({
      code: 'BAD_RESPONSE',
      status: 502,
      requestId: 'edge-1',
    });
  });
});

describe('describeError', () => {
  const validation = new ApiError({
    message: 'invalid',
    status: 422,
    code: 'VALIDATION_ERROR',
    details: {
      field_errors: [
        { field: 'name', message: 'is required' },
        { field: 'color', message: 'is not a known field' },
      ],
    },
    requestId: 'req-9',
  });

  it('puts errors of known fields next to them and toasts the rest', () => {
    const outcome = describeError(validation, { fields: ['name'], action: 'Could not save' });
    expect(outcome.fieldErrors).toEqual({ name: 'is required' });
    expect(outcome.toast).toMatchObject({
      kind: 'error',
      title: 'Could not save',
      message: 'color: is not a known field',
      requestId: 'req-9',
    });
  });

  it('shows no toast when every error has its field on screen', () => {
    const outcome = describeError(validation, { fields: ['name', 'color'] });
    expect(outcome.fieldErrors).toEqual({ name: 'is required', color: 'is not a known field' });
    expect(outcome.toast).toBeNull();
  });

  it('maps nested fields to their input', () => {
    const error = new ApiError({
      message: 'x',
      status: 422,
      code: 'VALIDATION_ERROR',
      details: { field_errors: [{ field: 'category_ids.0', message: 'must be >= 1' }] },
    });
    expect(describeError(error, { fields: ['category_ids'] }).fieldErrors).toEqual({
      category_ids: 'must be >= 1',
    });
  });

  it('toasts the server message and request id when the caller has no fields', () => {
    const outcome = describeError(validation);
    expect(outcome.fieldErrors).toEqual({});
    expect(outcome.toast).toMatchObject({ message: 'invalid', requestId: 'req-9' });
  });

  it('toasts errors that are not from the API', () => {
    expect(describeError(new Error('boom')).toast).toMatchObject({
      kind: 'error',
      message: 'boom',
    });
  });
});

function Harness({ error, options }: { error: unknown; options?: HandleErrorOptions }) {
  const handle = useErrorHandler();
  return (
    <button type="button" onClick={() => handle(error, options)}>
      fail
    </button>
  );
}

describe('useErrorHandler', () => {
  afterEach(() => vi.useRealTimers());

  it('shows a toast with the server message and the request id', () => {
    const error = new ApiError({
      message: 'The database is not available',
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      requestId: 'abc-42',
    });
    render(
      <ToastProvider>
        <Harness error={error} options={{ action: 'Could not load products' }} />
      </ToastProvider>,
    );
    fireEvent.click(screen.getByRole('button', { name: 'fail' }));
    const alert = screen.getByRole('alert');
    expect(alert).toHaveTextContent('Could not load products');
    expect(alert).toHaveTextContent('The database is not available');
    expect(alert).toHaveTextContent('Request ID: abc-42');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss: Could not load products' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('hands field errors to the form and shows no toast for them', () => {
    const onFieldErrors = vi.fn<(errors: FieldErrorMap) => void>();
    const error = new ApiError({
      message: 'dup',
      status: 409,
      code: 'CONFLICT',
      details: { field: 'name' },
      requestId: 'r',
    });
    render(
      <ToastProvider>
        <Harness error={error} options={{ fields: ['name'], onFieldErrors }} />
      </ToastProvider>,
    );
    act(() => fireEvent.click(screen.getByRole('button', { name: 'fail' })));
    expect(onFieldErrors).toHaveBeenCalledWith({ name: 'dup' });
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('describeLoadError and isRetryable: what a failed read offers', () => {
  const apiError = (status: number, code: string, message: string, details = {}) =>
    new ApiError({ message, status, code: code as never, details });

  it('turns validator text into words and offers no retry for a 4xx', () => {
    const error = apiError(
      422,
      'VALIDATION_ERROR',
      'search: must NOT have more than 200 characters',
      {
        field_errors: [{ field: 'search', message: 'must NOT have more than 200 characters' }],
      },
    );
    expect(describeLoadError(error)).toEqual({
      message: 'The search is too long: at most 200 characters.',
      retryable: false,
    });
    expect(isRetryable(apiError(404, 'NOT_FOUND', 'No such product'))).toBe(false);
    expect(isRetryable(apiError(409, 'CONFLICT', 'In use'))).toBe(false);
  });

  it('offers a retry for what can pass next time: network, timeout, rate limit, server errors', () => {
    for (const status of [0, 408, 429, 500, 503]) {
      expect(isRetryable(apiError(status, 'SERVICE_UNAVAILABLE', 'x')), String(status)).toBe(true);
    }
    expect(isRetryable(new TypeError('Failed to fetch'))).toBe(true);
    expect(
      describeLoadError(apiError(503, 'SERVICE_UNAVAILABLE', 'The database is not available')),
    ).toEqual({
      message: 'The database is not available',
      retryable: true,
    });
  });
});
