/**
 * Every GIN index on products that a read searches keeps a small pending list (migration 0025):
 * with the default 4 MB, an import left ~1,100 unsorted pages that every search, suggestion and
 * tag filter then scanned in full (suggestions p50 17.9 → 27.1 ms at 1,000,000 products).
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';

let test: TestApp;

beforeAll(async () => {
  test = await createTestApp({ RATE_LIMIT_ENABLED: 'false', CACHE_ENABLED: 'false' });
});
afterAll(async () => {
  await test.close();
});

describe('GIN pending lists on products', () => {
  it('each GIN index of products has gin_pending_list_limit of at most 256 kB', async () => {
    const rows = await queryRows<{ name: string; options: string[] | null }>(
      test.db,
      sql`select i.relname as name, i.reloptions as options
            from pg_index x
            join pg_class i on i.oid = x.indexrelid
            join pg_am am on am.oid = i.relam
           where x.indrelid = 'products'::regclass and am.amname = 'gin'
           order by i.relname`,
    );
    expect(rows.map((row) => row.name)).toEqual([
      'products_name_words_idx',
      'products_search_document_idx',
      'products_tags_idx',
    ]);
    for (const row of rows) {
      const limit = (row.options ?? [])
        .map((option) => /^gin_pending_list_limit=(\d+)$/.exec(option)?.[1])
        .find((value) => value !== undefined);
      expect(limit, `${row.name}: ${JSON.stringify(row.options)}`).toBeDefined();
      expect(Number(limit)).toBeLessThanOrEqual(256);
    }
  });
});
