/**
 * H2 of the hardening review: requests built to make validation expensive. A 1 MiB JSON body of
 * 96,000 unknown keys used to block the event loop for 13 s and answer a 10 MB error (the
 * duplicate check was quadratic, and every issue was listed twice). Now the whole error path is
 * linear, a body stops at its first error, an object body with more members than any body of
 * the API needs is refused unparsed, and a 422 lists at most 50 errors plus their count.
 */
import { MAX_REPORTED_FIELD_ERRORS, type ValidationErrorDetails } from '@tag-manager/contract';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exceedsObjectMembers } from '../../src/http/json-body.js';
import { fieldErrorsFromValidation } from '../../src/plugins/error-handler.js';
import { expectErrorEnvelope } from '../helpers/envelope.js';
import { createTestApp, snapshot, type TestApp } from '../helpers/test-app.js';

const MiB = 1_048_576;
/** The bound on an error body: 50 short errors, twice, and the envelope. */
const MAX_ERROR_BODY_BYTES = 20_000;

/** `{"name":"x","k0":1,"k1":1,…}` of exactly `bytes` bytes. */
function unknownKeysBody(bytes: number, keyPrefix = 'k'): string {
  const members = ['"name":"x"'];
  let size = 2 + members[0]!.length;
  for (let index = 0; ; index += 1) {
    const member = `"${keyPrefix}${index}":1`;
    if (size + member.length + 1 > bytes) break;
    members.push(member);
    size += member.length + 1;
  }
  const text = `{${members.join(',')}}`;
  return text + ' '.repeat(bytes - text.length);
}

/** A bulk body whose product ids are objects: one issue per id under `allErrors`. */
function bulkOfObjects(bytes: number): string {
  const ids: string[] = [];
  let size = 40;
  for (let index = 0; size < bytes; index += 1) {
    const id = `{"x":${index}}`;
    ids.push(id);
    size += id.length + 1;
  }
  return `{"product_ids":[${ids.join(',')}],"category_ids":[1]}`;
}

const post = (url: string, payload: string): InjectOptions => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json' },
  payload,
});

/**
 * The acceptance check is a bound on one request: "answers in under 100 ms". One warm-up
 * request first (the first request of a process pays for compiling the code paths); then the
 * probe. The app runs in this process (inject), so the probe's cost is read as this process's
 * CPU time (user + system) over the request rather than wall-clock time: the same work, but
 * not stretched by other processes on a loaded machine (CI at load average 20 took 114–696 ms of
 * wall-clock for 5–30 ms of work). The defect this guards against took 13 s of CPU.
 */
async function probe(test: TestApp, request: InjectOptions) {
  await test.request(request);
  const started = process.cpuUsage();
  const response = await test.request(request);
  const used = process.cpuUsage(started);
  return { response, milliseconds: (used.user + used.system) / 1000 };
}

function expectBoundedValidationError(response: Awaited<ReturnType<TestApp['request']>>) {
  expect(response.body.length).toBeLessThan(MAX_ERROR_BODY_BYTES);
  const body = expectErrorEnvelope(response, 422, 'VALIDATION_ERROR');
  const details = body.details as unknown as ValidationErrorDetails;
  expect(details.field_errors.length).toBeGreaterThan(0);
  expect(details.field_errors.length).toBeLessThanOrEqual(MAX_REPORTED_FIELD_ERRORS);
  expect(details.error_count).toBeGreaterThanOrEqual(details.field_errors.length);
  expect(details.truncated).toBe(details.error_count > details.field_errors.length);
  return details;
}

describe('at the default body limit (1 MiB)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp();
  });
  afterAll(async () => {
    await test?.close();
  });

  it('a 1 MiB body of unknown keys answers 422 in under 100 ms with a small error', async () => {
    const payload = unknownKeysBody(MiB);
    expect(Buffer.byteLength(payload)).toBe(MiB);
    const before = await snapshot(test.db);
    const { response, milliseconds } = await probe(test, post('/api/categories', payload));
    const details = expectBoundedValidationError(response);
    expect(details.field_errors).toEqual([
      { field: 'body', message: 'has more than 1000 object members' },
    ]);
    expect(details.error_count).toBe(1);
    expect(milliseconds).toBeLessThan(100);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('a body just under the member limit is validated up to its first unknown key', async () => {
    // 999 unknown keys of 1,000 characters each: parsed, then refused at the first one.
    const keys = Array.from(
      { length: 999 },
      (_, index) => `"${String(index).padEnd(1000, 'k')}":1`,
    );
    const payload = `{"name":"x",${keys.join(',')}}`;
    const { response, milliseconds } = await probe(test, post('/api/categories', payload));
    const details = expectBoundedValidationError(response);
    expect(details.error_count).toBe(1);
    expect(details.field_errors[0]!.message).toBe('is not a known field');
    // The key is echoed only in part.
    expect(details.field_errors[0]!.field.length).toBeLessThan(260);
    expect(details.field_errors[0]!.field).toMatch(/^0k+… \(1000 characters\)$/);
    expect(milliseconds).toBeLessThan(100);
  });

  it('a bulk body at its own limit (~3 MB) of malformed ids answers at once', async () => {
    const payload = bulkOfObjects(3_000_000);
    const { response, milliseconds } = await probe(test, post('/api/bulk/assign', payload));
    expectBoundedValidationError(response);
    expect(milliseconds).toBeLessThan(100);
  });

  it('a bulk body of many wrongly typed ids (no object members) reports the first only', async () => {
    const ids = Array.from({ length: 200_000 }, (_, index) => index);
    const payload = JSON.stringify({ product_ids: ids, category_ids: [1] });
    const { response, milliseconds } = await probe(test, post('/api/bulk/remove', payload));
    const details = expectBoundedValidationError(response);
    expect(details.error_count).toBe(1);
    expect(milliseconds).toBeLessThan(100);
  });

  it('handles containing ":" are not object members: a valid bulk body is not refused', async () => {
    const ids = Array.from({ length: 2000 }, (_, index) => `a:b:c:${index}`);
    const response = await test.request(
      post('/api/bulk/assign', JSON.stringify({ product_ids: ids, category_ids: [987_654] })),
    );
    expect(response.statusCode).toBe(200);
  });

  it('a query string of 3,000 unknown parameters lists 50 errors and counts them all', async () => {
    const query = Array.from({ length: 3000 }, (_, index) => `unknown${index}=1`).join('&');
    const response = await test.request(`/api/products?${query}`);
    const details = expectBoundedValidationError(response);
    expect(details.field_errors).toHaveLength(MAX_REPORTED_FIELD_ERRORS);
    expect(details.field_errors[0]).toEqual({ field: 'unknown0', message: 'is not a known field' });
    expect(details.error_count).toBe(3000);
    expect(details.truncated).toBe(true);
    expect(response.json<{ error: string }>().error).toBe('3000 fields are invalid');
  });
});

describe('with a larger BODY_LIMIT_BYTES (4 MiB)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await createTestApp({ BODY_LIMIT_BYTES: String(4 * MiB) });
  });
  afterAll(async () => {
    await test?.close();
  });

  it('a 4 MiB body of unknown keys answers 422 in under 100 ms with a small error', async () => {
    const { response, milliseconds } = await probe(
      test,
      post('/api/categories', unknownKeysBody(4 * MiB)),
    );
    expectBoundedValidationError(response);
    expect(milliseconds).toBeLessThan(100);
  });
});

describe('fieldErrorsFromValidation', () => {
  it('is linear: 300,000 distinct issues (a quadratic check would take minutes)', () => {
    const issues = Array.from({ length: 300_000 }, (_, index) => ({
      instancePath: '',
      keyword: 'additionalProperties',
      params: { additionalProperty: `key${index}` },
      message: 'must NOT have additional properties',
    }));
    const { fieldErrors, errorCount } = fieldErrorsFromValidation(issues, 'body');
    expect(errorCount).toBe(300_000);
    expect(fieldErrors).toHaveLength(MAX_REPORTED_FIELD_ERRORS);
  });

  it('counts a duplicate once and keeps an anyOf message only as the first for its field', () => {
    const { fieldErrors, errorCount } = fieldErrorsFromValidation(
      [
        { instancePath: '/a', keyword: 'type', params: {}, message: 'must be integer' },
        { instancePath: '/a', keyword: 'type', params: {}, message: 'must be integer' },
        {
          instancePath: '/a',
          keyword: 'anyOf',
          params: {},
          message: 'must match a schema in anyOf',
        },
        {
          instancePath: '/b',
          keyword: 'anyOf',
          params: {},
          message: 'must match a schema in anyOf',
        },
        { instancePath: '/b', keyword: 'type', params: {}, message: 'must be string' },
      ],
      'body',
    );
    expect(fieldErrors).toEqual([
      { field: 'a', message: 'must be integer' },
      { field: 'b', message: 'must match a schema in anyOf' },
      { field: 'b', message: 'must be string' },
    ]);
    expect(errorCount).toBe(3);
  });
});

describe('exceedsObjectMembers', () => {
  it('counts colons outside strings only, escapes included', () => {
    expect(exceedsObjectMembers('{"a":1,"b":{"c":2}}', 2)).toBe(true);
    expect(exceedsObjectMembers('{"a":1,"b":{"c":2}}', 3)).toBe(false);
    expect(exceedsObjectMembers('{"a":"x:y:z","b\\":c":"\\\\"}', 2)).toBe(false);
    expect(exceedsObjectMembers('["a:b","c:d"]', 0)).toBe(false);
  });
});
