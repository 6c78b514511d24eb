/**
 * History and undo (issue 13): the log's filters, undo conflicts (strict 409 with the list,
 * skip_conflicts undoes the rest), dry runs, undoing twice, and bad input. Exact undo and redo of
 * every change kind is in change-kinds.test.ts.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import { createJob } from '../jobs/jobs.repository.js';
import { applyDecidedChange } from './apply-change.js';
import { findChange } from './changes.repository.js';
import { undoJobKind } from './undo-job.js';
import { createProducts, createSampleTree, shopifyCsv } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

beforeAll(async () => {
  test = await createTestApp();
  tree = await createSampleTree(test);
  await createProducts(test, 8);
});
afterAll(async () => {
  await test?.close();
});

const post = (url: string, payload: unknown) =>
  test.request({ method: 'POST', url, payload: payload as object });
const undo = (id: number, body: unknown = {}) => post(`/api/changes/${id}/undo`, body);

interface Listed {
  id: number;
  kind: string;
  actor: string;
  product_ids: number[];
  category_ids: number[];
  job_id: number | null;
  reverts: number | null;
  reversible: string;
}
async function changes(query = ''): Promise<{ data: Listed[]; total: number }> {
  const response = await test.request(`/api/changes?limit=500${query}`);
  expect(response.statusCode, response.body).toBe(200);
  const body = response.json();
  return { data: body.data, total: body.metadata.total_changes };
}
const latestId = async () => (await changes()).data[0]!.id;
const latestOf = async (app: TestApp) =>
  (await app.request('/api/changes?limit=1')).json().data[0].id as number;

/** The assignment and counter tables, timestamps aside (md5 of their ordered rows). */
async function tableContent(app: TestApp): Promise<Record<string, string>> {
  const [row] = await queryRows<Record<string, string>>(
    app.db,
    sql`select
      (select md5(coalesce(string_agg((product_id, category_id, category_level, parent_category_id)::text, '|' order by product_id, category_id), '')) from product_categories) as product_categories,
      (select md5(coalesce(string_agg((id, name, level, parent_id, product_count)::text, '|' order by id), '')) from categories) as categories,
      (select md5(coalesce(string_agg((id, category_count)::text, '|' order by id), '')) from product_state) as products,
      (select (sum(products), sum(categorized))::text from catalog_counters) as counters`,
  );
  return row!;
}

async function categoriesOf(handle: string): Promise<number[]> {
  const response = await test.request(`/api/products/${handle}`);
  return (response.json().data.categories as { id: number }[]).map((row) => row.id).sort();
}

describe('undo conflicts', () => {
  it('strict: 409 with the conflicting products, nothing changed; skip_conflicts undoes the rest', async () => {
    const assigned = await post('/api/bulk/assign', {
      product_ids: ['p-001', 'p-002', 'p-003', 'p-004'],
      category_ids: [tree.trowels.id],
    });
    expect(assigned.statusCode).toBe(200);
    const bulkId = await latestId();
    const before = {
      p001: await categoriesOf('p-001'),
      p002: await categoriesOf('p-002'),
    };
    expect(before.p001).toEqual([tree.tools.id, tree.trowels.id].sort());

    // Later: p-002 gains a sibling under the same parent (undoing would orphan it); p-003 gains
    // an unrelated category (no conflict).
    expect(
      (await post('/api/products/p-002/categories', { category_ids: [tree.batteryGuns.id] }))
        .statusCode,
    ).toBe(201);
    const laterId = await latestId();
    expect(
      (await post('/api/products/p-003/categories', { category_ids: [tree.silicone.id] }))
        .statusCode,
    ).toBe(201);

    const stored = await snapshot(test.db);
    const strict = await undo(bulkId);
    expect(strict.statusCode).toBe(409);
    const error = strict.json();
    expect(error.code).toBe('CONFLICT');
    expect(error.details).toMatchObject({ reason: 'undo_conflicts', conflict_count: 1 });
    expect(error.details.conflicts).toEqual([
      {
        product_id: 'p-002',
        category_id: expect.any(Number),
        change_set_id: laterId,
        reason: expect.stringContaining(`change set ${laterId} (product.assign)`),
      },
    ]);
    expect(await snapshot(test.db)).toEqual(stored);

    // A dry run says what would happen and writes nothing.
    const dry = await undo(bulkId, { mode: 'skip_conflicts', dry_run: true });
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json().data).toMatchObject({
      dry_run: true,
      change_set_id: null,
      undone_products: 3,
      skipped: [{ product_id: 'p-002', change_set_id: laterId }],
    });
    expect(await snapshot(test.db)).toEqual(stored);

    const skipped = await undo(bulkId, { mode: 'skip_conflicts' });
    expect(skipped.statusCode, skipped.body).toBe(200);
    const result = skipped.json().data;
    expect(result).toMatchObject({ dry_run: false, undone_products: 3, undone_categories: 0 });
    expect(result.skipped.map((item: { product_id: string }) => item.product_id)).toEqual([
      'p-002',
    ]);
    expect(await categoriesOf('p-001')).toEqual([]);
    expect(await categoriesOf('p-004')).toEqual([]);
    expect(await categoriesOf('p-003')).toEqual([tree.sealants.id, tree.silicone.id].sort());
    expect(await categoriesOf('p-002')).toEqual(
      [tree.tools.id, tree.trowels.id, tree.guns.id, tree.batteryGuns.id].sort(),
    );
    expect(await invariantViolations(test.db)).toEqual([]);

    // Recorded as a bulk remove that reverts the bulk assign, over the undone products only.
    const recorded = (await changes()).data[0]!;
    expect(recorded).toMatchObject({
      id: result.change_set_id,
      kind: 'bulk.remove',
      reverts: bulkId,
      reversible: 'exact',
      job_id: null,
    });
    expect(recorded.product_ids).toHaveLength(3);

    // Undone once only, even in part.
    const again = await undo(bulkId, { mode: 'skip_conflicts' });
    expect(again.statusCode).toBe(409);
    expect(again.json().details).toMatchObject({
      reason: 'already_undone',
      undone_by: result.change_set_id,
    });

    // Undoing the undo redoes it for those three products.
    const redo = await undo(result.change_set_id);
    expect(redo.statusCode, redo.body).toBe(200);
    expect(await categoriesOf('p-001')).toEqual(before.p001);
    expect(await invariantViolations(test.db)).toEqual([]);
  });

  it('finds a conflict the log cannot show: a removed category deleted since', async () => {
    const child = await post('/api/categories', { name: 'Undo Child', parent_id: tree.trowels.id });
    expect(child.statusCode).toBe(201);
    const childId = child.json().data.id as number;
    expect(
      (await post('/api/products/p-005/categories', { category_ids: [childId] })).statusCode,
    ).toBe(201);
    const removed = await test.request({
      method: 'DELETE',
      url: `/api/products/p-005/categories/${tree.trowels.id}`,
    });
    expect(removed.statusCode).toBe(200);
    const removeId = await latestId();
    const deleted = await test.request({ method: 'DELETE', url: `/api/categories/${childId}` });
    expect(deleted.statusCode).toBe(204);

    const stored = await snapshot(test.db);
    const refused = await undo(removeId);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().details.conflicts).toEqual([
      expect.objectContaining({
        product_id: 'p-005',
        category_id: childId,
        reason: `category ${childId} no longer exists`,
      }),
    ]);
    expect(await snapshot(test.db)).toEqual(stored);
  });

  it('refuses to delete a created category that has a child now (strict and skip)', async () => {
    const parent = await post('/api/categories', { name: 'Undo Parent' });
    const parentCreated = await latestId();
    const child = await post('/api/categories', {
      name: 'Undo Kid',
      parent_id: parent.json().data.id,
    });
    expect(child.statusCode).toBe(201);
    const stored = await snapshot(test.db);
    const strict = await undo(parentCreated);
    expect(strict.statusCode).toBe(409);
    expect(strict.json().details.conflicts).toEqual([
      expect.objectContaining({
        product_id: null,
        category_id: parent.json().data.id,
        reason: 'a child category of it stays',
      }),
    ]);
    const skipped = await undo(parentCreated, { mode: 'skip_conflicts' });
    expect(skipped.statusCode).toBe(200);
    expect(skipped.json().data).toMatchObject({ undone_categories: 0, change_set_id: null });
    expect(await snapshot(test.db)).toEqual(stored);
  });

  it('two undos of one change set at once: one undoes, the other gets 409', async () => {
    const assigned = await post('/api/products/p-006/categories', {
      category_ids: [tree.neutralCure.id],
    });
    expect(assigned.statusCode).toBe(201);
    const id = await latestId();
    const answers = await Promise.all([undo(id), undo(id), undo(id)]);
    const statuses = answers.map((answer) => answer.statusCode).sort();
    expect(statuses).toEqual([200, 409, 409]);
    expect(await categoriesOf('p-006')).toEqual([]);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('bad undo requests', () => {
  it('answers 404 for an unknown change set, 422 for a bad id or body, nothing changed', async () => {
    const stored = await snapshot(test.db);
    const unknown = await undo(9_999_999);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().code).toBe('NOT_FOUND');
    // No body at all is `{}`: the same answer.
    const bodiless = await test.request({ method: 'POST', url: '/api/changes/9999999/undo' });
    expect(bodiless.statusCode).toBe(404);
    const id = await latestId();
    for (const body of [
      { mode: 'force' },
      { dry_run: 'yes' },
      { mode: 'strict', extra: 1 },
      [],
      42,
    ]) {
      const answer = await undo(id, body);
      expect(answer.statusCode, JSON.stringify(body)).toBe(422);
      expect(answer.json().code).toBe('VALIDATION_ERROR');
    }
    const broken = await test.request({
      method: 'POST',
      url: `/api/changes/${id}/undo`,
      headers: { 'content-type': 'application/json' },
      payload: '{"mode": ',
    });
    expect(broken.statusCode).toBe(400);
    for (const bad of ['0', '-1', 'abc', '1.5']) {
      const answer = await test.request({
        method: 'POST',
        url: `/api/changes/${bad}/undo`,
        payload: {},
      });
      expect(answer.statusCode, bad).toBe(422);
    }
    expect(await snapshot(test.db)).toEqual(stored);
  });

  it('answers 409 with the reason for a kind that cannot be undone', async () => {
    const imported = await test.request({
      method: 'POST',
      url: '/api/import/products',
      headers: { 'content-type': 'text/csv' },
      payload: shopifyCsv([{ handle: 'p-001', title: 'Renamed by import' }]),
    });
    expect(imported.statusCode).toBe(200);
    const id = await latestId();
    const stored = await snapshot(test.db);
    const refused = await undo(id);
    expect(refused.statusCode).toBe(409);
    expect(refused.json().details).toMatchObject({
      reason: 'not_reversible',
      kind: 'import.products',
      why: expect.stringContaining('before values'),
    });
    expect((await changes()).data[0]!.reversible).toBe('none');
    expect(await snapshot(test.db)).toEqual(stored);
  });
});

describe('the change-set log', () => {
  it('filters by product, category, kind, actor and job, newest first', async () => {
    const all = await changes();
    expect(all.total).toBeGreaterThan(5);
    const ids = all.data.map((item) => item.id);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));

    const [row] = await queryRows<{ id: number }>(
      test.db,
      sql`select id from products where product_id = 'p-002'`,
    );
    const history = await changes('&product_id=p-002');
    expect(history.total).toBe(history.data.length);
    expect(history.data.map((item) => item.kind)).toEqual(
      expect.arrayContaining(['bulk.assign', 'product.assign']),
    );
    for (const item of history.data) expect(item.product_ids).toContain(row!.id);

    const byCategory = await changes(`&category_id=${tree.trowels.id}`);
    expect(byCategory.total).toBeGreaterThan(0);
    for (const item of byCategory.data) expect(item.category_ids).toContain(tree.trowels.id);

    const byKind = await changes('&kind=bulk.remove');
    expect(byKind.total).toBeGreaterThan(0);
    for (const item of byKind.data) expect(item.kind).toBe('bulk.remove');

    expect((await changes('&actor=api')).total).toBe(all.total);
    expect((await changes('&actor=someone-else')).total).toBe(0);
    expect((await changes('&job_id=999999')).total).toBe(0);
    expect((await changes('&product_id=no-such-product')).total).toBe(0);

    const combined = await changes(`&product_id=p-002&kind=bulk.assign`);
    expect(combined.data.every((item) => item.kind === 'bulk.assign')).toBe(true);
    expect(combined.total).toBeGreaterThan(0);
  });

  it('refuses bad filters with 422', async () => {
    for (const query of ['category_id=0', 'category_id=x', 'kind=', 'job_id=-1', 'colour=red']) {
      const answer = await test.request(`/api/changes?${query}`);
      expect(answer.statusCode, query).toBe(422);
    }
  });
});

describe('a change of more than one write slice (10,000 rows)', () => {
  it('bulk assign and remove write parents before children, and undo restores every row', async () => {
    const handles = await createProducts(test, 1500);
    const content = () => tableContent(test);
    const before = await content();
    // 1,500 products × 7 rows (three categories and their ancestors): 10,500 rows.
    const assigned = await post('/api/bulk/assign', {
      product_ids: handles,
      category_ids: [tree.batteryGuns.id, tree.neutralCure.id, tree.trowels.id],
    });
    expect(assigned.statusCode, assigned.body).toBe(200);
    const assignId = await latestId();
    const after = await content();
    const undone = await undo(assignId, { mode: 'skip_conflicts' });
    expect(undone.statusCode, undone.body).toBe(200);
    expect(await content()).toEqual(before);
    const redone = await undo(undone.json().data.change_set_id);
    expect(redone.statusCode, redone.body).toBe(200);
    expect(await content()).toEqual(after);
    const removed = await post('/api/bulk/remove', {
      product_ids: handles,
      category_ids: [tree.tools.id, tree.sealants.id],
    });
    expect(removed.statusCode, removed.body).toBe(200);
    expect(await invariantViolations(test.db)).toEqual([]);
  });
});

describe('an undo larger than BULK_MAX_PRODUCTS', () => {
  let small: TestApp;
  beforeAll(async () => {
    small = await createTestApp({ BULK_MAX_PRODUCTS: '3' });
    await createSampleTree(small);
    await createProducts(small, 12);
  });
  afterAll(async () => {
    await small?.close();
  });

  it('checks conflicts first, answers a dry run at once, and queues an undo job', async () => {
    const imported = await small.request({
      method: 'POST',
      url: '/api/import/assignments',
      headers: { 'content-type': 'text/csv' },
      payload:
        'product_id,product_name,categories\n' +
        ['p-001', 'p-002', 'p-003', 'p-004', 'p-005']
          .map((handle) => `${handle},x,Trade Tools > Trowels`)
          .join('\n') +
        '\n',
    });
    expect(imported.statusCode, imported.body).toBe(200);
    const listed = await small.request('/api/changes?limit=1');
    const id = listed.json().data[0].id as number;
    expect(listed.json().data[0].kind).toBe('import.assignments');

    const later = await small.request({
      method: 'DELETE',
      url: `/api/products/p-004/categories/${listed.json().data[0].category_ids[0]}`,
    });
    expect(later.statusCode).toBe(200);

    const stored = await snapshot(small.db);
    const strict = await small.request({
      method: 'POST',
      url: `/api/changes/${id}/undo`,
      payload: {},
    });
    expect(strict.statusCode).toBe(409);
    expect(strict.json().details.conflicts).toEqual([
      expect.objectContaining({ product_id: 'p-004' }),
    ]);

    const dry = await small.request({
      method: 'POST',
      url: `/api/changes/${id}/undo`,
      payload: { mode: 'skip_conflicts', dry_run: true },
    });
    expect(dry.statusCode).toBe(200);
    expect(dry.json().data).toMatchObject({ dry_run: true, undone_products: 4 });
    expect(await snapshot(small.db)).toEqual(stored);

    const queued = await small.request({
      method: 'POST',
      url: `/api/changes/${id}/undo`,
      payload: { mode: 'skip_conflicts' },
    });
    expect(queued.statusCode, queued.body).toBe(202);
    const job = queued.json().data.job;
    expect(job).toMatchObject({
      kind: 'undo',
      params: { change_set_id: id, mode: 'skip_conflicts' },
    });
    expect(queued.headers.location).toBe(`/api/jobs/${job.id}`);
    // One undo of a change set at a time (the job may have started, or finished, by now).
    const twice = await small.request({
      method: 'POST',
      url: `/api/changes/${id}/undo`,
      payload: { mode: 'skip_conflicts' },
    });
    expect(twice.statusCode, twice.body).toBe(409);
    expect(['undo_running', 'already_undone']).toContain(twice.json().details.reason);
  });

  it('the undo job: batches undo exactly, each recorded with the job and the change set it reverts', async () => {
    // The job the test above queued runs in the background: its end is the state to start from.
    for (;;) {
      const [open] = await queryRows<{ n: number }>(
        small.db,
        sql`select count(*)::int as n from jobs where state in ('queued', 'running')`,
      );
      if (open!.n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const before = await tableContent(small);
    const imported = await small.request({
      method: 'POST',
      url: '/api/import/assignments',
      headers: { 'content-type': 'text/csv' },
      payload:
        'product_id,product_name,categories\n' +
        ['p-007', 'p-008', 'p-009', 'p-010', 'p-011']
          .map((handle) => `${handle},x,Sealants > Silicone > Neutral Cure`)
          .join('\n') +
        '\n',
    });
    expect(imported.statusCode, imported.body).toBe(200);
    const change = (await findChange(small.db, Number(await latestOf(small))))!;
    expect(change.kind).toBe('import.assignments');
    const after = await tableContent(small);
    // The job row the batches belong to (finished, so that no runner claims it: the batches are
    // run here, as the runner runs them, each through applyDecidedChange in its own transaction).
    const job = await createJob(
      small.db,
      { kind: 'undo', params: { change_set_id: change.id, mode: 'strict' }, unit: 'products' },
      { actor: 'test', source: 'api' },
    );
    await small.db.execute(sql`update jobs set state = 'succeeded' where id = ${job.id}`);
    const kind = undoJobKind();
    const deps = { services: small.app.services, batchSize: 2 };
    const started = await inTransaction(small.db, (transaction) =>
      kind.start(transaction, job, deps),
    );
    expect(started.total).toBe(5);
    let cursor = started.cursor;
    let finished = false;
    let batches = 0;
    while (!finished) {
      const batch = await applyDecidedChange(
        { db: small.db, notifier: small.app.cache },
        { actor: 'test', source: 'api', jobId: job.id },
        async (transaction) => {
          const outcome = await kind.runBatch(transaction, { ...job, cursor }, deps);
          return {
            result: outcome,
            kind: outcome.changeKind ?? kind.changeKind!,
            change: outcome.change,
            reverts: outcome.reverts,
          };
        },
      );
      cursor = batch.cursor;
      finished = batch.finished;
      batches += 1;
    }
    expect(batches).toBe(3);
    const recorded = await queryRows<{ kind: string; reverts: number; job_id: number }>(
      small.db,
      sql`select kind, reverts::int as reverts, job_id::int as job_id from change_sets
           where job_id = ${job.id} order by id`,
    );
    expect(recorded).toEqual(
      Array.from({ length: 3 }, () => ({
        kind: 'import.assignments',
        reverts: change.id,
        job_id: job.id,
      })),
    );
    expect(after).not.toEqual(before);
    expect(await tableContent(small)).toEqual(before);
    for (const handle of ['p-007', 'p-011']) {
      const product = await small.request(`/api/products/${handle}`);
      expect(product.json().data.categories).toEqual([]);
    }
    expect(await invariantViolations(small.db)).toEqual([]);
    // Undone by the job: a request to undo it again is refused.
    const again = await small.request({
      method: 'POST',
      url: `/api/changes/${change.id}/undo`,
      payload: { mode: 'skip_conflicts' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json().details.reason).toBe('already_undone');
  });
});
