/**
 * Undo of a whole job (POST /api/jobs/{id}/undo, issue 13): one request checks every change set
 * the job recorded and queues one undo job, where undoing change set by change set took one
 * request per batch (and ran into the bulk rate limit). Real runner, real database, both drivers.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import { createProducts, createSampleTree } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  waitForJob,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

beforeAll(async () => {
  // 12 products, 3 at once, 2 per batch: a bulk job by filter records 6 change sets.
  test = await createTestApp({ BULK_MAX_PRODUCTS: '3', JOB_BATCH_SIZE: '2', JOB_POLL_MS: '20' });
  tree = await createSampleTree(test);
  await createProducts(test, 12);
});
afterAll(async () => {
  expect(await invariantViolations(test.db)).toEqual([]);
  await test?.close();
});

const post = (url: string, payload: unknown = {}) =>
  test.request({ method: 'POST', url, payload: payload as object });

/** Runs a bulk assign by filter as a job and answers the ended job. */
async function bulkJob(categoryIds: number[]) {
  const accepted = await post('/api/bulk/assign', { filter: {}, category_ids: categoryIds });
  expect(accepted.statusCode, accepted.body).toBe(202);
  const job = await waitForJob(test, accepted.json().data.job.id);
  expect(job.state).toBe('succeeded');
  return job;
}

/** Assignments and counters, as md5s of their ordered rows. */
async function content() {
  const [row] = await queryRows<Record<string, string>>(
    test.db,
    sql`select
      (select md5(coalesce(string_agg((product_id, category_id)::text, '|' order by product_id, category_id), '')) from product_categories) as assignments,
      (select md5(coalesce(string_agg((id, product_count)::text, '|' order by id), '')) from categories) as categories,
      (select md5(coalesce(string_agg((id, category_count)::text, '|' order by id), '')) from product_state) as products`,
  );
  return row!;
}

describe('undo of a whole job', () => {
  it('a dry run counts every product, then one undo job restores the state before the job', async () => {
    const before = await content();
    const job = await bulkJob([tree.trowels.id]);
    expect(job.change_set_ids.length).toBe(6);
    expect(await content()).not.toEqual(before);

    const stored = await snapshot(test.db);
    const dry = await post(`/api/jobs/${job.id}/undo`, { dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().data).toMatchObject({ dry_run: true, undone_products: 12, skipped: [] });
    expect(await snapshot(test.db)).toEqual(stored);

    const accepted = await post(`/api/jobs/${job.id}/undo`);
    expect(accepted.statusCode, accepted.body).toBe(202);
    const undoJob = accepted.json().data.job;
    expect(accepted.headers.location).toBe(`/api/jobs/${undoJob.id}`);
    expect(undoJob).toMatchObject({ kind: 'undo', params: { job_id: job.id } });
    expect(undoJob.params.change_set_ids).toEqual([...job.change_set_ids].reverse());
    const ended = await waitForJob(test, undoJob.id);
    expect(ended.state, JSON.stringify(ended)).toBe('succeeded');
    expect(ended.progress).toMatchObject({ done: 12, total: 12 });
    expect(await content()).toEqual(before);

    // Each recorded change set reverts exactly one of the job's, and all of them are reverted.
    const recorded = await queryRows<{ reverts: number }>(
      test.db,
      sql`select reverts::int as reverts from change_sets where job_id = ${undoJob.id} order by id`,
    );
    expect(recorded.map((row) => row.reverts).sort()).toEqual([...job.change_set_ids].sort());

    // Nothing is left to undo; the undo job itself can be undone (a redo).
    const again = await post(`/api/jobs/${job.id}/undo`);
    expectErrorEnvelope(again, 409, 'CONFLICT');
    expect(again.json().details.reason).toBe('nothing_to_undo');
    const redo = await post(`/api/jobs/${undoJob.id}/undo`);
    expect(redo.statusCode, redo.body).toBe(202);
    expect((await waitForJob(test, redo.json().data.job.id)).state).toBe('succeeded');
    expect(await content()).not.toEqual(before);
    const reUndo = await post(`/api/jobs/${redo.json().data.job.id}/undo`);
    expect(reUndo.statusCode, reUndo.body).toBe(202);
    expect((await waitForJob(test, reUndo.json().data.job.id)).state).toBe('succeeded');
    expect(await content()).toEqual(before);
  });

  it('strict: 409 with the conflicts and nothing changed; skip_conflicts undoes the rest', async () => {
    const job = await bulkJob([tree.neutralCure.id]);
    // A later change to one product of the job.
    const later = await test.request({
      method: 'DELETE',
      url: `/api/products/p-005/categories/${tree.neutralCure.id}`,
    });
    expect(later.statusCode, later.body).toBe(200);
    const stored = await snapshot(test.db);
    const strict = await post(`/api/jobs/${job.id}/undo`);
    expectErrorEnvelope(strict, 409, 'CONFLICT');
    expect(strict.json().details).toMatchObject({ reason: 'undo_conflicts', job_id: job.id });
    expect(strict.json().details.conflicts).toEqual([
      expect.objectContaining({ product_id: 'p-005' }),
    ]);
    expect(await snapshot(test.db)).toEqual(stored);

    const skip = await post(`/api/jobs/${job.id}/undo`, { mode: 'skip_conflicts' });
    expect(skip.statusCode, skip.body).toBe(202);
    const ended = await waitForJob(test, skip.json().data.job.id);
    expect(ended.state).toBe('succeeded');
    expect(ended.result).toMatchObject({ undone_products: 11, skipped_products: 1 });
    for (const handle of ['p-001', 'p-012']) {
      const product = await test.request(`/api/products/${handle}`);
      const ids = (product.json().data.categories as { id: number }[]).map((c) => c.id);
      expect(ids).not.toContain(tree.neutralCure.id);
    }
  });

  it('refuses a job that has not ended, an unknown job and a bad body, changing nothing', async () => {
    const stored = await snapshot(test.db);
    const [queued] = await queryRows<{ id: number }>(
      test.db,
      sql`insert into jobs (kind, state, params, actor, source, total, done)
          values ('bulk.assign', 'queued', '{"filter":{},"category_ids":[1]}'::jsonb, 'tester', 'api', 1, 0)
          returning id::int as id`,
    );
    // The runner may claim it meanwhile: queued or running, it has not ended.
    const early = await post(`/api/jobs/${queued!.id}/undo`);
    expectErrorEnvelope(early, 409, 'CONFLICT');
    expect(early.json().details.reason).toBe('job_not_finished');
    await test.db.execute(
      sql`update jobs set state = 'cancelled', finished_at = now() where id = ${queued!.id}`,
    );
    expectErrorEnvelope(await post('/api/jobs/999999/undo'), 404, 'NOT_FOUND');
    expectErrorEnvelope(await post('/api/jobs/abc/undo'), 422, 'VALIDATION_ERROR');
    expectErrorEnvelope(
      await post(`/api/jobs/${queued!.id}/undo`, { mode: 'everything' }),
      422,
      'VALIDATION_ERROR',
    );
    expectErrorEnvelope(
      await post(`/api/jobs/${queued!.id}/undo`, { dry_run: true, extra: 1 }),
      422,
      'VALIDATION_ERROR',
    );
    const empty = await post(`/api/jobs/${queued!.id}/undo`);
    expectErrorEnvelope(empty, 409, 'CONFLICT');
    expect(empty.json().details.reason).toBe('nothing_to_undo');
    const after = await snapshot(test.db);
    expect({ ...after, jobs: undefined }).toEqual({ ...stored, jobs: undefined });
  });
});
