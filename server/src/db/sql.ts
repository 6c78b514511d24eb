/** Small SQL fragments shared by the repositories. */
import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.js';

/** A timestamptz column as ISO-8601 UTC with milliseconds, the API's time format. */
export const isoTime = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One array parameter (Drizzle would otherwise expand a JS array into a list). */
export const arrayParam = (values: readonly unknown[]) => sql.param(values);

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
