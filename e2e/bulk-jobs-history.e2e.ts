/**
 * Bulk by filter, jobs and undo (issue 13), as an operator in Chromium: filter by a vendor,
 * tick the page, "Select all N matching", read the preview, run it (more than BULK_MAX_PRODUCTS
 * products: a job, with a visible progress bar); start a second job on another vendor and cancel
 * it from the header's Jobs menu; then open History and undo the first job (and the batches the
 * cancelled one finished): every product's categories are as they were before.
 *
 * The server runs with a small BULK_MAX_PRODUCTS and JOB_BATCH_SIZE so that a few dozen
 * products make a job of several batches.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchTree,
  flattenTree,
  launchBrowser,
  RESULTS_DIR,
  screenshot,
  seriousAccessibilityViolations,
  startServer,
  type RunningServer,
  type TreeNode,
} from './harness';

let server: RunningServer;
let browser: Browser;
let page: Page;
let tree: TreeNode[];

const BULK_MAX_PRODUCTS = 5;
// One product a batch: the second job runs long enough to be cancelled midway from the menu.
const JOB_BATCH_SIZE = 1;

interface ListBody {
  data: { product_id: string; categories: { id: number }[] }[];
  pagination: { next_cursor: string | null };
}

/** Every product's category ids, by handle (the whole catalog, through the API). */
async function catalogState(): Promise<Record<string, number[]>> {
  const state: Record<string, number[]> = {};
  let cursor: string | null = null;
  do {
    const query = `limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const body = (await (await fetch(`${server.url}/api/products?${query}`)).json()) as ListBody;
    for (const product of body.data)
      state[product.product_id] = product.categories.map((ref) => ref.id).sort((a, b) => a - b);
    cursor = body.pagination.next_cursor;
  } while (cursor);
  return state;
}

async function vendors(): Promise<{ value: string; product_count: number }[]> {
  const response = await fetch(`${server.url}/api/vendors?limit=1000`);
  return ((await response.json()) as { data: { value: string; product_count: number }[] }).data;
}

async function tickBySearch(node: TreeNode) {
  const search = page.getByLabel('Search categories');
  await search.fill(node.name);
  await page.getByTestId(`tick-${node.id}`).click();
  await expect
    .poll(() =>
      page.locator(`[role="treeitem"][data-id="${node.id}"]`).getAttribute('aria-checked'),
    )
    .toBe('true');
  await search.fill('');
}

/** Filter by a vendor, tick the page, then "Select all N matching"; returns N as shown. */
async function selectAllOfVendor(vendor: string, count: number) {
  const input = page.getByLabel('Vendor', { exact: true });
  await input.fill(vendor);
  await expect.poll(() => new URL(page.url()).searchParams.get('vendor')).toBe(vendor);
  await expect
    .poll(() => page.getByTestId('pagination-summary').textContent(), { timeout: 30_000 })
    .toContain(`of ${count.toLocaleString('en')}`);
  await page.getByTestId('select-page').check();
  await page.getByTestId('select-all-matching').click();
  await expect
    .poll(() => page.getByTestId('bulk-bar').textContent())
    .toContain(`All ${count.toLocaleString('en')} matching products selected`);
}

beforeAll(async () => {
  server = await startServer({
    seedProducts: 1000,
    env: {
      BULK_MAX_PRODUCTS: String(BULK_MAX_PRODUCTS),
      JOB_BATCH_SIZE: String(JOB_BATCH_SIZE),
      // A whole job's undo is one request per change set (a batch): 50 here, with their dry
      // runs, over the bulk group's 20 a minute. The dialog waits out a 429, but not for minutes.
      RATE_LIMIT_BULK_PER_MINUTE: '1000',
    },
  });
  tree = await fetchTree(server.url);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
});
afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('bulk by filter as jobs, cancel, and undo from History', { timeout: 300_000 }, () => {
  it('runs one job to the end, cancels another, undoes both: the catalog is as before', async () => {
    const byCount = (await vendors()).sort((a, b) => b.product_count - a.product_count);
    // Vendor A: more products than a page of 25 (so "all matching" is offered), fewer than B.
    const vendorA = byCount.find((entry) => entry.product_count > 25 && entry !== byCount[0])!;
    const vendorB = byCount[0]!;
    expect(vendorA, 'a vendor with more than 25 products').toBeDefined();
    const leaves = flattenTree(tree).filter((node) => node.level === 3);
    const first = leaves[0]!;
    const second = leaves.at(-1)!;
    const before = await catalogState();
    const figures: Record<string, unknown> = {};

    await page.goto(`${server.url}/?size=25`);
    await page.getByRole('tree', { name: 'Category tree' }).waitFor();

    // 1. Vendor A, all matching, preview, run as a job.
    await selectAllOfVendor(vendorA.value, vendorA.product_count);
    await tickBySearch(first);
    await page.getByTestId('bulk-assign').click();
    const preview = page.getByRole('dialog', { name: 'Assign categories?' });
    await preview.waitFor();
    expect(await preview.getByTestId('bulk-preview').textContent()).toContain(
      `${vendorA.product_count.toLocaleString('en')}Matched`,
    );
    expect(await preview.getByTestId('runs-as-job').count()).toBe(1);
    await screenshot(page, 'bulk-preview');
    expect(await seriousAccessibilityViolations(page), 'the preview dialog').toEqual([]);
    await page.getByTestId('bulk-confirm').click();
    const running = page.getByRole('dialog', { name: 'Bulk assign running' });
    await running.waitFor();
    const bar = running.getByRole('progressbar');
    expect(await bar.isVisible()).toBe(true);
    await screenshot(page, 'bulk-job-progress');
    await expect
      .poll(() => running.getByTestId('job-progress').getAttribute('data-state'), {
        timeout: 120_000,
      })
      .toBe('succeeded');
    expect(await bar.getAttribute('aria-valuenow')).toBe(String(vendorA.product_count));
    const firstJob = Number(await running.getByTestId('job-progress').getAttribute('data-job-id'));
    figures.completed = { products: vendorA.product_count };
    await running.getByRole('button', { name: 'Close', exact: true }).click();
    const afterFirst = await catalogState();
    const changedByFirst = Object.keys(afterFirst).filter(
      (handle) => afterFirst[handle]!.join() !== before[handle]!.join(),
    );
    expect(changedByFirst.length).toBeGreaterThan(0);

    // 2. Vendor B, all matching, another category: a job, cancelled from the header's menu.
    await page.getByRole('button', { name: 'Clear selection' }).first().click();
    await page.locator('.tree-selection').getByRole('button', { name: 'Clear' }).click();
    await selectAllOfVendor(vendorB.value, vendorB.product_count);
    await tickBySearch(second);
    await page.getByTestId('bulk-assign').click();
    await page.getByTestId('bulk-confirm').click();
    const second_running = page.getByRole('dialog', { name: 'Bulk assign running' });
    await second_running.waitFor();
    const secondJob = Number(
      await second_running.getByTestId('job-progress').getAttribute('data-job-id'),
    );
    await second_running.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByTestId('jobs-indicator').click();
    const jobs = page.getByRole('dialog', { name: 'Jobs' });
    const secondEntry = jobs.locator(`[data-testid="job-progress"][data-job-id="${secondJob}"]`);
    await secondEntry.getByTestId('job-cancel').click();
    await expect
      .poll(() => secondEntry.getAttribute('data-state'), { timeout: 120_000 })
      .toBe('cancelled');
    // Cancelled midway: some batches done (kept, undoable), not all.
    const secondBar = secondEntry.getByRole('progressbar');
    const cancelledAt = Number(await secondBar.getAttribute('aria-valuenow'));
    expect(cancelledAt).toBeLessThan(vendorB.product_count);
    figures.cancelled = { products: vendorB.product_count, done_when_cancelled: cancelledAt };
    await screenshot(page, 'jobs-menu-cancelled');
    expect(await seriousAccessibilityViolations(page), 'the Jobs menu').toEqual([]);
    await jobs.getByRole('button', { name: 'Close', exact: true }).click();

    // 3. History: undo the first job (all its batches), then what the cancelled one did.
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    for (const job of [firstJob, secondJob]) {
      await page.goto(`${server.url}/history?job=${job}`);
      await page
        .locator('[data-testid="change-row"], .history-page .empty-state')
        .first()
        .waitFor();
      if ((await page.getByTestId('change-row').count()) === 0) {
        // Only the cancelled job may have finished no batch.
        expect(job).toBe(secondJob);
        continue;
      }
      if (job === firstJob) {
        await screenshot(page, 'history-job');
        expect(await seriousAccessibilityViolations(page), 'History').toEqual([]);
      }
      figures[`change_sets_of_job_${job === firstJob ? 'completed' : 'cancelled'}`] = await page
        .getByTestId('change-row')
        .count();
      await page.getByTestId('undo-job').click();
      const dialog = page.getByRole('dialog', { name: `Undo job #${job}?` });
      await dialog.getByTestId('undo-confirm').click();
      await dialog.getByTestId('undo-done').waitFor({ timeout: 120_000 });
      await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    }

    // The product list is back to its earlier state, product by product.
    expect(await catalogState()).toEqual(before);
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(
      path.join(RESULTS_DIR, 'bulk-jobs-history.json'),
      `${JSON.stringify({ description: 'e2e/bulk-jobs-history.e2e.ts: two bulk jobs by vendor filter (BULK_MAX_PRODUCTS=5, JOB_BATCH_SIZE=1), one cancelled from the Jobs menu, both undone from History; the catalog compared product by product afterwards', ...figures, catalog_restored: true }, null, 2)}\n`,
    );
    await page.goto(`${server.url}/?vendor=${encodeURIComponent(vendorA.value)}`);
    await page.locator('tbody tr').first().waitFor();
    await screenshot(page, 'history-undone-list');
  });
});
