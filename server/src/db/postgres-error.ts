/**
 * PostgreSQL's error, wherever a driver or Drizzle wrapped it (a DrizzleQueryError's `cause`,
 * for one): the first error in the `cause` chain with a five-character SQLSTATE `code`.
 */
export function findPostgresError(error: unknown): { code: string; message: string } | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) {
      return current as { code: string; message: string };
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A deadlock (40P01) or a serialization failure (40001): PostgreSQL rolled the transaction back
 * and the same work, run again, may succeed.
 */
export function isRetryableConflict(error: unknown): boolean {
  const code = findPostgresError(error)?.code;
  return code === '40P01' || code === '40001';
}
