/** Assertions on the error envelope shared by the API tests. */
import type { ErrorCode } from '@tag-manager/contract';
import type { LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Asserts the error envelope, with the header and body request ids agreeing. */
export function expectErrorEnvelope(
  response: LightMyRequestResponse,
  status: number,
  code: ErrorCode,
  field?: string,
) {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.json();
  expect(Object.keys(body).sort()).toEqual([
    'code',
    'details',
    'error',
    'request_id',
    'success',
    'timestamp',
  ]);
  expect(body.success).toBe(false);
  expect(body.code).toBe(code);
  expect(typeof body.error).toBe('string');
  expect(body.error.length).toBeGreaterThan(0);
  expect(body.details).toBeTypeOf('object');
  expect(body.details).not.toBeNull();
  expect(Array.isArray(body.details)).toBe(false);
  expect(body.timestamp).toMatch(ISO_UTC);
  expect(typeof body.request_id).toBe('string');
  expect(body.request_id).toBe(response.headers['x-request-id']);
  if (code === 'VALIDATION_ERROR') {
    expect(Array.isArray(body.details.field_errors)).toBe(true);
    expect(body.details.validation_errors).toEqual(body.details.field_errors);
  }
  if (field !== undefined) {
    expect(body.details.field_errors).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
  }
  if (code === 'NOT_FOUND') {
    expect(body.details).toEqual(expect.objectContaining({ resource: expect.any(String) }));
    expect(body.details).toHaveProperty('identifier');
  }
  return body;
}
