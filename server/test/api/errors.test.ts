/**
 * The HTTP surface around the features: the error envelope for unknown routes, wrong methods
 * and unreadable requests; request ids; health checks; the OpenAPI document and Swagger UI.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorEnvelope } from '../helpers/envelope.js';
import { createTestApp, invariantViolations, snapshot, type TestApp } from '../helpers/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let test: TestApp;
beforeAll(async () => {
  test = await createTestApp();
});
afterAll(async () => {
  if (test) {
    expect(await invariantViolations(test.db)).toEqual([]);
    await test.close();
  }
});

describe('unknown routes', () => {
  it.each([
    ['GET', '/api/nothing-here'],
    ['GET', '/api/categories/1/grandchildren'],
    ['POST', '/api/categories/tree/extra'],
    ['GET', '/no-such-page.php'],
    ['DELETE', '/api/bulk'],
  ] as const)('%s %s answers 404 with the envelope', async (method, url) => {
    const response = await test.request({ method, url });
    const body = expectErrorEnvelope(response, 404, 'NOT_FOUND');
    expect(body.details).toEqual({ resource: 'route', identifier: `${method} ${url}` });
  });

  it('answers 404 for the path without its query string in details', async () => {
    const response = await test.request('/api/nowhere?token=secret');
    const body = expectErrorEnvelope(response, 404, 'NOT_FOUND');
    expect(body.details.identifier).toBe('GET /api/nowhere');
  });
});

describe('wrong methods', () => {
  it.each([
    ['PUT', '/api/categories/1', ['GET', 'PATCH', 'DELETE']],
    ['POST', '/api/categories/1', ['GET', 'PATCH', 'DELETE']],
    ['DELETE', '/api/products', ['GET']],
    ['PATCH', '/api/products/some-handle', ['GET']],
    ['PUT', '/api/products/some-handle/categories', ['GET', 'POST']],
    ['GET', '/api/bulk/assign', ['POST']],
    ['DELETE', '/api/categories', ['GET', 'POST']],
    ['POST', '/health/live', ['GET']],
    // The same matching as the main router: trailing slashes, and handles longer than 100.
    ['PUT', '/api/categories/1/', ['GET', 'PATCH', 'DELETE']],
    ['PUT', `/api/products/${'h'.repeat(300)}/categories`, ['GET', 'POST']],
  ] as const)('%s %s answers 405 with an Allow header', async (method, url, allowed) => {
    const before = await snapshot(test.db);
    const response = await test.request({
      method,
      url,
      payload: method === 'GET' ? undefined : {},
    });
    const body = expectErrorEnvelope(response, 405, 'METHOD_NOT_ALLOWED');
    const allow = String(response.headers.allow ?? '')
      .split(',')
      .map((entry) => entry.trim());
    for (const expected of allowed) expect(allow).toContain(expected);
    expect(allow).not.toContain(method);
    expect(body.details.allowed).toEqual(allow);
    expect(await snapshot(test.db)).toEqual(before);
  });
});

describe('no route, whatever the body', () => {
  it.each([
    ['POST', '/api/products', 'application/json', '{', 405],
    ['POST', '/health/ready', 'garbage', 'x', 405],
    ['POST', '/api/nothing', 'application/json', '{', 404],
    ['PUT', '/api/nothing/at/all', 'text/plain', 'x', 404],
  ] as const)(
    '%s %s with an unreadable %s body answers %i (the route decides first)',
    async (method, url, contentType, payload, status) => {
      const response = await test.request({
        method,
        url,
        headers: { 'content-type': contentType },
        payload,
      });
      expectErrorEnvelope(response, status, status === 405 ? 'METHOD_NOT_ALLOWED' : 'NOT_FOUND');
    },
  );
});

/** Sends raw bytes to a listening app and resolves with everything it answers until it closes. */
function rawExchange(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('error', (error) => (answer ? resolve(answer) : reject(error)));
    socket.on('close', () => resolve(answer));
    socket.write(request);
  });
}

describe('requests Node refuses before any route', () => {
  let port: number;
  beforeAll(async () => {
    await test.app.listen({ host: '127.0.0.1', port: 0 });
    const address = test.app.server.address();
    if (!address || typeof address === 'string') throw new Error('not listening');
    port = address.port;
  });

  // Node answers a header block over its limit (16 KiB) itself with 431; it used to be
  // Fastify's own body ({"error":"Request Header Fields Too Large",...}), not the envelope.
  it.each([
    [
      'a very long URL',
      `GET /api/products?search=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
    ],
    [
      'a huge header',
      `GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
    ],
  ])('%s answers 431 in the error envelope, as documented', async (_name, request) => {
    const answer = await rawExchange(port, request);
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 431 /);
    expect(head).toMatch(/\r\ncontent-type: application\/json; charset=utf-8/i);
    const parsed = JSON.parse(body!) as Record<string, unknown>;
    expect(parsed).toMatchObject({ success: false, code: 'HEADERS_TOO_LARGE', details: {} });
    expect(parsed.request_id).toMatch(UUID);
    expect(head).toContain(`\r\nX-Request-Id: ${String(parsed.request_id)}`);
    expect(new Date(String(parsed.timestamp)).toISOString()).toBe(parsed.timestamp);
    const documented = (test.app.swagger() as unknown as OpenApiDocument).paths;
    expect(Object.keys(documented['/api/products']!.get!.responses ?? {})).toContain('431');
  });

  it('a request that is not HTTP answers 400 in the error envelope', async () => {
    const answer = await rawExchange(port, 'HELLO THERE\r\n\r\n');
    const [head, body] = answer.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(body!)).toMatchObject({ success: false, code: 'BAD_REQUEST' });
  });
});

describe('unreadable requests', () => {
  it.each([
    ['a cut-off object', '{"name": "Broken"'],
    ['single quotes', "{'name': 'Broken'}"],
    ['a trailing comma', '{"name": "Broken",}'],
    ['plain words', 'name=Broken'],
  ])('malformed JSON (%s) answers 400 BAD_REQUEST', async (_label, payload) => {
    const before = await snapshot(test.db);
    const response = await test.request({
      method: 'POST',
      url: '/api/categories',
      headers: { 'content-type': 'application/json' },
      payload,
    });
    const body = expectErrorEnvelope(response, 400, 'BAD_REQUEST');
    expect(body.error).toBe('The request body is not valid JSON');
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('a wrong content type answers 415', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/categories',
      headers: { 'content-type': 'application/xml' },
      payload: '<category name="X"/>',
    });
    expectErrorEnvelope(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('a URL with broken percent-encoding answers 400 with the envelope', async () => {
    const response = await test.request({
      method: 'GET',
      url: '/api/products/%E0%A4%A',
      headers: { 'x-request-id': 'bad-url-1' },
    });
    const body = expectErrorEnvelope(response, 400, 'BAD_REQUEST');
    expect(body.request_id).toBe('bad-url-1');
  });

  it('a path parameter over the router limit answers 414 with the envelope', async () => {
    const response = await test.request(`/api/products/${'x'.repeat(3000)}`);
    expectErrorEnvelope(response, 414, 'URI_TOO_LONG');
  });
});

describe('X-Request-Id', () => {
  it('is generated when absent, on success and on error', async () => {
    const ok = await test.request('/health/live');
    expect(ok.headers['x-request-id']).toMatch(UUID);
    expect(ok.json().request_id).toBe(ok.headers['x-request-id']);

    const missing = await test.request('/api/nothing-here');
    expect(missing.headers['x-request-id']).toMatch(UUID);
    expect(missing.json().request_id).toBe(missing.headers['x-request-id']);

    const again = await test.request('/health/live');
    expect(again.headers['x-request-id']).not.toBe(ok.headers['x-request-id']);
  });

  it.each([
    ['a UUID', '0b5e2f0c-1f7a-4c1e-9a55-0d7e1f2a3b4c'],
    ['a trace-style id', 'trace.abc_123:span-9'],
    ['128 characters', 'a'.repeat(128)],
  ])('echoes a well-formed incoming id (%s) in the header and the body', async (_label, id) => {
    for (const url of ['/health/live', '/api/categories', '/api/nothing-here']) {
      const response = await test.request({ method: 'GET', url, headers: { 'x-request-id': id } });
      expect(response.headers['x-request-id']).toBe(id);
      expect(response.json().request_id).toBe(id);
    }
  });

  it('echoes the incoming id on a rejected write', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/categories',
      headers: { 'x-request-id': 'client-42' },
      payload: { name: '' },
    });
    const body = expectErrorEnvelope(response, 422, 'VALIDATION_ERROR');
    expect(body.request_id).toBe('client-42');
  });

  it.each([
    ['spaces', 'has spaces in it'],
    ['markup', '<script>alert(1)</script>'],
    ['129 characters', 'a'.repeat(129)],
    ['a quote', "abc'def"],
    ['non-ASCII', 'idé'],
  ])('replaces a malformed incoming id (%s)', async (_label, id) => {
    const response = await test.request({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': id },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(response.json().request_id).toBe(response.headers['x-request-id']);
  });
});

describe('health', () => {
  it('GET /health answers with the version, uptime, pool and cache state', async () => {
    const response = await test.request('/health');
    expect(response.statusCode).toBe(200);
    const { data } = response.json();
    expect(data.status).toBe('ok');
    expect(data.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(data.database.driver).toBe(test.driver);
    if (test.driver === 'postgres') {
      expect(data.database.pool).toMatchObject({ size: 5, waiting: 0 });
      expect(data.database.pool.acquired).toBeGreaterThan(0);
      expect(data.database.pool.total).toBeGreaterThan(0);
    } else {
      expect(data.database.pool).toBeNull();
    }
    expect(data.cache).toMatchObject({ enabled: true, backend: 'memory', redis_connected: null });
  });

  it('GET /health/live answers 200', async () => {
    const response = await test.request('/health/live');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(
      expect.objectContaining({ success: true, data: expect.objectContaining({ status: 'ok' }) }),
    );
  });

  it('GET /health/ready answers 200 with the database checked', async () => {
    const response = await test.request('/health/ready');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.success).toBe(true);
    expect(body.data).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });
});

interface OpenApiOperation {
  responses?: Record<string, unknown>;
}
interface OpenApiDocument {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
}

describe('OpenAPI and Swagger UI', () => {
  let document: OpenApiDocument;
  beforeAll(async () => {
    // /openapi.json and /docs are not API operations, so they are fetched without the contract check.
    const response = await test.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    document = response.json();
  });

  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toMatch(/^3\.1\.\d+$/);
    expect(document.info.title).toBeTruthy();
    expect(document.info.version).toBeTruthy();
  });

  // Every endpoint of the PRODUCT.md table except /metrics, with its methods.
  const CONTRACT: [string, string[]][] = [
    ['/api/products', ['get']],
    ['/api/products/{product_id}', ['get']],
    ['/api/products/{product_id}/categories', ['get', 'post']],
    ['/api/products/{product_id}/categories/{category_id}', ['delete']],
    ['/api/bulk/assign', ['post']],
    ['/api/bulk/remove', ['post']],
    ['/api/categories', ['get', 'post']],
    ['/api/categories/tree', ['get']],
    ['/api/categories/level1', ['get']],
    ['/api/categories/{id}/children', ['get']],
    ['/api/categories/{id}', ['get', 'patch', 'delete']],
    ['/api/stats', ['get']],
    ['/api/export/csv', ['get']],
    ['/api/import/products', ['post']],
    ['/api/import/categories', ['post']],
    ['/health/live', ['get']],
    ['/health/ready', ['get']],
  ];

  it.each(CONTRACT)('documents %s', (path, methods) => {
    const item = document.paths[path];
    expect(item, `${path} is missing from /openapi.json`).toBeDefined();
    for (const method of methods) expect(Object.keys(item!)).toContain(method);
  });

  it('declares responses for every operation, a success and the error envelope', () => {
    const methods = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options'];
    let operations = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        if (!methods.includes(method)) continue;
        operations += 1;
        const statuses = Object.keys(operation.responses ?? {});
        expect(statuses.length, `${method} ${path} declares no responses`).toBeGreaterThan(0);
        expect(
          statuses.some((status) => /^2\d\d$/.test(status)),
          `${method} ${path} has no success`,
        ).toBe(true);
        // Issue 10: each operation lists the errors it can give (no longer all 13 everywhere),
        // each described and in the error envelope.
        if (path.startsWith('/api/')) {
          expect(statuses, `${method} ${path}`).toEqual(
            expect.arrayContaining(['401', '403', '429', '431', '500', '503']),
          );
        }
        for (const status of statuses.filter((status) => Number(status) >= 400)) {
          const response = operation.responses![status] as {
            description: string;
            content: Record<string, { schema: unknown }>;
          };
          expect(response.description, `${method} ${path} ${status}`).not.toBe('Default Response');
          expect(response.description.length).toBeGreaterThan(20);
          expect(response.content['application/json']!.schema).toEqual({
            $ref: '#/components/schemas/ErrorEnvelope',
          });
        }
      }
    }
    expect(operations).toBeGreaterThanOrEqual(21);
  });

  it('lists only the errors an operation can give', () => {
    const statuses = (path: string, method: string) =>
      Object.keys(document.paths[path]![method]!.responses ?? {});
    // The liveness probe reads nothing and checks nothing: only what reaches every request.
    expect(statuses('/health/live', 'get')).toEqual(['200', '431', '500', '503']);
    // No input at all: nothing to validate, no body, nothing to find.
    expect(statuses('/api/stats', 'get')).toEqual([
      '200',
      '304',
      '401',
      '403',
      '429',
      '431',
      '500',
      '503',
    ]);
    // A query but no path parameter: 422, never 404 or 414.
    expect(statuses('/api/products', 'get')).toContain('422');
    expect(statuses('/api/products', 'get')).not.toContain('404');
    expect(statuses('/api/products', 'get')).not.toContain('414');
    // A path parameter: 404 and 414; a body: 400, 413, 415, 422; a write: 409.
    expect(statuses('/api/categories/{id}', 'patch')).toEqual(
      expect.arrayContaining(['400', '404', '409', '413', '414', '415', '422']),
    );
    expect(statuses('/api/categories', 'post')).not.toContain('404');
  });

  it('documents the upload routes with their content types', () => {
    const products = document.paths['/api/import/products']!.post as {
      requestBody?: { content?: object };
    };
    expect(Object.keys(products.requestBody?.content ?? {})).toEqual(
      expect.arrayContaining(['text/csv', 'multipart/form-data']),
    );
  });

  it('serves Swagger UI at /docs', async () => {
    let response = await test.app.inject({ method: 'GET', url: '/docs' });
    for (
      let hops = 0;
      hops < 3 && response.statusCode >= 300 && response.statusCode < 400;
      hops += 1
    ) {
      const location = String(response.headers.location);
      response = await test.app.inject({
        method: 'GET',
        url: new URL(location, 'http://localhost/docs/').pathname,
      });
    }
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toMatch(/swagger-ui/i);
    expect(response.headers['x-request-id']).toMatch(UUID);
  });
});
