/**
 * Bulk by filter on a real database (both drivers): for each filter kind, the dry run's counts
 * equal what the real run then changes (answered at once below BULK_MAX_PRODUCTS, as a job of
 * several batches above it); remove_unneeded_parents; bad input (exactly one of product_ids and
 * filter, unknown filter fields, unknown categories, an empty match), nothing changed by it.
 */
import type { BulkPreview, Job } from '@tag-manager/contract';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../db/client.js';
import { arrayParam } from '../../db/sql.js';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import { createSampleTree } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  waitForJob,
  type TestApp,
} from '../../../test/helpers/test-app.js';

let test: TestApp;
let tree: Awaited<ReturnType<typeof createSampleTree>>;

const MAX = 40;
const PRODUCTS = 150;

beforeAll(async () => {
  test = await createTestApp({
    BULK_MAX_PRODUCTS: String(MAX),
    JOB_BATCH_SIZE: '17',
    JOB_POLL_MS: '20',
  });
  tree = await createSampleTree(test);
  // A varied catalog: vendors, statuses, types, tags, some products already categorised.
  await test.db.execute(sql`
    insert into products (product_id, product_name, vendor, product_type, status, tags)
    select 'bf-' || lpad(n::text, 3, '0'), 'Bulk product ' || lpad(n::text, 3, '0'),
           (array['Adheseal', 'Bostik', 'Sika'])[1 + n % 3],
           (array['Sealant', 'Tool'])[1 + n % 2],
           (array['active', 'active', 'draft', 'archived'])[1 + n % 4],
           case when n % 5 = 0 then array['promo'] else array[]::text[] end
      from generate_series(1, ${PRODUCTS}) n`);
  const ids = async (where: string) =>
    (
      await queryRows<{ product_id: string }>(
        test.db,
        sql.raw(`select product_id from products where ${where} order by id`),
      )
    ).map((row) => row.product_id);
  const assign = async (handles: string[], categoryIds: number[]) => {
    const response = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { product_ids: handles, category_ids: categoryIds },
    });
    expect(response.statusCode, response.body).toBe(200);
  };
  // Every 7th: Manual Guns (level 3, with its parents); every 11th: Trowels; every 13th: Tools only.
  await assign(await ids(`id % 7 = 0`), [tree.manualGuns.id]);
  await assign(await ids(`id % 11 = 0`), [tree.trowels.id]);
  await assign(await ids(`id % 13 = 0`), [tree.tools.id]);
});
afterAll(async () => {
  expect(await invariantViolations(test.db)).toEqual([]);
  await test.close();
});

async function categorisedCount(): Promise<number> {
  const row = await queryOne<{ n: number }>(
    test.db,
    sql`select count(*)::int as n from product_state where category_count > 0`,
  );
  return row!.n;
}

async function lastChangeId(): Promise<number> {
  const row = await queryOne<{ id: number | null }>(
    test.db,
    sql`select max(id)::int as id from change_sets`,
  );
  return row!.id ?? 0;
}

/** What the change sets after `since` did: products changed and rows per category. */
async function changesSince(since: number) {
  const rows = await queryRows<{
    after: { changed: { product_id: string; added?: number[]; removed?: number[] }[] };
  }>(test.db, sql`select after from change_sets where id > ${since} order by id`);
  const products = new Set<string>();
  const perCategory = new Map<number, number>();
  for (const row of rows) {
    for (const item of row.after.changed) {
      expect(products.has(item.product_id)).toBe(false);
      products.add(item.product_id);
      for (const id of item.added ?? item.removed ?? []) {
        perCategory.set(id, (perCategory.get(id) ?? 0) + 1);
      }
    }
  }
  return { products, perCategory, changeSets: rows.length };
}

const counts = (lists: { category_id: number; products: number }[][]) =>
  new Map(lists.flat().map((entry) => [entry.category_id, entry.products]));

/** Dry run, then the real run; the preview's counts must be what the run changed. */
async function previewThenRun(
  operation: 'assign' | 'remove',
  body: Record<string, unknown>,
): Promise<{ preview: BulkPreview; job: Job | null }> {
  const url = `/api/bulk/${operation}`;
  const dry = await test.request({ method: 'POST', url, payload: { ...body, dry_run: true } });
  expect(dry.statusCode, dry.body).toBe(200);
  const preview = dry.json().data as BulkPreview;
  expect(preview.dry_run).toBe(true);
  expect(preview.runs_as_job).toBe(preview.matched > MAX);
  expect(preview.sample.length).toBe(Math.min(10, preview.will_change));

  const since = await lastChangeId();
  const categorisedBefore = await categorisedCount();
  const run = await test.request({ method: 'POST', url, payload: body });
  let job: Job | null = null;
  if (preview.matched === 0) {
    expectErrorEnvelope(run, 422, 'VALIDATION_ERROR', 'filter');
    return { preview, job };
  }
  if (preview.runs_as_job) {
    expect(run.statusCode, run.body).toBe(202);
    const accepted = run.json().data.job as Job;
    expect(run.headers.location).toBe(`/api/jobs/${accepted.id}`);
    job = await waitForJob(test, accepted.id);
    expect(job.state).toBe('succeeded');
    expect(job.progress.total).toBe(preview.matched);
    expect(job.progress.done).toBe(preview.matched);
    expect(job.result).toMatchObject({ products_processed: preview.matched });
  } else {
    expect(run.statusCode, run.body).toBe(200);
    // Handles that name no product are reported per product and are not matched.
    const results = run.json().data.results as { errors: { reason: string }[] }[];
    const found = results.filter((item) =>
      item.errors.every((error) => error.reason !== 'product not found'),
    );
    expect(found.length).toBe(preview.matched);
  }
  const changed = await changesSince(since);
  expect(changed.products.size).toBe(preview.will_change);
  expect(preview.unchanged).toBe(preview.matched - preview.will_change);
  const expected =
    operation === 'assign'
      ? counts([preview.categories, preview.ancestors_added])
      : counts([preview.categories, preview.descendants_removed, preview.parents_removed]);
  expect(changed.perCategory).toEqual(expected);
  const delta = (await categorisedCount()) - categorisedBefore;
  expect(delta).toBe(preview.become_categorized - preview.become_uncategorized);
  if (job) {
    const ids = await queryRows<{ id: number }>(
      test.db,
      sql`select id::int from change_sets where job_id = ${job.id} order by id`,
    );
    expect(job.change_set_ids).toEqual(ids.map((row) => row.id));
    expect(job.change_set_ids.length).toBe(changed.changeSets);
  }
  expect(await invariantViolations(test.db)).toEqual([]);
  return { preview, job };
}

describe('bulk by filter: the preview is what the run changes', () => {
  // Each filter kind of the filter table, with an assign and a remove; some run as jobs.
  const cases: [string, 'assign' | 'remove', () => Record<string, unknown>][] = [
    [
      'hide_allocated',
      'assign',
      () => ({ filter: { hide_allocated: true }, category_ids: [tree.batteryGuns.id] }),
    ],
    [
      'vendor',
      'assign',
      () => ({
        filter: { vendor: 'Adheseal' },
        category_ids: [tree.neutralCure.id, tree.trowels.id, tree.tools.id],
      }),
    ],
    ['status', 'remove', () => ({ filter: { status: 'active' }, category_ids: [tree.guns.id] })],
    [
      'product_type',
      'assign',
      () => ({ filter: { product_type: 'Tool' }, category_ids: [tree.manualGuns.id] }),
    ],
    [
      'tag',
      'remove',
      () => ({
        filter: { tag: 'promo' },
        category_ids: [tree.manualGuns.id],
        remove_unneeded_parents: true,
      }),
    ],
    [
      'search',
      'assign',
      () => ({ filter: { search: 'product 01' }, category_ids: [tree.silicone.id] }),
    ],
    [
      'category',
      'remove',
      () => ({
        filter: { category_id: tree.tools.id },
        category_ids: [tree.batteryGuns.id, tree.trowels.id],
        remove_unneeded_parents: true,
      }),
    ],
    [
      'category without descendants',
      'assign',
      () => ({
        filter: { category_id: tree.tools.id, include_descendants: false },
        category_ids: [tree.batteryGuns.id],
      }),
    ],
    [
      'incomplete',
      'remove',
      () => ({ filter: { incomplete: true }, category_ids: [tree.sealants.id] }),
    ],
    [
      'no filter field (every product)',
      'remove',
      () => ({ filter: {}, category_ids: [tree.neutralCure.id], remove_unneeded_parents: true }),
    ],
    [
      'no filter field (every product)',
      'assign',
      () => ({ filter: {}, category_ids: [tree.manualGuns.id, tree.silicone.id] }),
    ],
    [
      'product_ids',
      'remove',
      () => ({
        product_ids: ['bf-001', 'bf-007', 'bf-014', 'nope'],
        category_ids: [tree.manualGuns.id],
        remove_unneeded_parents: true,
      }),
    ],
  ];
  it.each(cases)('%s (%s)', async (_name, operation, body) => {
    const { preview } = await previewThenRun(operation, body());
    expect(preview.matched).toBeGreaterThan(0);
  });

  it('runs at least one of them as a job of several batches', async () => {
    const jobs = await test.request('/api/jobs?state=succeeded');
    const many = jobs.json().data.filter((job: Job) => job.change_set_ids.length > 1);
    expect(many.length).toBeGreaterThan(0);
  });
});

describe('remove_unneeded_parents', () => {
  it('the preview states the parents a removal leaves behind, and the option removes them', async () => {
    // Three uncategorised products get Manual Guns: Tools and Caulking Guns come with it.
    const handles = ['bf-101', 'bf-102', 'bf-103'];
    await test.db.execute(sql`delete from product_categories
      where product_id in (select id from products where product_id = any(${arrayParam(handles)}::text[]))`);
    const assigned = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { product_ids: handles, category_ids: [tree.manualGuns.id] },
    });
    expect(assigned.json().data.summary.total_ancestors_added).toBe(6);
    const body = { product_ids: handles, category_ids: [tree.manualGuns.id] };

    const without = await test.request({
      method: 'POST',
      url: '/api/bulk/remove',
      payload: { ...body, dry_run: true },
    });
    const kept = without.json().data as BulkPreview;
    expect(kept.parents_kept.map((entry) => [entry.category_id, entry.products])).toEqual([
      [tree.tools.id, 3],
      [tree.guns.id, 3],
    ]);
    expect(kept.parents_removed).toEqual([]);
    expect(kept.become_uncategorized).toBe(0);

    const withOption = await test.request({
      method: 'POST',
      url: '/api/bulk/remove',
      payload: { ...body, remove_unneeded_parents: true, dry_run: true },
    });
    const removing = withOption.json().data as BulkPreview;
    expect(removing.parents_removed.map((entry) => entry.category_id)).toEqual([
      tree.tools.id,
      tree.guns.id,
    ]);
    expect(removing.parents_kept).toEqual([]);
    expect(removing.become_uncategorized).toBe(3);
    expect(removing.sample.map((entry) => entry.after)).toEqual([[], [], []]);

    const since = await lastChangeId();
    const run = await test.request({
      method: 'POST',
      url: '/api/bulk/remove',
      payload: { ...body, remove_unneeded_parents: true },
    });
    expect(run.statusCode, run.body).toBe(200);
    expect(run.json().data.summary).toMatchObject({ total_removed: 3, total_parents_removed: 6 });
    expect(run.json().data.results[0].parents_removed).toEqual([tree.tools.id, tree.guns.id]);
    const rows = await queryRows<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from product_categories pc join products p on p.id = pc.product_id
           where p.product_id = any(${arrayParam(handles)}::text[])`,
    );
    expect(rows[0]!.n).toBe(0);
    const [change] = await queryRows<{ after: { remove_unneeded_parents?: boolean } }>(
      test.db,
      sql`select after from change_sets where id > ${since}`,
    );
    expect(change!.after.remove_unneeded_parents).toBe(true);
  });

  it('keeps a parent another assigned category still needs', async () => {
    const handles = ['bf-104'];
    await test.db.execute(sql`delete from product_categories
      where product_id in (select id from products where product_id = any(${arrayParam(handles)}::text[]))`);
    await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { product_ids: handles, category_ids: [tree.manualGuns.id, tree.trowels.id] },
    });
    const preview = await test.request({
      method: 'POST',
      url: '/api/bulk/remove',
      payload: {
        product_ids: handles,
        category_ids: [tree.manualGuns.id],
        remove_unneeded_parents: true,
        dry_run: true,
      },
    });
    const data = preview.json().data as BulkPreview;
    expect(data.parents_removed.map((entry) => entry.category_id)).toEqual([tree.guns.id]);
    expect(data.parents_kept.map((entry) => entry.category_id)).toEqual([tree.tools.id]);
    expect(data.sample[0]!.after).toEqual(['Trade Tools', 'Trade Tools > Trowels']);
  });
});

describe('bulk by filter: bad input changes nothing', () => {
  const bad: [string, Record<string, unknown>, string][] = [
    [
      'both product_ids and filter',
      { product_ids: ['bf-001'], filter: {}, category_ids: [1] },
      'filter',
    ],
    ['neither', { category_ids: [1] }, 'filter'],
    ['an unknown filter field', { filter: { colour: 'red' }, category_ids: [1] }, 'filter'],
    [
      'a filter field of the wrong type',
      { filter: { status: 'sleeping' }, category_ids: [1] },
      'filter.status',
    ],
    ['sort is not a filter', { filter: { sort: 'product_name' }, category_ids: [1] }, 'filter'],
    ['an unsearchable search', { filter: { search: '%%' }, category_ids: [1] }, 'search'],
    ['an unknown category with a filter', { filter: {}, category_ids: [999_999] }, 'category_ids'],
    ['an empty match', { filter: { vendor: 'Nobody' }, category_ids: [1] }, 'filter'],
  ];
  it.each(bad)('%s: 422', async (_name, payload, field) => {
    const before = await snapshot(test.db);
    const jobsBefore = await queryOne<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from jobs`,
    );
    for (const url of ['/api/bulk/assign', '/api/bulk/remove']) {
      const response = await test.request({ method: 'POST', url, payload });
      const body = expectErrorEnvelope(response, 422, 'VALIDATION_ERROR');
      expect(JSON.stringify(body.details.field_errors)).toContain(field);
    }
    expect(await snapshot(test.db)).toEqual(before);
    const jobsAfter = await queryOne<{ n: number }>(
      test.db,
      sql`select count(*)::int as n from jobs`,
    );
    expect(jobsAfter).toEqual(jobsBefore);
  });

  it('previews an empty match as matched 0 (a question, not a write)', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/bulk/assign',
      payload: { filter: { vendor: 'Nobody' }, category_ids: [tree.tools.id], dry_run: true },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().data).toMatchObject({ matched: 0, will_change: 0, sample: [] });
  });
});
