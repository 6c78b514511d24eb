/**
 * The Monitoring view in a real browser against a real server: open the app, go to Monitoring,
 * generate API traffic from here, and wait until the charts show figures (the latency summary
 * names a p50). No console errors and no Content-Security-Policy violations on the way; the page
 * is scanned with axe-core; screenshot at e2e/screenshots/monitoring.png.
 *
 * CSP: the server's own policy is used when it sends one. A server that does not send one yet is
 * held to the planned policy (added to the HTML response here), so what the page loads is checked
 * either way.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  launchBrowser,
  screenshot,
  seriousAccessibilityViolations,
  startServer,
  type RunningServer,
} from './harness';

const PLANNED_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

let server: RunningServer;
let browser: Browser;
let page: Page;
let serverSentCsp: string | null = null;
const consoleErrors: string[] = [];
const pageErrors: string[] = [];

interface Violation {
  directive: string;
  blocked: string;
  source: string;
}

const cspViolations = () =>
  page.evaluate(() => (window as unknown as { __cspViolations?: unknown[] }).__cspViolations ?? []);

/** API traffic from Node until stopped: product pages, product details that do not exist (404), statistics. */
function generateTraffic(origin: string) {
  let running = true;
  let sent = 0;
  const done = (async () => {
    while (running) {
      const round = sent;
      await Promise.all([
        fetch(`${origin}/api/products?limit=20&offset=${(round * 20) % 1000}`).then((r) =>
          r.arrayBuffer(),
        ),
        fetch(`${origin}/api/products?limit=5&search=a&offset=${round % 50}`).then((r) =>
          r.arrayBuffer(),
        ),
        fetch(`${origin}/api/products/no-such-product-${round}`).then((r) => r.arrayBuffer()),
        fetch(`${origin}/api/stats`).then((r) => r.arrayBuffer()),
      ]);
      sent += 4;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    sent: () => sent,
    stop: async () => {
      running = false;
      await done;
    },
  };
}

beforeAll(async () => {
  server = await startServer({ seedProducts: 1000 });
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
  page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.addInitScript(() => {
    const seen: Violation[] = [];
    (window as unknown as { __cspViolations: Violation[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (event) =>
      seen.push({
        directive: event.violatedDirective,
        blocked: event.blockedURI,
        source: `${event.sourceFile}:${event.lineNumber}`,
      }),
    );
  });
  // The app's HTML: keep the server's CSP, or hold the page to the planned one.
  await page.route(
    (url) => url.origin === server.url,
    async (route) => {
      if (route.request().resourceType() !== 'document') return route.continue();
      const response = await route.fetch();
      const headers = response.headers();
      serverSentCsp = headers['content-security-policy'] ?? null;
      await route.fulfill({
        response,
        headers: { ...headers, 'content-security-policy': serverSentCsp ?? PLANNED_CSP },
      });
    },
  );
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('monitoring', () => {
  it('the server exposes Prometheus metrics at /metrics', async () => {
    const response = await fetch(`${server.url}/metrics`, { headers: { accept: 'text/plain' } });
    expect(response.status, 'GET /metrics').toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    // No `_bucket` lines before the first request has been answered: the family's TYPE line.
    expect(await response.text()).toContain('# TYPE http_request_duration_seconds histogram');
  });

  it('charts live traffic: latency, throughput, errors, cache; tiles with the gauges', async () => {
    // The server samples itself every 5 s from its start: wait for a few samples of history.
    await expect
      .poll(
        async () => {
          const response = await fetch(`${server.url}/api/metrics/history`);
          return ((await response.json()) as { data: { points: unknown[] } }).data.points.length;
        },
        { timeout: 30_000 },
      )
      .toBeGreaterThanOrEqual(3);
    await page.goto(`${server.url}/statistics`);
    await page.getByTestId('stats-view').waitFor();
    const link = page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Monitoring' });
    await link.click();
    await page.getByTestId('monitoring-view').waitFor();
    expect(new URL(page.url()).pathname).toBe('/monitoring');
    expect(await link.getAttribute('aria-current')).toBe('page');
    expect(await page.title()).toBe('Monitoring · Tag Manager');

    // The charts do not start empty: the server's history fills them on opening.
    await expect
      .poll(() => page.getByTestId('monitoring-status').textContent(), { timeout: 10_000 })
      .toMatch(/· \d+ earlier points from the server's own history/);
    expect(await page.getByTestId('latency-summary').textContent()).not.toMatch(/^Collecting/);
    expect(await page.locator('.uplot canvas').count()).toBe(4);

    const traffic = generateTraffic(server.url);
    try {
      await expect
        .poll(() => page.getByTestId('latency-summary').textContent(), { timeout: 30_000 })
        .toMatch(/p50 [\d.,]+ ms, p95 [\d.,]+ ms over [\d,]+ requests/);
      // A few more samples, so the charts draw lines (and the screenshot shows them).
      await expect
        .poll(
          async () => Number(await page.getByTestId('monitoring-view').getAttribute('data-points')),
          { timeout: 30_000 },
        )
        .toBeGreaterThanOrEqual(5);
    } finally {
      await traffic.stop();
    }
    expect(traffic.sent()).toBeGreaterThan(0);

    expect(await page.getByTestId('throughput-summary').textContent()).toMatch(
      /^Latest: [\d.,]+ requests per second\.$/,
    );
    expect(await page.getByTestId('errors-summary').textContent()).toMatch(
      /server errors \(5xx\), [\d.]+% client errors \(4xx\)/,
    );
    expect(await page.getByTestId('cache-summary').textContent()).toMatch(/^Latest: |^No cache/);
    // Four uPlot charts, each with its canvas and legend, named by its latest values.
    expect(await page.locator('.uplot canvas').count()).toBe(4);
    expect(await page.locator('.uplot .u-legend').count()).toBe(4);
    expect(
      await page
        .getByRole('img', { name: /^Latency chart, last 10 minutes\. Latest: p50/ })
        .count(),
    ).toBe(1);
    const canvasBox = await page.locator('.uplot canvas').first().boundingBox();
    expect(canvasBox!.width).toBeGreaterThan(300);

    expect(await page.getByTestId('tile-products').textContent()).toContain('1,000');
    expect(await page.getByTestId('tile-dependencies').textContent()).toContain('database: up');
    expect(await page.getByTestId('tile-memory').textContent()).toMatch(/[\d.]+ MiB/);
    expect(await page.getByTestId('tile-event-loop').textContent()).toMatch(/[\d.]+ ms/);
    // The harness runs the embedded database: one tile explains why there are no pool figures.
    expect(await page.getByTestId('tile-pool-embedded').textContent()).toContain(
      'one connection, no pool',
    );

    await screenshot(page, 'monitoring');

    expect(pageErrors).toEqual([]);
    expect(consoleErrors).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    if (!serverSentCsp)
      console.warn(`The server sent no CSP: the page was held to the planned one (${PLANNED_CSP})`);
  });

  it('has no serious accessibility violations', async () => {
    // Injected through the debugging protocol, which the page's CSP does not govern (the
    // harness's inline <script> tag would be refused by script-src 'self').
    const require = createRequire(import.meta.url);
    await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const violations = await seriousAccessibilityViolations(page);
    expect(violations, JSON.stringify(violations, null, 2)).toEqual([]);
    expect(await cspViolations()).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('stops polling /metrics when the view is left', async () => {
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: 'Statistics' })
      .click();
    await page.getByTestId('stats-view').waitFor();
    const scrapes: string[] = [];
    const onRequest = (request: { url: () => string }) => {
      if (new URL(request.url()).pathname === '/metrics') scrapes.push(request.url());
    };
    page.on('request', onRequest);
    await new Promise((resolve) => setTimeout(resolve, 5000));
    page.off('request', onRequest);
    expect(scrapes).toEqual([]);
  });
});
