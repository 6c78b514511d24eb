/**
 * The scripted operator session of issue 3, in a real browser against a real server:
 * load → page 3 → open a product → assign two categories → bulk-assign one category to 10
 * products → create a category (a duplicate name first: the field error) → filter, reload, back →
 * export → statistics → import → help. The `/api` requests of each step go to
 * e2e/results/request-counts.json; screenshots to e2e/screenshots/ (git-ignored); axe-core scans
 * the main screens for serious or critical violations.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  RequestLog,
  RESULTS_DIR,
  ROOT,
  screenshot,
  seriousAccessibilityViolations,
  startServer,
  type RunningServer,
  type TreeNode,
  fetchTree,
  flattenTree,
} from './harness';

let server: RunningServer;
let browser: Browser;
let page: Page;
let log: RequestLog;
let tree: TreeNode[];
let totalPages: number;
let openedProductId: string;

async function expectAccessible(screen: string) {
  const violations = await seriousAccessibilityViolations(page);
  if (violations.length > 0)
    console.error(`axe on ${screen}:`, JSON.stringify(violations, null, 2));
  expect(violations, `${screen}: ${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

/** Tick a category in the tree by searching for it (then clear the search). */
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

beforeAll(async () => {
  server = await startServer({ seedProducts: 3000 });
  tree = await fetchTree(server.url);
  browser = await launchBrowser();
  const context = await browser.newContext({
    viewport: { width: 1440, height: 900 },
    acceptDownloads: true,
  });
  page = await context.newPage();
  // Product images point at a CDN the test machine cannot reach: fail them at once (initials show).
  await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort());
  log = new RequestLog(page, server.url);
});

afterAll(async () => {
  log?.write(path.join(RESULTS_DIR, 'request-counts.json'));
  await browser?.close();
  await server?.stop();
});

describe('operator session', () => {
  it('loads the workspace: "Page 1 of N", the tree, the next page prefetched', async () => {
    await log.measure('load', async () => {
      await page.goto(`${server.url}/`);
      await expect
        .poll(() => page.getByTestId('page-indicator').textContent())
        .toMatch(/^Page 1 of \d+$/);
      await page.getByRole('tree', { name: 'Category tree' }).waitFor();
    });
    totalPages = Number(
      (await page.getByTestId('page-indicator').textContent())!
        .replace(/^Page 1 of /, '')
        .replace(/,/g, ''),
    );
    expect(totalPages).toBe(60); // 3,000 products, 50 a page
    expect(await page.locator('tbody tr').count()).toBe(50);
    expect(await page.getByRole('treeitem').count()).toBe(tree.length);
    const requests = log.requests('load');
    expect(requests).toContain('GET /api/categories/tree');
    // Page 1, then page 2 ahead of time by its keyset cursor (as "Next" will ask for it).
    expect(requests.filter((request) => request.startsWith('GET /api/products'))).toEqual([
      'GET /api/products?sort=product_name&limit=50&offset=0',
      expect.stringMatching(/^GET \/api\/products\?sort=product_name&limit=50&cursor=[\w-]+$/),
    ]);
    // The vendor and product type filters' choices (cached server-side, fetched once).
    expect(requests).toContain('GET /api/vendors?limit=1000');
    expect(requests).toContain('GET /api/product-types?limit=1000');
    // Whether to show the sample-data banner (the catalog is the seeded sample here).
    expect(requests).toContain('GET /api/sample-data');
    expect(log.count('load')).toBe(6);
    await screenshot(page, '01-workspace');
    await expectAccessible('workspace');
  });

  it('goes to page 3 (each page was prefetched; the one after it is fetched ahead)', async () => {
    await log.measure('go to page 3', async () => {
      await page.getByRole('button', { name: 'Next page' }).click();
      await expect
        .poll(() => page.getByTestId('page-indicator').textContent())
        .toBe(`Page 2 of ${totalPages}`);
      await page.getByRole('button', { name: 'Next page' }).click();
      await expect
        .poll(() => page.getByTestId('page-indicator').textContent())
        .toBe(`Page 3 of ${totalPages}`);
    });
    expect(new URL(page.url()).searchParams.get('page')).toBe('3');
    expect(new URL(page.url()).searchParams.get('after')).toMatch(/^[\w-]+$/);
    // A locator is only a query (always truthy): count and read the button itself.
    const previous = page.getByRole('button', { name: 'Previous page' });
    expect(await previous.count()).toBe(1);
    expect(await previous.isVisible()).toBe(true);
    expect(await previous.isEnabled()).toBe(true);
    // Pages 2 and 3 came from the prefetch; only the pages after them were requested (by the
    // cursor after each page's last product).
    expect(log.requests('go to page 3')).toEqual([
      expect.stringMatching(/^GET \/api\/products\?sort=product_name&limit=50&cursor=[\w-]+$/),
      expect.stringMatching(/^GET \/api\/products\?sort=product_name&limit=50&cursor=[\w-]+$/),
    ]);
  });

  it('opens an uncategorised product from the page at once; its one read (for the ETag) runs behind', async () => {
    const row = page.locator('tbody tr', { hasText: 'Uncategorised' }).first();
    openedProductId = (await row.getAttribute('data-product-id'))!;
    const detailPath = `/api/products/${encodeURIComponent(openedProductId)}`;
    // The product's read is held until the panel has shown the product: nothing waits for it.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const isDetail = (url: URL) => url.pathname === detailPath;
    await page.route(isDetail, async (route) => {
      await held;
      await route.continue();
    });
    await log.measure('open a product', async () => {
      await row.locator('.product-link').click();
      await page.getByTestId('product-panel').waitFor();
      await expect
        .poll(() => page.getByTestId('product-panel').textContent())
        .toContain('Uncategorised');
      const read = page.waitForResponse((response) => isDetail(new URL(response.url())));
      release();
      expect((await read).status()).toBe(200);
    });
    await page.unroute(isDetail);
    expect(new URL(page.url()).searchParams.get('product')).toBe(openedProductId);
    // One request: the product's read, whose ETag the panel's writes send as If-Match.
    expect(log.requests('open a product')).toEqual([`GET ${detailPath}`]);
  });

  it('assigns two categories in one request, ticked with the keyboard and by search', async () => {
    const [firstRoot, otherRoot] = [
      tree[0]!,
      tree.find(
        (node, position) =>
          position > 0 && node.children.some((child) => child.children.length > 0),
      )!,
    ];
    const firstLeaf = firstRoot.children.find((child) => child.children.length > 0)!;
    const keyboardTarget =
      firstRoot.children[0]!.children.length > 0
        ? firstRoot.children[0]!.children[0]!
        : firstRoot.children[0]!;
    const names = flattenTree(tree).map((node) => node.name.toLowerCase());
    const secondTarget = flattenTree([otherRoot]).find(
      (node) =>
        node.level === 3 && names.filter((name) => name === node.name.toLowerCase()).length === 1,
    )!;
    expect(firstLeaf).toBeTruthy();

    await log.measure('tick two categories in the tree', async () => {
      // Keyboard: t focuses the tree, → expands, ↓ moves, Space ticks.
      await page
        .getByRole('navigation', { name: 'Views' })
        .getByRole('link', { name: 'Products', exact: true })
        .focus();
      await page.keyboard.press('t');
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-id')))
        .toBe(String(firstRoot.id));
      await page.keyboard.press('ArrowRight');
      await page.keyboard.press('ArrowDown');
      if (keyboardTarget.level === 3) {
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowDown');
      }
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-id')))
        .toBe(String(keyboardTarget.id));
      await page.keyboard.press(' ');
      await expect
        .poll(() =>
          page
            .locator(`[role="treeitem"][data-id="${keyboardTarget.id}"]`)
            .getAttribute('aria-checked'),
        )
        .toBe('true');
      await tickBySearch(secondTarget);
    });
    expect(log.count('tick two categories in the tree')).toBe(0);

    expect(await page.getByTestId('product-panel').isVisible()).toBe(true);
    await log.measure('assign two categories', async () => {
      await page.getByRole('button', { name: 'Assign 2 ticked categories' }).click();
      await page.getByTestId('assign-outcome').waitFor();
    });
    // One write; the ETag of the product's new state comes with its answer, so the product is
    // not read again for the next write's If-Match.
    expect(log.requests('assign two categories')).toEqual([
      `POST /api/products/${encodeURIComponent(openedProductId)}/categories`,
    ]);
    expect(log.count('assign two categories')).toBeLessThanOrEqual(2);
    const assigned = page.getByTestId('assigned-categories');
    await expect.poll(() => assigned.textContent()).toContain(keyboardTarget.name);
    expect(await assigned.textContent()).toContain(secondTarget.name);
    expect(await assigned.textContent()).toContain(' > '); // shown as paths
    expect(await page.getByTestId('assign-outcome').textContent()).toContain('Parents added too');
    // The table row shows the new chips without a refetch.
    expect(
      await page.locator(`tbody tr[data-product-id="${openedProductId}"]`).textContent(),
    ).not.toContain('Uncategorised');
    await screenshot(page, '02-product-with-categories');
    await expectAccessible('product panel');
  });

  it('bulk-assigns one category to 10 products selected with a shift-click range', async () => {
    await page.locator('.tree-selection').getByRole('button', { name: 'Clear' }).click();
    await page.getByRole('button', { name: 'Close product details' }).click();
    const target = flattenTree(tree)
      .filter((node) => node.level === 3)
      .at(-1)!;
    await tickBySearch(target);
    const boxes = page.locator('tbody tr input[type="checkbox"]');
    await log.measure('bulk-assign one category to 10 products', async () => {
      await boxes.nth(0).click();
      await boxes.nth(9).click({ modifiers: ['Shift'] });
      await expect
        .poll(() => page.getByTestId('bulk-bar').textContent())
        .toContain('10 products selected');
      await page.getByTestId('bulk-assign').click();
      // The preview first (a dry run), then the write.
      await page.getByRole('dialog', { name: 'Assign categories?' }).waitFor();
      await page.getByTestId('bulk-confirm').click();
      await page.getByRole('dialog', { name: 'Bulk assign result' }).waitFor();
    });
    expect(log.requests('bulk-assign one category to 10 products')).toEqual([
      'POST /api/bulk/assign',
      'POST /api/bulk/assign',
    ]);
    const summary = await page.getByTestId('bulk-summary').textContent();
    expect(summary).toContain('10Products processed');
    expect(
      await page.getByRole('dialog', { name: 'Bulk assign result' }).locator('tbody tr').count(),
    ).toBe(10);
    await screenshot(page, '03-bulk-result');
    await expectAccessible('bulk result dialog');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Clear selection' }).click();
  });

  it('creates a category; a duplicate name first shows the server field error next to the name', async () => {
    const existing = tree[0]!;
    await log.measure('create a category: duplicate name (409)', async () => {
      await page.getByRole('button', { name: '+ New' }).click();
      const dialog = page.getByRole('dialog', { name: 'New category' });
      await dialog.waitFor();
      await expect
        .poll(() => page.evaluate(() => document.activeElement?.getAttribute('name')))
        .toBe('name');
      await dialog.getByLabel('Name').fill(existing.name.toUpperCase());
      await dialog.getByRole('button', { name: 'Create category' }).click();
      await dialog.getByTestId('name-error').waitFor();
    });
    expect(log.requests('create a category: duplicate name (409)')).toEqual([
      'POST /api/categories',
    ]);
    const dialog = page.getByRole('dialog', { name: 'New category' });
    expect(await dialog.getByTestId('name-error').textContent()).toContain('already exists');
    expect(await dialog.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, '04-create-dialog-field-error');
    await expectAccessible('create dialog with a field error');

    await log.measure('create a category', async () => {
      await dialog.getByLabel('Name').fill('E2E Test Category');
      await dialog.getByLabel('Level 2').check();
      await dialog.getByLabel('Parent (level 1)').selectOption(String(existing.id));
      await dialog.getByRole('button', { name: 'Create category' }).click();
      await dialog.waitFor({ state: 'detached' });
    });
    expect(log.requests('create a category')).toEqual(['POST /api/categories']);
    await page.getByLabel('Search categories').fill('E2E Test');
    await page
      .getByRole('treeitem', { name: /^E2E Test Category\s*, level 2, 0 products/ })
      .waitFor();
    await page.getByLabel('Search categories').fill('');
  });

  it('keeps filters and page in the URL: reload and back work', async () => {
    await log.measure('filter: status active + uncategorised only', async () => {
      await page.getByLabel('Status').selectOption('active');
      await page.getByTestId('hide-allocated').check();
      await expect
        .poll(() => page.getByTestId('page-indicator').textContent())
        .toMatch(/^Page 1 of \d+$/);
    });
    await log.measure('filter: next page', async () => {
      await page.getByRole('button', { name: 'Next page' }).click();
      await expect
        .poll(() => page.getByTestId('page-indicator').textContent())
        .toMatch(/^Page 2 of \d+$/);
    });
    const indicator = await page.getByTestId('page-indicator').textContent();
    const before = page.url();
    await log.measure('reload keeps filters and page', async () => {
      await page.reload();
      await expect.poll(() => page.getByTestId('page-indicator').textContent()).toBe(indicator);
    });
    expect(page.url()).toBe(before);
    const params = new URL(page.url()).searchParams;
    expect(params.get('status')).toBe('active');
    expect(params.get('uncategorised')).toBe('1');
    expect(params.get('page')).toBe('2');
    expect(await page.getByLabel('Status').inputValue()).toBe('active');
    expect(await page.getByTestId('hide-allocated').isChecked()).toBe(true);
    expect(await page.locator('tbody tr', { hasText: /Uncategorised/ }).count()).toBe(
      await page.locator('tbody tr').count(),
    );

    await log.measure('back to page 1', async () => {
      await page.goBack();
      await expect
        .poll(() => page.getByTestId('page-indicator').textContent())
        .toMatch(/^Page 1 of \d+$/);
    });
    expect(new URL(page.url()).searchParams.get('status')).toBe('active');
  });

  it('exports the current filter as CSV', async () => {
    const download = await log.measure('export CSV (current filter)', async () => {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByTestId('export-csv').click(),
      ]);
      return file;
    });
    expect(download.suggestedFilename()).toMatch(/^tag-manager-export-\d{4}-\d{2}-\d{2}\.csv$/);
    const url = new URL(download.url());
    expect(url.pathname).toBe('/api/export/csv');
    expect(url.searchParams.get('status')).toBe('active');
    expect(url.searchParams.get('hide_allocated')).toBe('true');
    const text = readFileSync((await download.path())!, 'utf8');
    // The spreadsheet export starts with a UTF-8 byte order mark (for Excel).
    expect(text.split('\n')[0]).toBe('\uFEFFproduct_id,product_name,categories');
    expect(text.trim().split('\n').length).toBeGreaterThan(1);
  });

  it('shows statistics', async () => {
    await log.measure('statistics', async () => {
      await page
        .getByRole('navigation', { name: 'Views' })
        .getByRole('link', { name: 'Statistics' })
        .click();
      await page.getByTestId('stats-view').waitFor();
    });
    expect(log.requests('statistics')).toEqual(['GET /api/stats']);
    const progress = page.getByRole('progressbar');
    expect(Number(await progress.getAttribute('aria-valuenow'))).toBeGreaterThan(0);
    expect(await page.getByRole('heading', { name: 'Most-used categories' }).isVisible()).toBe(
      true,
    );
    await screenshot(page, '05-statistics');
    await expectAccessible('statistics');
  });

  it('imports a category list and shows the report', async () => {
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Import & export' })
      .click();
    await log.measure('import categories (JSON)', async () => {
      await page
        .getByLabel('JSON file')
        .setInputFiles(path.join(ROOT, 'server/test/fixtures/categories-sample.json'));
      await page.getByRole('button', { name: 'Import' }).nth(1).click();
      await page.getByTestId('import-report-categories').waitFor();
    });
    expect(log.requests('import categories (JSON)')[0]).toBe('POST /api/import/categories');
    expect(await page.getByTestId('import-report-categories').textContent()).toMatch(/Records\d+/);
    await screenshot(page, '06-import-report');
    await expectAccessible('import and export');
  });

  it('lists the keyboard shortcuts in a dialog on "?", and gives focus back on Escape', async () => {
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Products', exact: true })
      .click();
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Products', exact: true })
      .focus();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    expect(await dialog.textContent()).toContain('Tick or untick the category');
    await screenshot(page, '07-shortcuts');
    await expectAccessible('shortcuts dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Products');
  });
});
