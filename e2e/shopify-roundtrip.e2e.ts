/**
 * The Shopify round trip in a real browser against a real server: assign a category to a product
 * in the UI, download the Shopify file from the Import & export screen, wipe every assignment
 * (through the API), import the downloaded file in the "Import assignments" card, and find every
 * assignment back (the whole spreadsheet export, before and after, is the checksum).
 */
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
  type TreeNode,
  fetchTree,
  flattenTree,
} from './harness';

let server: RunningServer;
let browser: Browser;
let page: Page;

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${text.slice(0, 300)}`);
  return (path.includes('/export/') ? text : JSON.parse(text)) as T;
}

/** Every product with its most specific category paths: the state the round trip must keep. */
const exportedState = () => api<string>('/api/export/csv?bom=false&sort=product_id');

beforeAll(async () => {
  server = await startServer({ seedProducts: 300 });
  browser = await launchBrowser();
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('Shopify round trip', () => {
  let handle: string;
  let target: TreeNode;
  let before: string;

  it('assigns a category to an uncategorised product in the UI', async () => {
    const tree = await fetchTree(server.url);
    const all = flattenTree(tree);
    target = all.find(
      (node) =>
        node.level === 3 &&
        all.filter((other) => other.name.toLowerCase() === node.name.toLowerCase()).length === 1,
    )!;
    const uncategorised = await api<{ data: { product_id: string }[] }>(
      '/api/products?hide_allocated=true&limit=1',
    );
    handle = uncategorised.data[0]!.product_id;

    await page.goto(`${server.url}/?product=${encodeURIComponent(handle)}`);
    await page.getByTestId('product-panel').waitFor();
    await page.getByRole('tree', { name: 'Category tree' }).waitFor();
    await page.getByLabel('Search categories').fill(target.name);
    await page.getByTestId(`tick-${target.id}`).click();
    await page.getByRole('button', { name: /^Assign 1 ticked categor/ }).click();
    await page.getByTestId('assign-outcome').waitFor();
    await expect
      .poll(() => page.getByTestId('assigned-categories').textContent())
      .toContain(target.name);
    const product = await api<{ data: { categories: { id: number }[] } }>(
      `/api/products/${encodeURIComponent(handle)}`,
    );
    expect(product.data.categories.map((category) => category.id)).toContain(target.id);
    before = await exportedState();
    expect(before).toContain(target.name);
  });

  it('downloads the Shopify file, wipes the assignments, imports the file back in the UI', async () => {
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Import & export' })
      .click();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId('export-shopify').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^tag-manager-shopify-\d{4}-\d{2}-\d{2}\.csv$/);
    const file = (await download.path())!;
    const text = readFileSync(file, 'utf8');
    expect(text.split('\n')[0]).toBe(
      'Handle,Title,Tags,Categories (product.metafields.custom.categories)',
    );
    expect(text).toContain(handle);

    // Wipe: remove every level-1 category (descendants go with them) from every product.
    const tree = await fetchTree(server.url);
    const handles = [...text.matchAll(/^([^,\n]+),/gm)].slice(1).map((match) => match[1]!);
    const removed = await api<{ success: boolean }>('/api/bulk/remove', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_ids: handles, category_ids: tree.map((node) => node.id) }),
    });
    expect(removed.success).toBe(true);
    const wiped = await exportedState();
    expect(wiped).not.toBe(before);
    expect(wiped).not.toContain(target.name);

    await page.getByTestId('import-file-assignments').setInputFiles(file);
    await page.getByTestId('import-submit-assignments').click();
    const report = page.getByTestId('import-report-assignments');
    await report.waitFor();
    expect(await report.textContent()).toContain('Shopify file');
    await screenshot(page, 'shopify-roundtrip-import-report');

    expect(await exportedState()).toBe(before);
    const product = await api<{ data: { categories: { id: number }[] } }>(
      `/api/products/${encodeURIComponent(handle)}`,
    );
    expect(product.data.categories.map((category) => category.id)).toContain(target.id);
  });
});
