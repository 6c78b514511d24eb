/**
 * Safe concurrent edits (issue 13) in a real Chromium: two browser contexts (two operators) open
 * one product; the first assigns a category; the second, whose panel still shows the old state,
 * assigns another and gets the 412 notice (before → now), re-applies, and the product ends with
 * both categories.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchTree,
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
  type TreeNode,
} from './harness';

let server: RunningServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
let handle: string;
let first: TreeNode;
let second: TreeNode;

async function productCategories(): Promise<number[]> {
  const response = await fetch(`${server.url}/api/products/${encodeURIComponent(handle)}`);
  const body = (await response.json()) as { data: { categories: { id: number }[] } };
  return body.data.categories.map((category) => category.id);
}

/** An operator with the product open in the panel, its read (and ETag) done. */
async function openOperator(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  const read = page.waitForResponse(
    (response) =>
      response.url().includes(`/api/products/${encodeURIComponent(handle)}`) &&
      response.request().method() === 'GET',
  );
  await page.goto(`${server.url}/?product=${encodeURIComponent(handle)}`);
  await page.getByTestId('product-panel').waitFor();
  expect((await read).headers().etag).toMatch(/^"[^"]+"$/);
  return page;
}

async function tick(page: Page, node: TreeNode) {
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

beforeAll(async () => {
  server = await startServer({ seedProducts: 200 });
  const tree: TreeNode[] = await fetchTree(server.url);
  const list = await fetch(`${server.url}/api/products?limit=1&hide_allocated=true`);
  const products = (await list.json()) as { data: { product_id: string }[] };
  handle = products.data[0]!.product_id;
  // Two level-1 categories whose names are unique, so a search finds one row each.
  const names = tree.map((node) => node.name);
  const unique = tree.filter((node) => names.filter((name) => name === node.name).length === 1);
  [first, second] = unique as [TreeNode, TreeNode];
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('two operators edit one product', () => {
  it('the second sees the 412 notice, re-applies, and the product has both categories', async () => {
    expect(await productCategories()).toEqual([]);
    const alice = await openOperator();
    const bob = await openOperator();

    await tick(alice, first);
    await alice.getByTestId('assign-selected').click();
    await alice.getByTestId('assign-outcome').waitFor();
    expect(await productCategories()).toEqual([first.id]);

    // Bob's panel still shows the product without categories; his write is based on that read.
    await tick(bob, second);
    await bob.getByTestId('assign-selected').click();
    const notice = bob.getByTestId('conflict-notice');
    await notice.waitFor();
    expect(await notice.textContent()).toContain('Someone else changed this product');
    expect(await bob.getByTestId('conflict-before').textContent()).toContain('no categories');
    expect(await bob.getByTestId('conflict-now').textContent()).toContain(first.name);
    expect(await productCategories()).toEqual([first.id]); // nothing changed by the 412
    await screenshot(bob, 'concurrent-edit-412');

    await bob.getByRole('button', { name: 'Re-apply my change' }).click();
    await bob.getByTestId('assign-outcome').waitFor();
    expect(await notice.count()).toBe(0);
    expect((await productCategories()).sort((a, b) => a - b)).toEqual(
      [first.id, second.id].sort((a, b) => a - b),
    );
    const chips = await bob.getByTestId('assigned-categories').textContent();
    expect(chips).toContain(first.name);
    expect(chips).toContain(second.name);
  });
});
