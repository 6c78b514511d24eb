/**
 * The database ceiling: the SQL the API runs for product page 1, executed directly with a pg
 * Pool at the same concurrency as the HTTP scenarios. The statements are not copied: they are
 * captured from the server's own repository functions (listProducts, countProducts,
 * assignmentsOf) through a recording executor, so they follow any change to the repository.
 * One "page" = list (limit 51) and catalog count in parallel, then the page's assignments —
 * the database work of one uncached GET /api/products?limit=50.
 */
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Executor } from '../../server/src/db/client.js';
import { assignmentsOf } from '../../server/src/features/assignments/assignments.repository.js';
import {
  countProducts,
  listProducts,
  type ProductFilters,
} from '../../server/src/features/products/products.repository.js';
import { latencySummary, type LoadFigures } from './load.js';

interface Statement {
  text: string;
  values: unknown[];
}

async function capture(run: (executor: Executor) => Promise<unknown>): Promise<Statement[]> {
  const captured: SQL[] = [];
  const recorder = {
    execute: async (query: SQL) => {
      captured.push(query);
      return { rows: [{}] };
    },
  } as unknown as Executor;
  await run(recorder);
  const dialect = new PgDialect();
  return captured.map((query) => {
    const { sql, params } = dialect.sqlToQuery(query);
    return { text: sql, values: params };
  });
}

export async function pageStatements() {
  const filters = { hide_allocated: false, include_descendants: true } as ProductFilters;
  const list = await capture((db) =>
    listProducts(db, filters, { sort: 'product_name', limit: 51, offset: 0 }),
  );
  const count = await capture((db) => countProducts(db));
  const assignments = await capture((db) => assignmentsOf(db, [1, 2]));
  if (list.length !== 1 || assignments.length !== 1 || count.length < 1) {
    throw new Error('The product repository no longer issues the statements the ceiling expects');
  }
  return { list: list[0]!, count, assignments: assignments[0]! };
}

export async function databaseCeiling(
  url: string,
  connections: number,
  seconds: number,
  warmupSeconds: number,
): Promise<LoadFigures> {
  const statements = await pageStatements();
  const pool = new pg.Pool({ connectionString: url, max: connections });
  pool.on('error', () => {});
  let errors = 0;
  const page = async () => {
    const [list] = await Promise.all([
      pool.query<{ id: number; category_count: number }>(statements.list),
      ...statements.count.map((statement) => pool.query(statement)),
    ]);
    const ids = list.rows.filter((row) => row.category_count > 0).map((row) => row.id);
    if (ids.length > 0) {
      await pool.query({ text: statements.assignments.text, values: [ids] });
    }
  };
  const drive = async (durationMs: number, samples: number[] | undefined) => {
    const end = performance.now() + durationMs;
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < end) {
          const started = performance.now();
          try {
            await page();
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
