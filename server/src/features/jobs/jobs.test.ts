/**
 * Jobs over HTTP on a real database (both drivers): list and filters, one job with its ETag
 * (304 on an unchanged poll), cancel of a queued, a running and a finished job, bad input.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne } from '../../db/client.js';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import { createTestApp, type TestApp } from '../../../test/helpers/test-app.js';

let test: TestApp;

/** A job row written as a runner would leave it (the runner is off in this file). */
async function insertJob(state: string, kind = 'bulk.assign'): Promise<number> {
  const row = await queryOne<{ id: number }>(
    test.db,
    sql`insert into jobs (kind, state, params, actor, source, total, done, finished_at)
        values (${kind}, ${state}, '{"category_ids":[1]}'::jsonb, 'tester', 'api', 10,
                ${state === 'succeeded' ? 10 : 0},
                ${['succeeded', 'failed', 'cancelled'].includes(state) ? sql`now()` : sql`null`})
        returning id`,
  );
  return Number(row!.id);
}

beforeAll(async () => {
  test = await createTestApp({ JOB_RUNNER: 'false' });
});
afterAll(async () => {
  await test.close();
});

describe('jobs', () => {
  it('lists jobs newest first, filtered by state and kind', async () => {
    const queued = await insertJob('queued');
    const done = await insertJob('succeeded', 'bulk.remove');
    const all = await test.request('/api/jobs');
    expect(all.statusCode).toBe(200);
    expect(all.json().data.map((job: { id: number }) => job.id)).toEqual([done, queued]);
    expect(all.json().metadata.total_jobs).toBe(2);
    const byState = await test.request('/api/jobs?state=queued');
    expect(byState.json().data.map((job: { id: number }) => job.id)).toEqual([queued]);
    const byKind = await test.request('/api/jobs?kind=bulk.remove');
    expect(byKind.json().data.map((job: { id: number }) => job.id)).toEqual([done]);
    expect((await test.request('/api/jobs?state=sleeping')).statusCode).toBe(422);
    expect((await test.request('/api/jobs?kind=nope')).statusCode).toBe(422);
  });

  it('answers one job with an ETag, and 304 while it has not changed', async () => {
    const id = await insertJob('running');
    const first = await test.request(`/api/jobs/${id}`);
    expect(first.statusCode).toBe(200);
    const job = first.json().data;
    expect(job).toMatchObject({ id, state: 'running', progress: { done: 0, total: 10 } });
    expect(job.change_set_ids).toEqual([]);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"/);
    const again = await test.request({
      method: 'GET',
      url: `/api/jobs/${id}`,
      headers: { 'if-none-match': etag },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    await test.db.execute(sql`update jobs set done = 5 where id = ${id}`);
    const changed = await test.request({
      method: 'GET',
      url: `/api/jobs/${id}`,
      headers: { 'if-none-match': etag },
    });
    expect(changed.statusCode).toBe(200);
    expect(changed.json().data.progress.done).toBe(5);
    expect(changed.headers.etag).not.toBe(etag);
  });

  it('cancels a queued job at once and flags a running one; a finished job is a 409', async () => {
    const queued = await insertJob('queued');
    const cancelled = await test.request({ method: 'POST', url: `/api/jobs/${queued}/cancel` });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json().data).toMatchObject({ state: 'cancelled', cancel_requested: true });
    expect(cancelled.json().data.finished_at).not.toBeNull();

    const running = await insertJob('running');
    const flagged = await test.request({ method: 'POST', url: `/api/jobs/${running}/cancel` });
    expect(flagged.statusCode).toBe(200);
    expect(flagged.json().data).toMatchObject({ state: 'running', cancel_requested: true });

    for (const state of ['succeeded', 'failed', 'cancelled']) {
      const id = await insertJob(state);
      const refused = await test.request({ method: 'POST', url: `/api/jobs/${id}/cancel` });
      expectErrorEnvelope(refused, 409, 'CONFLICT');
      expect(refused.json().error).toContain(`already finished (${state})`);
      const after = await test.request(`/api/jobs/${id}`);
      expect(after.json().data.state).toBe(state);
      expect(after.json().data.cancel_requested).toBe(false);
    }
  });

  it('answers 404 for an unknown job and 422 for a malformed id', async () => {
    expect((await test.request('/api/jobs/999999')).statusCode).toBe(404);
    expect(
      (await test.request({ method: 'POST', url: '/api/jobs/999999/cancel' })).statusCode,
    ).toBe(404);
    expect((await test.request('/api/jobs/abc')).statusCode).toBe(422);
    expect((await test.request('/api/jobs/0')).statusCode).toBe(422);
  });
});
