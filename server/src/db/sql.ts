/** Small SQL fragments shared by the repositories. */
import { sql, type SQL } from 'drizzle-orm';
import type { Executor } from './client.js';

/** A timestamptz column as ISO-8601 UTC with milliseconds, the API's time format. */
export const isoTime = (column: SQL) =>
  sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** One array parameter (Drizzle would otherwise expand a JS array into a list). */
export const arrayParam = (values: readonly unknown[]) => sql.param(values);

/** Escapes LIKE wildcards so user text is matched literally. */
export const likeContains = (text: string) => `%${text.replace(/[\\%_]/g, (char) => `\\${char}`)}%`;

export type Transaction = Parameters<Parameters<Executor['transaction']>[0]>[0];

/** Runs `work` in one transaction (both drivers); repositories receive the transaction. */
export function inTransaction<Result>(
  executor: Executor,
  work: (transaction: Executor) => Promise<Result>,
): Promise<Result> {
  return executor.transaction((transaction) => work(transaction as unknown as Executor));
}
