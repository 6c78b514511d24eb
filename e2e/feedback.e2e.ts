/**
 * Issue 11's feedback in a real Chromium, where happy-dom cannot tell: an inline rename refused
 * with 409 keeps the focus (a disabled input would drop it) and Escape returns to the tree item;
 * a new category is revealed and focused; toasts do not cover the pagination or the panel.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshot,
  startServer,
  type RunningServer,
  type TreeNode,
  fetchTree,
} from './harness';

let server: RunningServer;
let browser: Browser;
let page: Page;
let tree: TreeNode[];

beforeAll(async () => {
  server = await startServer({ seedProducts: 300 });
  tree = await fetchTree(server.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  await page.goto(`${server.url}/`);
  await page.getByRole('tree', { name: 'Category tree' }).waitFor();
  await page.getByTestId('page-indicator').waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const activeElement = () =>
  page.evaluate(() => {
    const element = document.activeElement;
    return {
      tag: element?.tagName.toLowerCase(),
      role: element?.getAttribute('role'),
      id: element?.getAttribute('data-id'),
      label: element?.getAttribute('aria-label'),
    };
  });

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('feedback in the browser', () => {
  it('a rename refused with 409 keeps the focus and the error; Escape restores the name and the focus', async () => {
    const [first, second] = tree;
    const item = page.locator(`[role="treeitem"][data-id="${first!.id}"]`);
    await item.click();
    await item.press('F2');
    const input = page.getByRole('textbox', { name: `New name for ${first!.name}` });
    await input.fill(second!.name);
    await input.press('Enter');
    const error = page.locator('.rename-field .field-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('already exists');
    expect(await activeElement()).toMatchObject({
      tag: 'input',
      label: `New name for ${first!.name}`,
    });
    await page.keyboard.press('Escape');
    await expect.poll(() => input.count()).toBe(0);
    expect(await item.locator('.tree-name').textContent()).toBe(first!.name);
    expect(await activeElement()).toMatchObject({ role: 'treeitem', id: String(first!.id) });
  });

  it('reveals a new level-3 category: parents open, the row in view and focused', async () => {
    await page.getByRole('button', { name: 'Collapse all categories' }).click();
    const parent = tree.flatMap((node) => node.children).find((node) => node.children.length > 0)!;
    await page.getByRole('button', { name: '+ New' }).click();
    const dialog = page.getByRole('dialog', { name: 'New category' });
    await dialog.getByLabel('Name').fill('E2E Revealed Category');
    await dialog.getByLabel('Level 3').check();
    await dialog.getByLabel('Parent (level 2)').selectOption(String(parent.id));
    await dialog.getByRole('button', { name: 'Create category' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByRole('treeitem', { name: /^E2E Revealed Category/ });
    await row.waitFor();
    expect(await row.isVisible()).toBe(true);
    await expect
      .poll(() => row.evaluate((element) => element === document.activeElement))
      .toBe(true);
    const inView = await row.evaluate((element) => {
      const box = element.getBoundingClientRect();
      const panel = element.closest('.workspace-tree')!.getBoundingClientRect();
      return box.top >= panel.top && box.bottom <= panel.bottom;
    });
    expect(inView).toBe(true);
  });

  it('toasts leave the pagination and the product panel free', async () => {
    // The success toast of the creation above is still showing.
    const toast = page.getByTestId('toast').first();
    expect(await toast.isVisible()).toBe(true);
    await page.locator('.workspace-main').evaluate((element) => (element.scrollTop = 1e6));
    const pagination = page.locator('.pagination');
    expect(await pagination.isVisible()).toBe(true);
    const toastBox = (await page.locator('.toast-region').boundingBox())!;
    expect(toastBox.height).toBeGreaterThan(0);
    expect(overlaps(toastBox, (await pagination.boundingBox())!)).toBe(false);
    await page.locator('tbody .product-link').first().click();
    const panel = page.getByTestId('product-panel');
    await panel.waitFor();
    expect(overlaps(toastBox, (await panel.boundingBox())!)).toBe(false);
    await screenshot(page, 'feedback-toast-1440');
  });
});
