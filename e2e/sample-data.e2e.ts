/**
 * Sample data, as a newcomer meets it (issue 11): a fresh start seeds a sample catalog and says
 * so; the web app shows a banner; its pictures come from the app itself (no request leaves it);
 * the first product import asks whether to remove the samples first; after accepting, only the
 * imported products remain and the banner is gone.
 *
 * The import uses the real Shopify export (../shared/data/shopify-products.csv, or
 * $SHARED_DATA_DIR/shopify-products.csv) when it is there, else the small fixture in the repo
 * (server/test/fixtures/shopify-sample.csv) for the same flow.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  ROOT,
  screenshot,
  seriousAccessibilityViolations,
  startServer,
  type RunningServer,
} from './harness';

const SHARED_CSV = path.join(
  process.env.SHARED_DATA_DIR ?? path.join(ROOT, '..', 'shared', 'data'),
  'shopify-products.csv',
);
const FIXTURE_CSV = path.join(ROOT, 'server', 'test', 'fixtures', 'shopify-sample.csv');
const useRealCsv = existsSync(SHARED_CSV);
const SEEDED = 3000;

interface SampleCounts {
  sample_products: number;
  sample_categories: number;
  real_products: number;
  real_categories: number;
}

let server: RunningServer;
let browser: Browser;
let page: Page;
/** Every request the page made to anywhere but the app, while it showed the sample catalog. */
const external: string[] = [];
let watchingExternal = true;

const api = async <T>(pathname: string): Promise<T> =>
  ((await (await fetch(`${server.url}${pathname}`)).json()) as { data: T }).data;

beforeAll(async () => {
  if (!useRealCsv) {
    console.warn(
      `sample-data.e2e: ${SHARED_CSV} is absent, so the real Shopify export is not imported; the fixture ${path.relative(ROOT, FIXTURE_CSV)} goes through the same flow instead.`,
    );
  }
  server = await startServer({ seedProducts: SEEDED });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  page.on('request', (request) => {
    const url = request.url();
    if (watchingExternal && !url.startsWith(`${server.url}/`) && !/^(data|blob):/.test(url)) {
      external.push(url);
    }
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('sample data', () => {
  it('says at start-up what was seeded, that it is sample data, and how to skip or remove it', () => {
    const output = server.output();
    expect(output).toMatch(/running at http:\/\/127\.0\.0\.1:\d+\//);
    expect(output).toContain(`SAMPLE DATA: ${SEEDED.toLocaleString('en')} synthetic products`);
    expect(output).toContain("They are not your store's data");
    expect(output).toContain('SEED_PRODUCTS_ON_EMPTY=0');
    expect(output).toContain('npm run seed -- --remove');
  });

  it('shows the banner on a fresh start, with pictures served by the app only', async () => {
    await page.goto(server.url);
    const banner = page.getByRole('region', { name: 'Sample data' });
    await banner.waitFor();
    expect(await banner.textContent()).toBe(
      'You are looking at sample data — Import your Shopify export · Remove sample data',
    );
    await page.getByTestId('page-indicator').waitFor();
    // The sample pictures load (from /sample-images/) instead of failing against a missing host.
    const images = page.locator('img.thumb');
    await expect.poll(() => images.count()).toBeGreaterThan(10);
    expect(
      await images.evaluateAll((nodes) =>
        (nodes as HTMLImageElement[]).filter((image) => !image.src.includes('/sample-images/')),
      ),
    ).toEqual([]);
    // The pictures in view have loaded (the rest load lazily, as the list scrolls).
    await expect
      .poll(() =>
        images.evaluateAll(
          (nodes) =>
            (nodes as HTMLImageElement[]).filter(
              (image) => image.complete && image.naturalWidth > 0,
            ).length,
        ),
      )
      .toBeGreaterThan(5);
    await page.getByRole('button', { name: 'Next page' }).click();
    await expect.poll(() => page.getByTestId('page-indicator').textContent()).toMatch(/^Page 2 /);
    await screenshot(page, 'sample-data-01-banner');
    expect(await seriousAccessibilityViolations(page)).toEqual([]);
    expect(external, 'requests to other hosts').toEqual([]);
  });

  it('offers removing the samples before the first real import, and leaves only real products', async () => {
    await page.getByRole('link', { name: 'Import your Shopify export' }).click();
    await page.getByRole('heading', { name: 'Import & export' }).waitFor();
    expect(external, 'requests to other hosts').toEqual([]);
    // From here on real products show their own (store) images; those hosts are theirs.
    watchingExternal = false;

    const productsCard = page.getByRole('region', { name: 'Import products' });
    await productsCard.getByLabel('CSV file').setInputFiles(useRealCsv ? SHARED_CSV : FIXTURE_CSV);
    await productsCard.getByRole('button', { name: 'Import' }).click();
    const prompt = page.getByRole('dialog', { name: 'Remove the sample data first?' });
    await prompt.waitFor();
    expect(await prompt.textContent()).toContain(`${SEEDED.toLocaleString('en')} sample products`);
    await screenshot(page, 'sample-data-02-prompt');
    await prompt.getByRole('button', { name: 'Remove sample data, then import' }).click();
    const report = page.getByTestId('import-report-products');
    await report.waitFor({ timeout: 240_000 });
    const created = Number(
      /Created(\d+)/.exec((await report.textContent())!.replace(/,/g, ''))![1],
    );
    expect(created).toBeGreaterThan(0);

    // Only the imported products remain, and the banner is gone.
    await expect.poll(() => page.getByRole('region', { name: 'Sample data' }).count()).toBe(0);
    const counts = await api<SampleCounts>('/api/sample-data');
    expect(counts).toMatchObject({
      sample_products: 0,
      sample_categories: 0,
      real_products: created,
    });
    const stats = await api<{ total_products: number; total_categories: number }>('/api/stats');
    expect(stats.total_products).toBe(created);
    expect(stats.total_categories).toBe(0);
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Statistics' })
      .click();
    await page.getByTestId('stats-view').waitFor();
    await expect
      .poll(() => page.getByTestId('stats-view').textContent())
      .toContain(`${created.toLocaleString('en')} products`);
    await screenshot(page, 'sample-data-03-after-removal');
    expect(await page.getByRole('region', { name: 'Sample data' }).count()).toBe(0);
  });
});
