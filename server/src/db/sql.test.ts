/**
 * Hot lookups run as named prepared statements (PostgreSQL keeps them per connection); array
 * parameters of integers go as array text built here. (Every write test of both drivers sends
 * its ids through arrayParam too.)
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, databaseUrl, dropTestDatabase } from '../../test/helpers/postgres.js';
import { openDatabase, queryRows, type DatabaseHandle } from './client.js';
import { arrayParam, integerArrayText, preparedRows } from './sql.js';

const postgres = process.env.TEST_DATABASE !== 'pglite';
let name: string;
let database: DatabaseHandle;

beforeAll(async () => {
  if (!postgres) return;
  name = await createTestDatabase();
  database = await openDatabase({
    driver: 'postgres',
    url: databaseUrl(name),
    poolSize: 1, // one connection: the statement must be found on it
    connectionTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    maxLifetimeSeconds: 3600,
    statementTimeoutMs: 60_000,
  });
});
afterAll(async () => {
  if (!postgres) return;
  await database.close();
  await dropTestDatabase(name);
});

describe.runIf(postgres)('preparedRows', () => {
  it('prepares once per connection and answers with rows, in and out of transactions', async () => {
    const lookup = (value: number) => sql`select ${value}::int + 1 as next`;
    expect(await preparedRows(database.db, lookup(1))).toEqual([{ next: 2 }]);
    expect(await preparedRows(database.db, lookup(41))).toEqual([{ next: 42 }]);
    await database.db.transaction(async (transaction) => {
      expect(await preparedRows(transaction as never, lookup(9))).toEqual([{ next: 10 }]);
    });
    const statements = await queryRows<{ name: string; statement: string }>(
      database.db,
      sql`select name, statement from pg_prepared_statements`,
    );
    const mine = statements.filter((row) => row.name.startsWith('tm_'));
    expect(mine).toHaveLength(1);
    expect(mine[0]!.statement).toContain('::int + 1 as next');
  });
});

describe('integerArrayText', () => {
  it('writes integers and nulls as PostgreSQL array text, and refuses anything else', () => {
    expect(integerArrayText([])).toBe('{}');
    expect(integerArrayText([1, -2, 0, null, 2147483647])).toBe('{1,-2,0,NULL,2147483647}');
    expect(integerArrayText([1, 1.5])).toBeUndefined();
    expect(integerArrayText([1, '2'])).toBeUndefined();
    expect(integerArrayText([1, undefined])).toBeUndefined();
    expect(integerArrayText([Number.NaN])).toBeUndefined();
    expect(integerArrayText([2 ** 53])).toBeUndefined();
  });
});

describe.runIf(postgres)('arrayParam', () => {
  it('round-trips integer, null and text arrays through the casts the repositories use', async () => {
    const [row] = await queryRows<{ ints: number[]; small: number[]; texts: string[] }>(
      database.db,
      sql`select ${arrayParam([3, null, -7])}::integer[] as ints,
                 ${arrayParam([1, 2])}::smallint[] as small,
                 ${arrayParam(['a"b', 'c\\d', 'NULL', '', '{x,y}'])}::text[] as texts`,
    );
    expect(row).toEqual({
      ints: [3, null, -7],
      small: [1, 2],
      texts: ['a"b', 'c\\d', 'NULL', '', '{x,y}'],
    });
  });
});
