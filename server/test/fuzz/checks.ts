/**
 * What every answer must be, whatever was asked: never a server error; an error envelope (with
 * the code that belongs to its status) for anything that is not a success or a 304; the request
 * id echoed when the client sent a well-formed one. (The OpenAPI contract check happens in the
 * test app's `request()`.)
 */
import { ERROR_CODE_FOR_STATUS } from '@tag-manager/contract';
import { parse } from 'csv-parse/sync';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { expectErrorEnvelope } from '../helpers/envelope.js';

/** What the checks read of an answer (a real inject response, or a fake one in unit tests). */
export type ResponseLike = Pick<LightMyRequestResponse, 'statusCode' | 'headers' | 'body'>;

/** The code each error status carries (PRODUCT.md, "Error envelope"). */
export const CODE_FOR_STATUS = ERROR_CODE_FOR_STATUS;

const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The largest error answer: an error reports at most 50 problems, each with a bounded field name
 * and message (issue 9, H2: a 1 MiB body of unknown keys once answered a 10 MB error).
 */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** What a spreadsheet reads as a formula at the start of a cell (issue 9, M1). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** Throws when a cell of a CSV answer would run as a formula in Excel or Sheets. */
export function checkCsvCells(body: string): void {
  const rows = parse(body, { bom: true, relax_column_count: true }) as string[][];
  rows.forEach((row, line) =>
    row.forEach((cell, column) => {
      if (FORMULA_START.test(cell)) {
        throw new Error(
          `CSV line ${line + 1}, column ${column + 1} starts a formula: ${JSON.stringify(cell.slice(0, 80))}`,
        );
      }
    }),
  );
}

function header(response: ResponseLike, name: string): string | undefined {
  const value = response.headers[name];
  return value === undefined ? undefined : String(value);
}

/** Throws, saying what is wrong, when an answer breaks a rule every answer must keep. */
export function checkResponse(request: InjectOptions, response: ResponseLike): void {
  const status = response.statusCode;
  if (status >= 500) {
    throw new Error(`server error ${status}: ${response.body.slice(0, 500)}`);
  }
  const sentHeaders = (request.headers ?? {}) as Record<string, string | undefined>;
  const requestId = header(response, 'x-request-id');
  if (!requestId) throw new Error('the answer has no X-Request-Id header');
  const sentId = sentHeaders['x-request-id'];
  if (sentId !== undefined && WELL_FORMED_REQUEST_ID.test(sentId) && requestId !== sentId) {
    throw new Error(`X-Request-Id ${requestId} is not the well-formed one sent (${sentId})`);
  }

  // HEAD answers have no body to check; the document has no HEAD operations (Fastify adds them).
  if (String(request.method).toUpperCase() === 'HEAD') return;

  if (status === 304) {
    if (sentHeaders['if-none-match'] === undefined) {
      throw new Error('304 Not Modified without an If-None-Match');
    }
    if (response.body !== '') throw new Error('304 with a body');
    return;
  }
  if (status >= 200 && status < 300) {
    const contentType = header(response, 'content-type') ?? '';
    if (contentType.startsWith('text/csv')) checkCsvCells(response.body);
    if (status !== 204 && contentType.startsWith('application/json')) {
      const body = JSON.parse(response.body) as { success?: unknown; request_id?: unknown };
      if (body.success !== true) throw new Error(`${status} without success: true`);
      if (body.request_id !== requestId) {
        throw new Error(`body request_id ${String(body.request_id)} ≠ header ${requestId}`);
      }
    }
    return;
  }
  if (Buffer.byteLength(response.body) > MAX_ERROR_BODY_BYTES) {
    throw new Error(
      `${status} error answer of ${Buffer.byteLength(response.body)} bytes (at most ${MAX_ERROR_BODY_BYTES})`,
    );
  }
  if (status === 412 && sentHeaders['if-match'] === undefined) {
    throw new Error('412 Precondition Failed without an If-Match');
  }
  const code = CODE_FOR_STATUS[status];
  if (!code) throw new Error(`unexpected status ${status}: ${response.body.slice(0, 300)}`);
  // The shared helper asserts the envelope, the code and the request id (vitest's expect).
  const readable = {
    statusCode: status,
    headers: response.headers,
    body: response.body,
    json: () => JSON.parse(response.body) as unknown,
  };
  expectErrorEnvelope(readable as unknown as LightMyRequestResponse, status, code);
  if (status === 405) {
    const allow = header(response, 'allow');
    if (!allow) throw new Error('405 without an Allow header');
    const allowed = allow.split(',').map((method) => method.trim());
    if (allowed.includes(String(request.method ?? 'GET').toUpperCase())) {
      throw new Error(`405 whose Allow header (${allow}) lists the method used`);
    }
  }
}
