/**
 * A scenario's database ceiling: the SQL the app sends for that scenario's requests, replayed
 * directly on a pg Pool at the same concurrency as the HTTP run. The statements are not copied:
 * they are captured from the real app (sql-capture.ts), one request per variant of the
 * scenario (its search terms, handles, limits), so they follow any change to the server. One
 * "request" = that request's waves in order, each wave's statements at once, as the app issued
 * them. What the app adds over this (HTTP, routing, validation, JSON) is the gap to shrink.
 */
import pg from 'pg';
import type { CapturedRequest } from './sql-capture.js';
import { latencySummary, type LoadFigures } from './load.js';

export async function databaseCeiling(
  url: string,
  requests: CapturedRequest[],
  connections: number,
  seconds: number,
  warmupSeconds: number,
): Promise<LoadFigures> {
  if (requests.length === 0) throw new Error('No captured requests to replay');
  const pool = new pg.Pool({ connectionString: url, max: connections });
  pool.on('error', () => {});
  let errors = 0;
  let next = 0;
  const replay = async (request: CapturedRequest) => {
    for (const wave of request.waves) {
      await Promise.all(
        wave.map((statement) =>
          pool.query({
            text: statement.text,
            values: statement.values,
            ...(statement.name ? { name: statement.name } : {}),
            ...(statement.rowMode === 'array' ? { rowMode: 'array' as const } : {}),
          }),
        ),
      );
    }
  };
  const drive = async (durationMs: number, samples: number[] | undefined) => {
    const end = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < end) {
          const request = requests[next++ % requests.length]!;
          const started = performance.now();
          try {
            await replay(request);
            samples?.push(performance.now() - started);
          } catch {
            if (samples) errors += 1;
          }
        }
      }),
    );
  };
  try {
    await drive(warmupSeconds * 1000, undefined);
    const samples: number[] = [];
    const started = performance.now();
    await drive(seconds * 1000, samples);
    const elapsed = (performance.now() - started) / 1000;
    return {
      connections,
      seconds: elapsed,
      requests: samples.length,
      requestsPerSecond: samples.length / elapsed,
      ...latencySummary(samples),
      non2xx: 0,
      errors,
      cacheHitRate: null,
      rowHitRate: null,
    };
  } finally {
    await pool.end();
  }
}
