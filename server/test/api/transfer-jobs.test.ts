/**
 * Imports and exports as jobs (issue 13): an import records a job of kind `import.products`
 * whose counters (rows read, products written) grow batch by batch while the upload is still
 * being sent; an export records an `export.csv` job with its rows written; a transfer whose
 * process died ends as failed with its progress, saying that the upload is gone.
 */
import { PassThrough } from 'node:stream';
import type { Job } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noChangeNotifier } from '../../src/cache/namespaces.js';
import { queryRows } from '../../src/db/client.js';
import { JobRunner } from '../../src/features/jobs/job-runner.js';
import { shopifyCsv } from '../helpers/fixtures.js';
import { createTestApp, snapshot, type TestApp } from '../helpers/test-app.js';

let test: TestApp;

beforeAll(async () => {
  // No runner in the background: the takeover test runs one by hand.
  test = await createTestApp({ JOB_RUNNER: 'false' });
});
afterAll(async () => {
  await test.close();
});

const rows = (from: number, count: number) =>
  Array.from({ length: count }, (_, index) => {
    const number = String(from + index).padStart(5, '0');
    return { handle: `t-${number}`, title: `Transfer ${number}` };
  });

/** POST /api/import/products with a CSV body, no job reserved. */
const importFile = (csv: string) =>
  test.request({
    method: 'POST',
    url: '/api/import/products',
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  });

async function reserve(kind: 'import.products' | 'export.csv'): Promise<Job> {
  const response = await test.request({
    method: 'POST',
    url: '/api/transfer-jobs',
    payload: { kind },
  });
  expect(response.statusCode).toBe(201);
  const job = (response.json() as { data: Job }).data;
  expect(response.headers.location).toBe(`/api/jobs/${job.id}`);
  return job;
}

async function readJob(id: number): Promise<Job> {
  const response = await test.request(`/api/jobs/${id}`);
  expect(response.statusCode).toBe(200);
  return (response.json() as { data: Job }).data;
}

async function changeSetsOf(jobId: number) {
  return queryRows<{ kind: string; product_count: number }>(
    test.db,
    sql`select kind, cardinality(product_ids) as product_count from change_sets
         where job_id = ${jobId} order by id`,
  );
}

describe('an import as a job', () => {
  it('shows rows read and products written while the upload is still being sent', async () => {
    const job = await reserve('import.products');
    expect(job).toMatchObject({ kind: 'import.products', state: 'running' });
    const body = new PassThrough();
    const upload = test.app.inject({
      method: 'POST',
      url: `/api/import/products?job_id=${job.id}`,
      headers: { 'content-type': 'text/csv' },
      payload: body,
    });
    const csv = shopifyCsv(rows(1, 4500));
    const lines = csv.split('\n');
    const header = lines[0]!;
    // The header and the first 2,500 rows: one batch (2,000 rows) is committed.
    body.write(`${[header, ...lines.slice(1, 2501)].join('\n')}\n`);
    let during: Job;
    for (;;) {
      during = await readJob(job.id);
      if ((during.progress.counters.rows_read ?? 0) > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(during.state).toBe('running');
    expect(during.progress.counters).toEqual({ rows_read: 2000, products_written: 2000 });
    expect(during.progress.done).toBe(2000);
    body.end(`${lines.slice(2501).join('\n')}`);
    const response = await upload;
    expect(response.statusCode).toBe(200);
    expect(response.headers['x-job-id']).toBe(String(job.id));
    expect(response.json().data).toMatchObject({ records: 4500, created: 4500 });

    const done = await readJob(job.id);
    expect(done.state).toBe('succeeded');
    expect(done.progress.counters).toEqual({ rows_read: 4500, products_written: 4500 });
    expect(done.result).toMatchObject({ records: 4500, created: 4500 });
    // One change set per committed batch, each naming its products, all with the job's id.
    // Two batches are written side by side (imports.service.ts): either may commit first.
    const sets = await changeSetsOf(job.id);
    expect(sets.sort((a, b) => b.product_count - a.product_count)).toEqual([
      { kind: 'import.products', product_count: 2000 },
      { kind: 'import.products', product_count: 2000 },
      { kind: 'import.products', product_count: 500 },
    ]);
    expect(done.change_set_ids).toHaveLength(3);
  });

  it('an import of several batches written side by side stores every product once, as its row says', async () => {
    // 7,000 products: four batches, two written at once (imports.service.ts).
    const products = rows(20_000, 7000).map((row, index) => ({
      ...row,
      vendor: `Vendor ${index % 7}`,
      status: ['active', 'draft', 'archived'][index % 3]!,
    }));
    const counters = await queryRows<{ products: number; archived: number }>(
      test.db,
      sql`select sum(products)::int as products, sum(archived)::int as archived from catalog_counters`,
    );
    const response = await importFile(shopifyCsv(products));
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().data).toMatchObject({ records: 7000, created: 7000, updated: 0 });
    const stored = await queryRows<{
      product_id: string;
      product_name: string;
      vendor: string;
      status: string;
    }>(
      test.db,
      sql`select product_id, product_name, vendor, status from products
           where product_id like 't-2%' order by product_id`,
    );
    expect(stored).toEqual(
      products.map((row) => ({
        product_id: row.handle,
        product_name: row.title,
        vendor: row.vendor,
        status: row.status,
      })),
    );
    // The counters (one shard per statement, batches side by side) add up.
    const after = await queryRows<{ products: number; archived: number }>(
      test.db,
      sql`select sum(products)::int as products, sum(archived)::int as archived from catalog_counters`,
    );
    expect(after[0]!.products - counters[0]!.products).toBe(7000);
    expect(after[0]!.archived - counters[0]!.archived).toBe(2333);
    const job = await readJob(Number(response.headers['x-job-id']));
    expect(job.progress.counters).toEqual({ rows_read: 7000, products_written: 7000 });
    expect((await changeSetsOf(job.id)).map((set) => set.product_count).sort()).toEqual([
      1000, 2000, 2000, 2000,
    ]);
    // Imported again: every row read, nothing written.
    const again = await importFile(shopifyCsv(products));
    expect(again.json().data).toMatchObject({
      records: 7000,
      created: 0,
      updated: 0,
      unchanged: 7000,
    });
  });

  it('a batch rolled back by a deadlock is written again; one that keeps failing fails the import with 503', async () => {
    // PostgreSQL picks a deadlock's victim; here a trigger plays it, on the first attempts only.
    await test.db.execute(sql`create sequence test_deadlock_attempts`);
    await test.db.execute(sql`create table test_deadlock_limit (attempts int not null)`);
    await test.db.execute(sql`insert into test_deadlock_limit values (1)`);
    await test.db.execute(sql`
      create function test_deadlock_victim() returns trigger language plpgsql as $$
      begin
        if nextval('test_deadlock_attempts') <= (select attempts from test_deadlock_limit) then
          raise exception 'deadlock detected (test)' using errcode = '40P01';
        end if;
        return null;
      end $$`);
    await test.db.execute(sql`
      create trigger test_deadlock_victim after insert on products
        for each statement execute function test_deadlock_victim()`);
    try {
      const once = await importFile(shopifyCsv(rows(40_000, 3)));
      expect(once.statusCode, once.body).toBe(200);
      expect(once.json().data).toMatchObject({ created: 3 });
      const attempts = async () =>
        (
          await queryRows<{ n: string }>(
            test.db,
            sql`select last_value::text as n from test_deadlock_attempts`,
          )
        )[0]!.n;
      expect(await attempts()).toBe('2');

      await test.db.execute(sql`update test_deadlock_limit set attempts = 1000`);
      const before = await snapshot(test.db);
      const always = await importFile(shopifyCsv(rows(41_000, 3)));
      expect(always.statusCode, always.body).toBe(503);
      expect(always.json()).toMatchObject({
        code: 'SERVICE_UNAVAILABLE',
        details: { retryable: true },
      });
      // Three attempts, then the import gives up; nothing of the batch is stored.
      expect(await attempts()).toBe('5');
      const stored = await queryRows<{ n: number }>(
        test.db,
        sql`select count(*)::int as n from products where product_id like 't-41%'`,
      );
      expect(stored[0]!.n).toBe(0);
      expect((await snapshot(test.db)).products).toEqual(before.products);
    } finally {
      await test.db.execute(sql`drop trigger test_deadlock_victim on products`);
      await test.db.execute(sql`drop function test_deadlock_victim()`);
      await test.db.execute(sql`drop table test_deadlock_limit`);
      await test.db.execute(sql`drop sequence test_deadlock_attempts`);
    }
  });

  it('without job_id records a job of its own (X-Job-Id); unchanged rows are read, not written', async () => {
    const response = await importFile(shopifyCsv(rows(1, 10)));
    expect(response.statusCode).toBe(200);
    const job = await readJob(Number(response.headers['x-job-id']));
    expect(job).toMatchObject({ kind: 'import.products', state: 'succeeded' });
    expect(job.progress.counters).toEqual({ rows_read: 10, products_written: 0 });
  });

  it('a refused file changes nothing stored: its reserved job is left waiting, no job of its own stays', async () => {
    const job = await reserve('import.products');
    const before = await snapshot(test.db);
    const response = await test.request({
      method: 'POST',
      url: `/api/import/products?job_id=${job.id}`,
      headers: { 'content-type': 'text/csv' },
      payload: 'name,price\nwidget,3\n',
    });
    expect(response.statusCode).toBe(422);
    expect(await snapshot(test.db)).toEqual(before);
    // The reserved job is as it was (the runner ends it after JOB_STALE_SECONDS).
    expect(await readJob(job.id)).toEqual(job);

    // Without a reserved job a refused upload leaves nothing stored, not even a job.
    const jobsBefore = await queryRows<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from jobs`,
    );
    const unreserved = await importFile('name,price\nwidget,3\n');
    expect(unreserved.statusCode).toBe(422);
    const jobsAfter = await queryRows<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from jobs`,
    );
    expect(jobsAfter[0]!.n).toBe(jobsBefore[0]!.n);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('a job_id that is not a reserved import: 404 or 409, and nothing is imported', async () => {
    const post = (id: number) =>
      test.request({
        method: 'POST',
        url: `/api/import/products?job_id=${id}`,
        headers: { 'content-type': 'text/csv' },
        payload: shopifyCsv(rows(90000, 3)),
      });
    expect((await post(999999)).statusCode).toBe(404);
    const exportJob = await reserve('export.csv');
    expect((await post(exportJob.id)).statusCode).toBe(409);
    const used = await reserve('import.products');
    expect((await post(used.id)).statusCode).toBe(200);
    const again = await post(used.id);
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('CONFLICT');
    const written = await queryRows<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from products where product_id like 't-9000%'`,
    );
    expect(written[0]!.n).toBe(3); // only the one accepted upload
  });

  it('a transfer whose process died ends as failed with its progress; the message says the upload is gone', async () => {
    const job = await reserve('import.products');
    // As a process killed mid-import leaves it: running, one batch committed, heartbeat stale.
    await test.db.execute(
      sql`update jobs set owner = 'transfer-dead', done = 2000,
                          counters = '{"rows_read": 2000, "products_written": 1500}'::jsonb,
                          heartbeat_at = now() - interval '1 hour'
           where id = ${job.id}`,
    );
    const runner = new JobRunner(
      test.db,
      noChangeNotifier,
      { services: test.app.services },
      {
        pollMs: 1000,
        staleSeconds: 60,
        batchSize: 1000,
        log: { info: () => {}, error: () => {} },
      },
    );
    expect(await runner.runOne()).toBe(true);
    const failed = await readJob(job.id);
    expect(failed.state).toBe('failed');
    expect(failed.error?.code).toBe('INTERRUPTED');
    expect(failed.error?.message).toMatch(/upload went with it/);
    expect(failed.progress).toMatchObject({
      done: 2000,
      counters: { rows_read: 2000, products_written: 1500 },
    });
    expect(failed.result).toEqual({ rows_read: 2000, products_written: 1500 });
  });
});

describe('an export as a job', () => {
  it.each(['/api/export/csv', '/api/export/shopify.csv'])(
    '%s records rows written and succeeds',
    async (path) => {
      const counted = await queryRows<{ n: number }>(
        test.db,
        sql`select count(*)::int as n from products`,
      );
      const total = counted[0]!.n;
      const job = await reserve('export.csv');
      const response = await test.request(`${path}?job_id=${job.id}`);
      expect(response.statusCode).toBe(200);
      expect(response.headers['x-job-id']).toBe(String(job.id));
      let done: Job;
      do done = await readJob(job.id);
      while (done.state === 'running');
      expect(done.state).toBe('succeeded');
      expect(done.progress.counters).toEqual({ rows_written: total });
      // The progress had its total from the start: one row per product.
      expect(done.progress).toMatchObject({ done: total, total });
      expect(done.result).toEqual({ rows_written: total });
    },
  );

  it('a filtered export has the filtered count as its total', async () => {
    const counted = await queryRows<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from product_state where category_count = 0`,
    );
    const job = await reserve('export.csv');
    const response = await test.request(`/api/export/csv?hide_allocated=true&job_id=${job.id}`);
    expect(response.statusCode).toBe(200);
    let done: Job;
    do done = await readJob(job.id);
    while (done.state === 'running');
    expect(done.progress).toMatchObject({ done: counted[0]!.n, total: counted[0]!.n });
  });
});
