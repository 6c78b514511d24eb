/**
 * The job runner on real PostgreSQL: a 200,000-product job cancelled midway leaves whole batches
 * only, and its change sets list exactly the changed products; two app instances never run one
 * job twice (concurrent claims, and whole runs); the app killed with SIGKILL mid-job (a real
 * server process) resumes the job after a restart, and the data keeps its invariants.
 * (PostgreSQL only: a second instance and a second process need a shared server.)
 */
import type { Job } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase, queryOne, queryRows, type Executor } from '../../db/client.js';
import { cleanupAll, sleep, startApp } from '../../../test/faults/harness.js';
import {
  createTestDatabase,
  databaseUrl,
  dropTestDatabase,
} from '../../../test/helpers/postgres.js';
import {
  createTestApp,
  invariantViolations,
  type TestApp,
} from '../../../test/helpers/test-app.js';
import { claimJob } from './jobs.repository.js';

const postgres = process.env.TEST_DATABASE !== 'pglite';

async function addProducts(db: Executor, count: number, vendor = 'Runner'): Promise<void> {
  await db.execute(sql`
    insert into products (product_id, product_name, vendor)
    select ${vendor.toLowerCase()} || '-' || n, 'Runner product ' || n, ${vendor}
      from generate_series(1, ${count}) n`);
}

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await sleep(20);
  }
}

const FINISHED = ['succeeded', 'failed', 'cancelled'];

async function jobOf(test: TestApp, id: number): Promise<Job> {
  return (await test.request(`/api/jobs/${id}`)).json().data as Job;
}

/** The products of a job's change sets: each listed once, and the total. */
async function changeSetProducts(db: Executor, jobId: number) {
  const rows = await queryRows<{ product_ids: number[] }>(
    db,
    sql`select product_ids from change_sets where job_id = ${jobId} order by id`,
  );
  const all = rows.flatMap((row) => row.product_ids);
  return { sizes: rows.map((row) => row.product_ids.length), all, distinct: new Set(all) };
}

async function assignedTo(db: Executor, categoryId: number): Promise<number[]> {
  const rows = await queryRows<{ product_id: number }>(
    db,
    sql`select product_id from product_categories where category_id = ${categoryId} order by 1`,
  );
  return rows.map((row) => row.product_id);
}

afterAll(async () => {
  await cleanupAll();
});

describe.runIf(postgres)('a 200,000-product job cancelled midway', () => {
  let test: TestApp;
  afterAll(async () => {
    await test?.close();
  });

  it(
    'leaves whole batches only, and its change sets list exactly the changed products',
    { timeout: 600_000 },
    async () => {
      const BATCH = 5000;
      test = await createTestApp({
        JOB_BATCH_SIZE: String(BATCH),
        JOB_POLL_MS: '20',
        BULK_MAX_PRODUCTS: '100',
      });
      await addProducts(test.db, 200_000);
      const category = (
        await test.request({
          method: 'POST',
          url: '/api/categories',
          payload: { name: 'Cancelled' },
        })
      ).json().data.id as number;

      const accepted = await test.request({
        method: 'POST',
        url: '/api/bulk/assign',
        payload: { filter: { vendor: 'Runner' }, category_ids: [category] },
      });
      expect(accepted.statusCode, accepted.body).toBe(202);
      const id = accepted.json().data.job.id as number;
      await waitFor(
        () => jobOf(test, id),
        (job) => job.progress.done >= BATCH || FINISHED.includes(job.state),
      );
      const cancel = await test.request({ method: 'POST', url: `/api/jobs/${id}/cancel` });
      expect(cancel.statusCode).toBe(200);
      const job = await waitFor(
        () => jobOf(test, id),
        (value) => FINISHED.includes(value.state),
      );
      expect(job.state).toBe('cancelled');
      expect(job.cancel_requested).toBe(true);
      expect(job.progress.total).toBe(200_000);
      expect(job.progress.done % BATCH).toBe(0);
      expect(job.progress.done).toBeGreaterThanOrEqual(BATCH);
      expect(job.progress.done).toBeLessThan(200_000);
      expect(job.result).toMatchObject({ products_processed: job.progress.done });

      // Every finished batch is there in full, nothing of the rest.
      const assigned = await assignedTo(test.db, category);
      expect(assigned.length).toBe(job.progress.done);
      const changed = await changeSetProducts(test.db, id);
      expect(changed.sizes.every((size) => size === BATCH)).toBe(true);
      expect(job.change_set_ids.length).toBe(job.progress.done / BATCH);
      expect(changed.all.length).toBe(changed.distinct.size);
      expect([...changed.distinct].sort((a, b) => a - b)).toEqual(assigned);
      // The snapshot is gone with the job.
      const items = await queryOne<{ n: number }>(
        test.db,
        sql`select count(*)::int as n from job_items where job_id = ${id}`,
      );
      expect(items!.n).toBe(0);
      expect(await invariantViolations(test.db)).toEqual([]);
      // Cancelling it again: it has finished.
      const again = await test.request({ method: 'POST', url: `/api/jobs/${id}/cancel` });
      expect(again.statusCode).toBe(409);
    },
  );
});

describe.runIf(postgres)('two app instances on one database', () => {
  let first: TestApp;
  let second: TestApp;
  afterAll(async () => {
    await second?.close();
    await first?.close();
  });

  it(
    'never claim one job twice, and run every job exactly once',
    { timeout: 600_000 },
    async () => {
      first = await createTestApp({ JOB_RUNNER: 'false' });
      second = await first.peer({ JOB_RUNNER: 'false' });
      // 40 queued jobs, claimed by both instances at once until none is left.
      for (let n = 0; n < 40; n++) {
        await first.db.execute(
          sql`insert into jobs (kind, params, actor, source) values ('bulk.assign', '{}'::jsonb, 'x', 'api')`,
        );
      }
      const claims = async (db: Executor, owner: string) => {
        const ids: number[] = [];
        for (;;) {
          const claimed = await claimJob(db, owner, 3600);
          if (!claimed) return ids;
          ids.push(claimed.job.id);
        }
      };
      const [a, b] = await Promise.all([claims(first.db, 'first'), claims(second.db, 'second')]);
      expect(a.length + b.length).toBe(40);
      expect(new Set([...a, ...b]).size).toBe(40);
      expect(a.filter((id) => b.includes(id))).toEqual([]);
      await first.db.execute(sql`delete from jobs`);
      await first.close();
      await second.close();

      // Both runners on: six jobs of several batches each, each run once.
      const options = { JOB_BATCH_SIZE: '50', JOB_POLL_MS: '10', BULK_MAX_PRODUCTS: '10' };
      first = await createTestApp(options);
      second = await first.peer(options);
      const categories: number[] = [];
      for (let n = 0; n < 6; n++) {
        await addProducts(first.db, 400, `Vendor${n}`);
        categories.push(
          (
            await first.request({
              method: 'POST',
              url: '/api/categories',
              payload: { name: `Twice ${n}` },
            })
          ).json().data.id,
        );
      }
      const ids: number[] = [];
      for (let n = 0; n < 6; n++) {
        const via = n % 2 === 0 ? first : second;
        const accepted = await via.request({
          method: 'POST',
          url: '/api/bulk/assign',
          payload: { filter: { vendor: `Vendor${n}` }, category_ids: [categories[n]] },
        });
        expect(accepted.statusCode, accepted.body).toBe(202);
        ids.push(accepted.json().data.job.id);
      }
      for (const [n, id] of ids.entries()) {
        const job = await waitFor(
          () => jobOf(first, id),
          (value) => FINISHED.includes(value.state),
        );
        expect(job.state).toBe('succeeded');
        expect(job.progress).toMatchObject({ done: 400, total: 400 });
        const row = await queryOne<{ attempts: number }>(
          first.db,
          sql`select attempts from jobs where id = ${id}`,
        );
        expect(row!.attempts).toBe(1);
        const changed = await changeSetProducts(first.db, id);
        expect(changed.sizes).toEqual([50, 50, 50, 50, 50, 50, 50, 50]);
        expect(changed.distinct.size).toBe(400);
        expect((await assignedTo(first.db, categories[n]!)).length).toBe(400);
      }
      const owners = await queryRows<{ owner: string }>(
        first.db,
        sql`select distinct owner from jobs`,
      );
      expect(owners.length).toBeGreaterThanOrEqual(1);
      expect(await invariantViolations(first.db)).toEqual([]);
    },
  );
});

describe.runIf(postgres)('the app killed with SIGKILL during a job', () => {
  let database: string | undefined;
  afterAll(async () => {
    await cleanupAll();
    if (database) await dropTestDatabase(database);
  });

  // Two server processes start one after the other on a loaded machine: a generous timeout.
  it(
    'resumes the job from its last finished batch after a restart; invariants hold',
    { timeout: 600_000 },
    async () => {
      // A migrated database of its own, written directly and served by real server processes.
      database = await createTestDatabase();
      const handle = await openDatabase({
        driver: 'postgres',
        url: databaseUrl(database),
        poolSize: 2,
        connectionTimeoutMs: 10_000,
        idleTimeoutMs: 10_000,
        maxLifetimeSeconds: 3600,
        statementTimeoutMs: 60_000,
      });
      const db = handle.db;
      try {
        await addProducts(db, 20_000, 'Killed');
        const env = {
          DATABASE_URL: databaseUrl(database),
          JOB_BATCH_SIZE: '500',
          JOB_POLL_MS: '50',
          JOB_STALE_SECONDS: '2',
          RATE_LIMIT_ENABLED: 'false',
        };
        const app = await startApp('jobs-killed', env);
        const category = await fetch(`${app.url}/api/categories`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Survives a kill' }),
        }).then(async (response) => ((await response.json()) as { data: { id: number } }).data.id);
        const accepted = await fetch(`${app.url}/api/bulk/assign`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ filter: { vendor: 'Killed' }, category_ids: [category] }),
        });
        expect(accepted.status).toBe(202);
        const id = ((await accepted.json()) as { data: { job: Job } }).data.job.id;
        const progress = () =>
          queryOne<{ done: number; total: number | null; state: string }>(
            db,
            sql`select done, total, state from jobs where id = ${id}`,
          ).then((row) => row!);
        await waitFor(
          progress,
          (row) => row.done >= 1500 || (row.state !== 'running' && row.state !== 'queued'),
        );
        app.signal('SIGKILL');
        await app.exited;

        const killed = await progress();
        expect(killed.state).toBe('running');
        expect(killed.done % 500).toBe(0);
        expect(killed.done).toBeLessThan(20_000);
        // Only whole batches: as many assignments as products done, and no orphan rows.
        expect((await assignedTo(db, category)).length).toBe(killed.done);
        expect(await invariantViolations(db)).toEqual([]);

        const restarted = await startApp('jobs-restarted', env);
        const end = await waitFor(progress, (row) => FINISHED.includes(row.state));
        expect(end).toMatchObject({ state: 'succeeded', done: 20_000, total: 20_000 });
        const row = await queryOne<{ attempts: number }>(
          db,
          sql`select attempts from jobs where id = ${id}`,
        );
        expect(row!.attempts).toBe(2);
        expect((await assignedTo(db, category)).length).toBe(20_000);
        const changed = await changeSetProducts(db, id);
        expect(changed.all.length).toBe(20_000);
        expect(changed.distinct.size).toBe(20_000);
        expect(await invariantViolations(db)).toEqual([]);
        await restarted.stop();
      } finally {
        await handle.close();
      }
    },
  );
});
