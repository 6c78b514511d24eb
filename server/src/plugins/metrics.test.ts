/** /metrics after real traffic: every family the alert rules and the Monitoring page read. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProducts, createSampleTree } from '../../test/helpers/fixtures.js';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

let test: TestApp;

beforeAll(async () => {
  test = await createTestApp();
  await createSampleTree(test);
  await createProducts(test, 5);
});
afterAll(() => test?.close());

async function scrape() {
  const response = await test.app.inject('/metrics');
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.body;
}

/** The value of one sample line, e.g. value(text, 'cache_hits_total{cache="stats"}'). */
function value(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${sample} `));
  return line === undefined ? undefined : Number(line.slice(sample.length + 1));
}

describe('GET /metrics', () => {
  it('counts requests by route pattern, errors by code, and cache hits and misses', async () => {
    for (let i = 0; i < 3; i += 1) await test.request('/api/stats');
    await test.request('/api/products/no-such-product');
    await test.request('/api/products?limit=nope');
    const text = await scrape();

    expect(
      value(
        text,
        'http_request_duration_seconds_count{method="GET",route="/api/stats",status_code="200"}',
      ),
    ).toBe(3);
    expect(
      value(
        text,
        'http_request_duration_seconds_count{method="GET",route="/api/products/:product_id",status_code="404"}',
      ),
    ).toBe(1);
    expect(value(text, 'http_errors_total{code="NOT_FOUND",status_code="404"}')).toBe(1);
    expect(value(text, 'http_errors_total{code="VALIDATION_ERROR",status_code="422"}')).toBe(1);
    expect(value(text, 'cache_misses_total{cache="stats"}')).toBe(1);
    expect(value(text, 'cache_hits_total{cache="stats"}')).toBe(2);
    // The scrape itself is in flight while it is answered.
    expect(value(text, 'http_requests_in_flight')).toBe(1);
  });

  it('reports the catalog, the dependencies, the pool and the process', async () => {
    const text = await scrape();
    expect(value(text, 'catalog_products')).toBe(5);
    expect(value(text, 'catalog_categorized_ratio')).toBe(0);
    expect(value(text, 'dependency_up{dependency="database"}')).toBe(1);
    expect(text).not.toContain('dependency_up{dependency="redis"}');
    if (test.driver === 'postgres') {
      expect(value(text, 'db_pool_size')).toBe(5);
      expect(value(text, 'db_pool_clients{state="waiting"}')).toBe(0);
      expect(value(text, 'db_pool_clients{state="total"}')).toBeGreaterThan(0);
      expect(value(text, 'db_pool_acquire_seconds_count')).toBeGreaterThan(0);
    }
    for (const family of [
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_p99_seconds',
      'nodejs_heap_size_used_bytes',
      'nodejs_gc_duration_seconds',
    ]) {
      expect(text).toContain(`# TYPE ${family} `);
    }
  });

  it('counts imported and exported rows', async () => {
    const csv = await test.request('/api/export/csv');
    expect(csv.statusCode).toBe(200);
    const text = await scrape();
    expect(value(text, 'export_rows_total')).toBe(5);
    // createProducts imported the 5 products through the CSV import.
    expect(value(text, 'import_rows_total{kind="products"}')).toBe(5);
  });

  it('is not part of the API document', async () => {
    const document = test.app.swagger() as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });

  it('names the database driver, so the Monitoring page can explain a missing pool', async () => {
    const text = await scrape();
    expect(value(text, `db_driver{driver="${test.driver}"}`)).toBe(1);
    // The embedded database has no pool: no pool series, rather than zeros.
    if (test.driver === 'pglite') expect(value(text, 'db_pool_size')).toBeUndefined();
    else expect(value(text, 'db_pool_size')).toBeGreaterThan(0);
  });
});
