/** Small SQL fragments shared by the repositories. */
import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.js';

/** A timestamptz column as ISO-8601 UTC with milliseconds, the API's time format. */
export const isoTime = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * One array parameter (Drizzle would otherwise expand a JS array into a list).
 *
 * An array of integers (and nulls) goes as PostgreSQL's array text, built here: node-postgres
 * would turn each element into a string, escape it with two regular expressions and quote it,
 * ~30 ms of the server's CPU for the four 90,000-element arrays of a bulk assign of
 * 10,000 × 3 (docs/performance-limits.md, "Bulk writes"). Anything else goes as the array.
 */
export const arrayParam = (values: readonly unknown[]) =>
  sql.param(integerArrayText(values) ?? values);

/** `{1,2,NULL}` for an array of safe integers and nulls; undefined for any other array. */
export function integerArrayText(values: readonly unknown[]): string | undefined {
  let text = '{';
  for (let i = 0; i < values.length; i += 1) {
    const value = values[i];
    if (i > 0) text += ',';
    if (value === null) text += 'NULL';
    else if (Number.isSafeInteger(value)) text += String(value);
    else return undefined;
  }
  return `${text}}`;
}

/** A LIKE pattern that matches `text` literally (its wildcards and backslashes escaped). */
export const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/** A LIKE pattern for "contains `text`", matched literally. */
export const likeContains = (text: string) => `%${likeLiteral(text)}%`;

export type Transaction = Parameters<Parameters<Executor['transaction']>[0]>[0];

/** Runs `work` in one transaction (both drivers); repositories receive the transaction. */
export function inTransaction<Result>(
  executor: Executor,
  work: (transaction: Executor) => Promise<Result>,
): Promise<Result> {
  return executor.transaction((transaction) => work(transaction as unknown as Executor));
}

/** What a Drizzle database or transaction holds inside (not in its public types). */
interface DrizzleInternals {
  dialect: { sqlToQuery(query: SQL): { sql: string; params: unknown[] } };
  session: {
    prepareQuery(
      query: { sql: string; params: unknown[] },
      fields: undefined,
      name: string | undefined,
      isResponseInArrayMode: boolean,
    ): { execute(): Promise<unknown> };
  };
}

const statementNames = new Map<string, string>();

/**
 * Runs a hot query of fixed shape as a named prepared statement: PostgreSQL parses and plans it
 * once per connection, and later runs only bind and execute. Only for queries whose best plan
 * does not depend on the parameters (lookups by key); the rest stay unnamed, planned per call.
 * (PGlite ignores the name.)
 */
export async function preparedRows<Row>(executor: Executor, query: SQL): Promise<Row[]> {
  const internals = executor as unknown as Partial<DrizzleInternals>;
  if (!internals.session || !internals.dialect) {
    // Not a Drizzle database (the query-plan test's EXPLAIN wrapper): run it the plain way.
    const result = (await executor.execute(query)) as unknown as { rows: Row[] };
    return result.rows;
  }
  const built = internals.dialect.sqlToQuery(query);
  let name = statementNames.get(built.sql);
  if (name === undefined) {
    name = `tm_${createHash('sha1').update(built.sql).digest('hex').slice(0, 16)}`;
    statementNames.set(built.sql, name);
  }
  const result = await internals.session.prepareQuery(built, undefined, name, false).execute();
  return (result as { rows: Row[] }).rows;
}
