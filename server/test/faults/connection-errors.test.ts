/**
 * What the error handler makes of the ways a database connection fails, as pg, pg-pool and
 * Drizzle report them: every one is a 503 SERVICE_UNAVAILABLE naming the database (a client
 * may retry), never a 500. The same failures caused by a real PostgreSQL restart are in
 * faults.test.ts.
 */
import { DrizzleQueryError } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { toAppError } from '../../src/plugins/error-handler.js';

function networkError(code: string) {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:5432`), { code, syscall: 'connect' });
}

function postgresError(code: string, message: string) {
  return Object.assign(new pg.DatabaseError(message, 100, 'error'), { code });
}

/** How Drizzle reports a failed query: its own error, the driver's as the cause. */
const drizzle = (cause: Error) => new DrizzleQueryError('select 1', [], cause);

describe('connection failures → 503 SERVICE_UNAVAILABLE (database)', () => {
  it.each([
    ['refused (PostgreSQL down)', networkError('ECONNREFUSED')],
    ['refused, through Drizzle', drizzle(networkError('ECONNREFUSED'))],
    [
      'refused on every address of a host name (AggregateError)',
      Object.assign(new AggregateError([networkError('ECONNREFUSED')], ''), {
        code: undefined,
      }),
    ],
    ['reset', drizzle(networkError('ECONNRESET'))],
    ['host unreachable', drizzle(networkError('EHOSTUNREACH'))],
    ['pool checkout timeout', new Error('timeout exceeded when trying to connect')],
    [
      'connect timeout',
      drizzle(
        new Error('Connection terminated due to connection timeout', {
          cause: new Error('Connection terminated unexpectedly'),
        }),
      ),
    ],
    ['connection lost mid-query', drizzle(new Error('Connection terminated unexpectedly'))],
    [
      'a broken client reused (rollback after the connection broke)',
      drizzle(new Error('Client has encountered a connection error and is not queryable')),
    ],
    [
      '57P01 admin_shutdown (pg_ctl stop -m fast)',
      drizzle(postgresError('57P01', 'terminating connection due to administrator command')),
    ],
    ['57P02 crash_shutdown', postgresError('57P02', 'terminating connection')],
    [
      '57P03 cannot_connect_now (starting up or shutting down)',
      postgresError('57P03', 'the database system is starting up'),
    ],
    ['08006 connection_failure', drizzle(postgresError('08006', 'connection failure'))],
    ['53300 too_many_connections', postgresError('53300', 'sorry, too many clients already')],
  ])('%s', (_name, error) => {
    const mapped = toAppError(error);
    expect(mapped.statusCode).toBe(503);
    expect(mapped.code).toBe('SERVICE_UNAVAILABLE');
    expect(mapped.details).toMatchObject({ dependency: 'database' });
  });

  it('leaves other failures alone: a conflict is a 409, a bug a 500', () => {
    expect(toAppError(drizzle(postgresError('23505', 'duplicate key'))).statusCode).toBe(409);
    expect(toAppError(new TypeError('undefined is not a function')).statusCode).toBe(500);
    expect(toAppError(drizzle(new Error('syntax error at or near "selec"'))).statusCode).toBe(500);
  });
});
