/**
 * Restructuring the tree (issue 14) in a real Chromium: drag a level-3 category onto another
 * level 2; the preview shows (products affected, ancestors added and removed, the new path)
 * before anything changes; after confirming, the tree and the product (panel chips and list
 * row) show the new path. Then the keyboard way: "Merge into…" with type-ahead over paths, and
 * the merge undone from History.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, startServer, type RunningServer } from './harness';

let server: RunningServer;
let browser: Browser;
let page: Page;
let handle: string;
let productName: string;
const ids: Record<string, number> = {};

async function api<Data>(method: string, path: string, body?: unknown): Promise<Data> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = (await response.json()) as { data: Data };
  if (!response.ok) throw new Error(`${method} ${path}: ${JSON.stringify(payload)}`);
  return payload.data;
}

async function create(key: string, name: string, parent?: string) {
  const created = await api<{ id: number }>('POST', '/api/categories', {
    name,
    ...(parent ? { parent_id: ids[parent] } : {}),
  });
  ids[key] = created.id;
}

async function categoryIdsOfProduct(): Promise<number[]> {
  const product = await api<{ categories: { id: number }[] }>(
    'GET',
    `/api/products/${encodeURIComponent(handle)}`,
  );
  return product.categories.map((category) => category.id).sort((a, b) => a - b);
}

const row = (id: number) => page.locator(`[role="treeitem"][data-id="${id}"]`);

beforeAll(async () => {
  server = await startServer({ seedProducts: 200 });
  await create('rootA', 'Restructure Root A');
  await create('source', 'Restructure Source', 'rootA');
  await create('leaf', 'Restructure Leaf', 'source');
  await create('rootB', 'Restructure Root B');
  await create('destination', 'Restructure Destination', 'rootB');
  await create('twin', 'Restructure Twin', 'rootB');
  const list = await api<{ product_id: string; product_name: string }[]>(
    'GET',
    '/api/products?limit=1&hide_allocated=true',
  );
  handle = list[0]!.product_id;
  productName = list[0]!.product_name;
  await api('POST', `/api/products/${encodeURIComponent(handle)}/categories`, {
    category_ids: [ids.leaf],
  });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  await page.goto(`${server.url}/?product=${encodeURIComponent(handle)}`);
  await page.getByTestId('product-panel').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('moving a category in the tree', () => {
  it('drags a level 3 onto another level 2: preview first, then the tree and the product show the new path', async () => {
    const chips = page.getByTestId('assigned-categories');
    await expect
      .poll(() => chips.innerText())
      .toContain('Restructure Root A > Restructure Source > Restructure Leaf');
    // The search shows the matches with their ancestors open.
    await page.getByLabel('Search categories').fill('Restructure');
    await row(ids.leaf!).waitFor();
    const before = await categoryIdsOfProduct();

    await row(ids.leaf!).dragTo(row(ids.destination!));
    const preview = page.getByTestId('restructure-preview');
    await preview.waitFor();
    const text = await preview.innerText();
    expect(text).toContain('Restructure Root B > Restructure Destination > Restructure Leaf');
    expect(text).toMatch(/1 product is assigned/);
    expect(text).toContain('+ Restructure Root B > Restructure Destination: added to 1 product');
    expect(text).toContain('− Restructure Root A > Restructure Source: removed from 1 product');
    await screenshot(page, 'category-move-preview');
    // The preview wrote nothing.
    expect(await categoryIdsOfProduct()).toEqual(before);

    await page.getByRole('button', { name: 'Move (1 product)' }).click();
    await expect
      .poll(() => row(ids.leaf!).getAttribute('title'))
      .toBe('Restructure Root B > Restructure Destination > Restructure Leaf');
    await expect
      .poll(() => chips.innerText())
      .toContain('Restructure Root B > Restructure Destination > Restructure Leaf');
    // The product's own categories are fetched again: the old ancestors are gone.
    await expect.poll(() => chips.innerText()).not.toContain('Restructure Root A');
    expect(await categoryIdsOfProduct()).toEqual(
      [ids.rootB!, ids.destination!, ids.leaf!].sort((a, b) => a - b),
    );
    // The product's list row shows the new path too (its chip's title).
    await page.getByLabel('Search categories').fill('');
    const listRow = page.locator(`[aria-label="Categories of ${productName}"]`).first();
    if ((await listRow.count()) > 0) {
      await expect
        .poll(() => listRow.locator('li').first().getAttribute('title'))
        .toMatch(/^Restructure Root B/);
    }
  });

  it('merges with the keyboard: "Merge into…", type-ahead over paths, preview, confirm', async () => {
    await page.getByLabel('Search categories').fill('Restructure Destination');
    await row(ids.destination!).click();
    await page.getByRole('button', { name: 'Merge into…' }).click();
    const input = page.getByRole('combobox', { name: /Merge into/ });
    await input.fill('root b > restructure twin');
    await input.press('Enter');
    const preview = page.getByTestId('restructure-preview');
    await preview.waitFor();
    expect(await preview.innerText()).toContain('Restructure Root B > Restructure Twin');
    await page.getByRole('button', { name: /^Merge \(1 product\)$/ }).click();
    const chips = page.getByTestId('assigned-categories');
    await expect
      .poll(() => chips.innerText())
      .toContain('Restructure Root B > Restructure Twin > Restructure Leaf');
    expect(await categoryIdsOfProduct()).toEqual(
      [ids.rootB!, ids.twin!, ids.leaf!].sort((a, b) => a - b),
    );
    expect(await row(ids.destination!).count()).toBe(0);
  });

  it('undoes the merge from History: the merged category and the product’s path come back', async () => {
    await page.getByRole('link', { name: 'History' }).click();
    await page.getByRole('heading', { name: 'History' }).waitFor();
    const merge = page.getByTestId('change-row').filter({ hasText: 'Categories merged' }).first();
    await merge.waitFor();
    await merge.getByTestId('undo-change').click();
    const dialog = page.getByRole('dialog', { name: /^Undo change #\d+\?$/ });
    await dialog.getByTestId('undo-confirm').click();
    await dialog.getByTestId('undo-done').waitFor();
    await dialog.getByRole('button', { name: 'Close', exact: true }).click();
    // The undo is in History as a change of its own, which can be undone in turn (a redo).
    await expect
      .poll(() => page.getByTestId('change-row').first().innerText())
      .toContain('Merge undone');
    expect(await categoryIdsOfProduct()).toEqual(
      [ids.rootB!, ids.destination!, ids.leaf!].sort((a, b) => a - b),
    );
    const destination = await api<{ id: number; path: string }>(
      'GET',
      `/api/categories/${ids.destination}`,
    );
    expect(destination.path).toBe('Restructure Root B > Restructure Destination');
  });
});
