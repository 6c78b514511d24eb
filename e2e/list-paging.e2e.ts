/**
 * The products list skip bug (issue 12, item 4) in a real browser against the real server and its
 * seeded sample catalog: under "Uncategorised only", bulk-assign every product of page 1 through
 * the UI, then page on. The page and its total refresh after the write (one request: the page on
 * screen with its count), Next continues after the last product seen (keyset cursor), and every
 * product the API lists as uncategorised is shown: none skipped. Reload and Previous keep the place.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchTree,
  flattenTree,
  launchBrowser,
  RequestLog,
  startServer,
  type RunningServer,
  type TreeNode,
} from './harness';

let server: RunningServer;
let browser: Browser;
let page: Page;
let log: RequestLog;
let tree: TreeNode[];

interface ListAnswer {
  data: { product_id: string }[];
  pagination: { total_items: number; next_cursor: string | null };
}

/** The API's uncategorised products, in the list's default order (name), by keyset pages. */
async function uncategorised(): Promise<{ handles: string[]; total: number }> {
  const handles: string[] = [];
  let cursor: string | null = null;
  let total = 0;
  do {
    const query = new URLSearchParams({ hide_allocated: 'true', limit: '500' });
    if (cursor) query.set('cursor', cursor);
    const response = await fetch(`${server.url}/api/products?${query}`);
    expect(response.status).toBe(200);
    const answer = (await response.json()) as ListAnswer;
    handles.push(...answer.data.map((product) => product.product_id));
    total = answer.pagination.total_items;
    cursor = answer.pagination.next_cursor;
  } while (cursor);
  return { handles, total };
}

const shownHandles = () =>
  page
    .locator('tbody tr[data-product-id]')
    .evaluateAll((rows) => rows.map((row) => row.getAttribute('data-product-id')));

/** Tick one level-3 category, found by the tree's search (ticks do not survive a reload). */
async function tickTarget() {
  const target = flattenTree(tree).find((node) => node.level === 3)!;
  await page.getByLabel('Search categories').fill(target.name);
  await page.getByTestId(`tick-${target.id}`).click();
  await page.getByLabel('Search categories').fill('');
}

const summary = () => page.getByTestId('pagination-summary').textContent();
const indicator = () => page.getByTestId('page-indicator').textContent();
const format = (value: number) => value.toLocaleString('en');

beforeAll(async () => {
  server = await startServer({ seedProducts: 3000 });
  tree = await fetchTree(server.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  log = new RequestLog(page, server.url);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('paging "Uncategorised only" while categorising it', () => {
  it('bulk-assigns page 1, then shows the products that were 51–100 and 101–150: none skipped', async () => {
    const before = await uncategorised();
    expect(before.handles.length).toBeGreaterThanOrEqual(150);
    expect(before.total).toBe(before.handles.length);

    await page.goto(`${server.url}/?uncategorised=1`);
    await page.getByRole('tree', { name: 'Category tree' }).waitFor();
    await expect.poll(shownHandles).toEqual(before.handles.slice(0, 50));
    expect(await summary()).toContain(`Showing 1–50 of ${format(before.total)}`);
    await log.settle();

    // Tick one level-3 category (by the tree's search) and select the whole page.
    await tickTarget();
    await page.getByTestId('select-page').click();
    await expect
      .poll(() => page.getByTestId('bulk-bar').textContent())
      .toContain('50 products selected');

    await log.measure('bulk-assign page 1 under "Uncategorised only"', async () => {
      await page.getByTestId('bulk-assign').click();
      await page.getByTestId('bulk-confirm').click(); // after the preview (a dry run)
      await page.getByRole('dialog', { name: 'Bulk assign result' }).waitFor();
      // The page and its total refresh behind the result.
      await expect.poll(shownHandles).toEqual(before.handles.slice(50, 100));
    });
    expect(await page.getByTestId('bulk-summary').textContent()).toContain('50Products processed');
    // The preview and one write, then the page on screen with its count: no other list page,
    // no refetch storm.
    const requests = log.requests('bulk-assign page 1 under "Uncategorised only"');
    expect(requests.slice(0, 2)).toEqual(['POST /api/bulk/assign', 'POST /api/bulk/assign']);
    expect(requests.slice(2)).toEqual([
      'GET /api/products?hide_allocated=true&sort=product_name&limit=50&offset=0',
    ]);
    await page.getByRole('button', { name: 'Done' }).click();
    // The categorised products left the list, and the selection with them. The bar goes on the
    // render after the dialog closes (BulkActions reports the dialog's state from an effect):
    // wait for it, as an operator sees it go, rather than read the count in between.
    await expect.poll(() => page.getByTestId('bulk-bar').count()).toBe(0);

    const after = await uncategorised();
    expect(after.total).toBe(before.total - 50);
    expect(after.handles).toEqual(before.handles.slice(50));
    expect(await summary()).toContain(`Showing 1–50 of ${format(after.total)}`);

    // Next: right after the last product seen, by cursor (kept in the URL with the page).
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(shownHandles).toEqual(after.handles.slice(50, 100));
    expect(await indicator()).toBe(`Page 2 of ${format(Math.ceil(after.total / 50))}`);
    const url = new URL(page.url());
    expect(url.searchParams.get('page')).toBe('2');
    expect(url.searchParams.get('after')).toMatch(/^[A-Za-z0-9_-]+$/);

    // Everything the API still lists as uncategorised up to here was shown, in order.
    expect(after.handles.slice(0, 100)).toEqual(before.handles.slice(50, 150));

    // A reload keeps the place (the cursor is in the URL); Previous goes back to page 1.
    await page.reload();
    await expect.poll(shownHandles).toEqual(after.handles.slice(50, 100));
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(shownHandles).toEqual(after.handles.slice(0, 50));
    expect(new URL(page.url()).searchParams.get('after')).toBeNull();
  });

  it('categorising page 2 keeps page 2 in place: it refills from the products after page 1', async () => {
    await page.getByRole('button', { name: 'Next page' }).click();
    const start = await uncategorised();
    await expect.poll(shownHandles).toEqual(start.handles.slice(50, 100));
    await tickTarget();
    await page.getByTestId('select-page').click();
    await page.getByTestId('bulk-assign').click();
    await page.getByTestId('bulk-confirm').click();
    await page.getByRole('dialog', { name: 'Bulk assign result' }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();

    const after = await uncategorised();
    expect(after.handles).toEqual([...start.handles.slice(0, 50), ...start.handles.slice(100)]);
    // Still page 2, now the products after page 1's last one: the ones that were 101–150.
    await expect.poll(shownHandles).toEqual(start.handles.slice(100, 150));
    expect(await indicator()).toBe(`Page 2 of ${format(Math.ceil(after.total / 50))}`);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await expect.poll(shownHandles).toEqual(start.handles.slice(0, 50));
  });
});
