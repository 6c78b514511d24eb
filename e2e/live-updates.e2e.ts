/**
 * Live updates in a real browser (issue 14): two browser contexts (two operators) on one
 * server. One assigns a category to a product in its panel; the other's row chip and tree count
 * update without a reload and without refetching the list or the tree (the event carries the
 * row and the counts), and it hears "Updated by …".
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
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
const contexts: BrowserContext[] = [];

async function openWorkspace(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  await page.goto(`${server.url}/`);
  await page.getByRole('tree', { name: 'Category tree' }).waitFor();
  await expect.poll(() => page.locator('tbody tr').count()).toBeGreaterThan(0);
  await expect.poll(() => page.getByTestId('live-status').textContent()).toMatch(/^Live/);
  return page;
}

const treeCount = (page: Page, id: number) =>
  page.locator(`[role="treeitem"][data-id="${id}"] .count`).first().textContent();

beforeAll(async () => {
  server = await startServer({ seedProducts: 300 });
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await server?.stop();
});

describe('live updates between two operators', () => {
  it("shows one operator's assignment in the other's row chip and tree count, without a reload", async () => {
    const tree: TreeNode[] = await fetchTree(server.url);
    // A level-1 category without children: assigning it adds nothing else.
    const target =
      flattenTree(tree).find((node) => node.level === 1 && node.children.length === 0) ?? tree[0]!;
    const [first, second] = [await openWorkspace(), await openWorkspace()];
    const row = first.locator('tbody tr', { hasText: 'Uncategorised' }).first();
    const productId = (await row.getAttribute('data-product-id'))!;
    const secondRow = second.locator(`tbody tr[data-product-id="${productId}"]`);
    expect(await secondRow.textContent()).toContain('Uncategorised');
    const countBefore = Number((await treeCount(second, target.id))!.replace(/\D/g, ''));

    // The second page must not be reloaded: a marker on its window survives only without one.
    await second.evaluate(() => ((window as unknown as { liveMarker: number }).liveMarker = 1));
    const secondLog = new RequestLog(second, server.url);

    await secondLog.measure('someone else assigns', async () => {
      await row.locator('.product-link').click();
      await first.getByTestId('product-panel').waitFor();
      await first.getByLabel('Search categories').fill(target.name);
      await first.getByTestId(`tick-${target.id}`).click();
      await first.getByRole('button', { name: 'Assign 1 ticked category' }).click();
      await first.getByTestId('assign-outcome').waitFor();

      await expect.poll(() => secondRow.textContent(), { timeout: 30_000 }).toContain(target.name);
      await expect
        .poll(async () => Number((await treeCount(second, target.id))!.replace(/\D/g, '')), {
          timeout: 30_000,
        })
        .toBe(countBefore + 1);
    });
    expect(await secondRow.textContent()).not.toContain('Uncategorised');
    expect(
      await second.evaluate(() => (window as unknown as { liveMarker?: number }).liveMarker),
    ).toBe(1);
    // Patched from the event: neither the list nor the tree was fetched again.
    const refetched = secondLog
      .requests('someone else assigns')
      .filter((request) => /^GET \/api\/(products|categories)/.test(request));
    expect(refetched).toEqual([]);
    expect(await second.getByTestId('live-status').textContent()).toMatch(/^Updated by /);
  });
});
