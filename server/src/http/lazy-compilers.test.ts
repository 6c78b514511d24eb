/**
 * Route schemas compiled on first use (docs/performance-memory.md): nothing compiles before its
 * route is called, a stand-in validates and serializes exactly as the compiled function, and every
 * schema of the app still compiles (compileAll: what a start used to prove).
 */
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';
import { LazyCompilers } from './lazy-compilers.js';

const schema = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 2 }, count: { type: 'integer' } },
  required: ['name'],
  additionalProperties: false,
};

describe('validators compiled on first use', () => {
  it('compiles on the first call only, and gives the compiled function’s result and errors', () => {
    const lazy = new LazyCompilers();
    const ajv = new Ajv({ allErrors: true });
    let compiled = 0;
    const compiler = lazy.validators(({ schema: routeSchema }) => {
      compiled += 1;
      return ajv.compile(routeSchema as object);
    });
    const validate = compiler({ schema, method: 'POST', url: '/x', httpPart: 'body' }) as ((
      data: unknown,
    ) => boolean) & { errors?: unknown };
    expect(compiled).toBe(0);
    expect(lazy.pendingCount).toBe(1);

    expect(validate({ name: 'ab', count: 1 })).toBe(true);
    expect(validate.errors).toBeNull();
    expect(validate({ name: 'a', extra: true })).toBe(false);
    const reference = ajv.compile(schema);
    reference({ name: 'a', extra: true });
    expect(validate.errors).toEqual(reference.errors);
    expect(validate({ name: 'abc' })).toBe(true);
    expect(validate.errors).toBeNull();
    expect(compiled).toBe(1);
    expect(lazy.pendingCount).toBe(0);
  });

  it('compileAll compiles what no call has compiled yet, and a broken schema throws there', () => {
    const lazy = new LazyCompilers();
    const ajv = new Ajv();
    const compiler = lazy.validators(({ schema: routeSchema }) =>
      ajv.compile(routeSchema as object),
    );
    compiler({ schema, method: 'GET', url: '/a', httpPart: 'querystring' });
    compiler({ schema, method: 'GET', url: '/b', httpPart: 'querystring' });
    expect(lazy.compileAll()).toBe(2);
    expect(lazy.pendingCount).toBe(0);

    compiler({ schema: { type: 'no-such-type' }, method: 'GET', url: '/c', httpPart: 'params' });
    expect(() => lazy.compileAll()).toThrow();
  });
});

describe('serializers compiled on first use', () => {
  it('writes the same JSON as fast-json-stringify, compiling on the first call', () => {
    const lazy = new LazyCompilers();
    const compile = lazy.serializers()({}, {});
    const serialize = compile({ schema, method: 'GET', url: '/x', httpStatus: '200' });
    expect(lazy.pendingCount).toBe(1);
    // Properties outside the schema are left out, as the compiled serializer does.
    expect(serialize({ name: 'ab', count: 3, secret: 'no' })).toBe('{"name":"ab","count":3}');
    expect(lazy.pendingCount).toBe(0);
    expect(serialize({ name: 'cd' })).toBe('{"name":"cd"}');
  });
});

describe('the app', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test?.close();
  });

  it('starts with its route schemas uncompiled, and every one of them compiles', async () => {
    await test.app.ready();
    const pending = test.app.schemaCompilers.pendingCount;
    expect(pending).toBeGreaterThan(50);

    // A request compiles only what its route needs: its validators and its answer's serializer.
    const answer = await test.request('/api/categories/tree');
    expect(answer.statusCode).toBe(200);
    const invalid = await test.request('/api/products?limit=nope');
    expect(invalid.statusCode).toBe(422);
    expect(invalid.json()).toMatchObject({ success: false, error: 'limit: must be integer' });
    const afterRequests = test.app.schemaCompilers.pendingCount;
    expect(afterRequests).toBeLessThan(pending);
    expect(afterRequests).toBeGreaterThan(pending - 10);

    // What a start used to prove: every schema of every route compiles.
    expect(test.app.schemaCompilers.compileAll()).toBe(afterRequests);
    expect(test.app.schemaCompilers.pendingCount).toBe(0);
  });
});
