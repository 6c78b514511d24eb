/**
 * The fuzz test's own checks, on fake answers: they must fail on a server error, a broken error
 * envelope or a lost request id — and the fuzz loop must turn such an answer into a failing run
 * that names the seed and the request. Without this, a fuzz test that never fails proves nothing.
 */
import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { checkResponse, type ResponseLike } from './checks.js';
import { fuzzApi, type FuzzTarget } from './harness.js';
import { listOperations, type OpenApiDocument } from './openapi.js';
import { emptyWorld } from './values.js';

const ID = 'req-1';

function answer(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): ResponseLike {
  return {
    statusCode,
    headers: {
      'x-request-id': ID,
      ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      ...headers,
    },
    body: body === undefined ? '' : JSON.stringify(body),
  };
}

function errorBody(code: string, details: Record<string, unknown> = {}) {
  return {
    success: false,
    error: 'Something was wrong',
    code,
    details,
    timestamp: '2025-01-01T00:00:00.000Z',
    request_id: ID,
  };
}

const GET: InjectOptions = { method: 'GET', url: '/api/things/1' };

describe('checkResponse', () => {
  it('refuses a 500, however well formed its envelope', () => {
    expect(() => checkResponse(GET, answer(500, errorBody('INTERNAL_ERROR')))).toThrow(
      /server error 500/,
    );
  });

  it('refuses a 503 too (never a status of 500 or more)', () => {
    expect(() => checkResponse(GET, answer(503, errorBody('SERVICE_UNAVAILABLE')))).toThrow(
      /server error 503/,
    );
  });

  it('accepts a success, a 204 and proper error envelopes', () => {
    expect(() =>
      checkResponse(GET, answer(200, { success: true, data: {}, request_id: ID })),
    ).not.toThrow();
    expect(() =>
      checkResponse({ method: 'DELETE', url: '/api/things/1' }, answer(204, undefined)),
    ).not.toThrow();
    expect(() =>
      checkResponse(GET, answer(404, errorBody('NOT_FOUND', { resource: 'thing', identifier: 1 }))),
    ).not.toThrow();
    const fields = [{ field: 'id', message: 'must be integer' }];
    expect(() =>
      checkResponse(
        GET,
        answer(
          422,
          errorBody('VALIDATION_ERROR', { field_errors: fields, validation_errors: fields }),
        ),
      ),
    ).not.toThrow();
  });

  it('refuses an error answer that is not the envelope', () => {
    expect(() => checkResponse(GET, answer(404, { message: 'Not Found' }))).toThrow();
    expect(() =>
      checkResponse(GET, answer(404, { ...errorBody('NOT_FOUND'), success: true })),
    ).toThrow();
    expect(() =>
      checkResponse(GET, answer(400, { ...errorBody('BAD_REQUEST'), stack: 'at x.js:1' })),
    ).toThrow();
  });

  it('refuses a code that does not belong to the status', () => {
    expect(() =>
      checkResponse(
        GET,
        answer(404, errorBody('VALIDATION_ERROR', { field_errors: [], validation_errors: [] })),
      ),
    ).toThrow();
    expect(() => checkResponse(GET, answer(418, errorBody('BAD_REQUEST')))).toThrow(
      /unexpected status 418/,
    );
  });

  it('refuses a 422 without field errors', () => {
    expect(() => checkResponse(GET, answer(422, errorBody('VALIDATION_ERROR')))).toThrow();
  });

  it('refuses lost or mismatched request ids', () => {
    const missing = answer(200, { success: true, data: {}, request_id: ID });
    delete missing.headers['x-request-id'];
    expect(() => checkResponse(GET, missing)).toThrow(/no X-Request-Id/);
    expect(() =>
      checkResponse(GET, answer(404, { ...errorBody('NOT_FOUND'), request_id: 'other' })),
    ).toThrow();
    expect(() =>
      checkResponse(
        { ...GET, headers: { 'x-request-id': 'client-7' } },
        answer(200, { success: true, data: {}, request_id: ID }),
      ),
    ).toThrow(/not the well-formed one sent/);
  });

  it('refuses a 405 without an Allow header, and a 304 nobody asked for', () => {
    expect(() =>
      checkResponse({ method: 'PUT', url: '/x' }, answer(405, errorBody('METHOD_NOT_ALLOWED'))),
    ).toThrow(/Allow/);
    expect(() => checkResponse(GET, answer(304, undefined))).toThrow(/If-None-Match/);
  });

  it('refuses an error answer larger than the bound', () => {
    const fieldErrors = Array.from({ length: 5000 }, (_, index) => ({
      field: `k${index}`,
      message: 'is not a known field',
    }));
    const huge = errorBody('VALIDATION_ERROR', {
      field_errors: fieldErrors,
      validation_errors: fieldErrors,
    });
    expect(() => checkResponse(GET, answer(422, huge))).toThrow(/error answer of \d+ bytes/);
  });

  it('refuses a CSV answer with a cell a spreadsheet runs as a formula', () => {
    const csv = (text: string): ResponseLike => ({
      statusCode: 200,
      headers: { 'x-request-id': ID, 'content-type': 'text/csv; charset=utf-8' },
      body: text,
    });
    const EXPORT = { method: 'GET', url: '/api/export/csv' } as const;
    expect(() => checkResponse(EXPORT, csv('a,b\r\nx,"\'=1+1"\r\n'))).not.toThrow();
    for (const cell of ['=1+1', '+1', '-1', '@SUM(1)', '"\t=1"', '"\r=1"']) {
      expect(() => checkResponse(EXPORT, csv(`a,b\r\nx,${cell}\r\n`))).toThrow(/formula/);
    }
  });
});

/** A one-resource API: enough for the fuzz loop to generate every kind of request. */
const DOCUMENT: OpenApiDocument = {
  paths: {
    '/api/things': {
      post: {
        requestBody: {
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name'],
                properties: { name: { type: 'string', minLength: 1, maxLength: 20 } },
                additionalProperties: false,
              },
            },
          },
        },
        responses: { 201: {} },
      },
    },
    '/api/things/{id}': {
      get: {
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
        ],
        responses: { 200: {} },
      },
    },
  },
};

/** A fake app: a proper answer to everything, except where `broken` says otherwise. */
function fakeTarget(broken: (request: InjectOptions) => boolean): FuzzTarget {
  return {
    world: async () => ({ ...emptyWorld(), categoryIds: [1, 2, 3] }),
    async send(_plan, request) {
      const sent = (request.headers as Record<string, string>)['x-request-id'];
      const id = sent && /^[A-Za-z0-9._:-]{1,128}$/.test(sent) ? sent : ID;
      const body = broken(request)
        ? { ...errorBody('INTERNAL_ERROR'), request_id: id }
        : { success: true, data: {}, request_id: id };
      return {
        statusCode: broken(request) ? 500 : 200,
        headers: { 'x-request-id': id, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      };
    },
  };
}

/** Malformed JSON sent to the POST: what the fuzzer has to find to break the fake app. */
function malformedJsonPost(request: InjectOptions): boolean {
  if (request.method !== 'POST' || typeof request.payload !== 'string' || !request.payload) {
    return false;
  }
  try {
    JSON.parse(request.payload);
    return false;
  } catch {
    return true;
  }
}

const options = {
  operations: listOperations(DOCUMENT),
  limits: { bodyLimitBytes: 4096, importMaxBytes: 4096 },
  seed: 42,
  numRuns: 300,
};

describe('fuzzApi', () => {
  it('covers every operation of the document', () => {
    expect(options.operations.map((operation) => operation.id).sort()).toEqual([
      'GET /api/things/{id}',
      'POST /api/things',
    ]);
  });

  it('passes, with statistics, when every answer is right', async () => {
    const stats = await fuzzApi(
      fakeTarget(() => false),
      options,
    );
    expect(stats.requests).toBe(300);
    expect(stats.statuses).toEqual({ 200: 300 });
    expect(Object.keys(stats.operations).sort()).toEqual([
      'GET /api/things/{id}',
      'POST /api/things',
    ]);
  });

  it('fails, naming the seed and the request, when one kind of request gets a 500', async () => {
    const failure = await fuzzApi(fakeTarget(malformedJsonPost), options).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure, 'the fuzz run passed despite a 500').toBeDefined();
    expect(failure!.message).toMatch(/seed: 42/);
    // fast-check attaches the property's error as the cause: the request and what was wrong.
    expect((failure!.cause as Error).message).toMatch(
      /request for POST \/api\/things\nrequest: POST \/api\/things[\s\S]*server error 500/,
    );
  });
});
