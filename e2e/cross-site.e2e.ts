/**
 * Cross-site writes and DNS rebinding against the default start (AUTH_MODE=none on 127.0.0.1),
 * in Chromium (issue 9, M5). An attacker's page on another loopback origin tries the writes a
 * browser sends without a CORS preflight; a page on a rebound host name tries to read and to
 * create an admin token. Each attack must be answered 403 and change nothing.
 */
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { launchBrowser, startServer, type RunningServer } from './harness';

const BLANK = '<!doctype html><html><head><title>elsewhere</title></head><body></body></html>';

let server: RunningServer;
let browser: Browser;
const attackerServers: Server[] = [];

/** A page server on another origin, as an attacker's site (or another app on the laptop) is. */
async function attackerOrigin(host: string): Promise<string> {
  const site = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(BLANK);
  });
  attackerServers.push(site);
  await new Promise<void>((resolve) => site.listen(0, host, resolve));
  return `http://${host}:${(site.address() as AddressInfo).port}`;
}

async function catalog() {
  const [products, tokens, categories] = await Promise.all(
    ['/api/products', '/api/tokens', '/api/categories'].map(async (path) =>
      (await fetch(`${server.url}${path}`)).json(),
    ),
  );
  return {
    products: (products as { metadata: { total_products: number } }).metadata.total_products,
    tokens: (tokens as { data: unknown[] }).data.length,
    categories: (categories as { data: unknown[] }).data.length,
  };
}

/**
 * The status of every answer from the app to `page`, read from the browser's network events
 * (DevTools protocol): the page cannot read these answers (no-cors: it gets an opaque response,
 * or none if an answer carries Cross-Origin-Resource-Policy), and Playwright reports an answer
 * it did not hand to the page as a failed request without a status, but the browser did receive
 * it. The raw status comes from the network stack (`Network.responseReceivedExtraInfo`).
 *
 * The request (`Network.requestWillBeSent`) and its raw status are reported on two channels with
 * no order between them: the status of a request can come before the request itself (seen in
 * CI, where one of the five then went unrecorded). So both are kept by request id and joined;
 * `received(n)` resolves once at least n requests to the app were sent and every one of them
 * has its status.
 */
async function appAnswers(page: Page) {
  const sent = new Map<string, { method: string; url: string; timestamp: number }>();
  const statuses = new Map<string, number>();
  const waiters: (() => void)[] = [];
  const session = await page.context().newCDPSession(page);
  const changed = () => {
    for (const waiter of waiters.splice(0)) waiter();
  };
  session.on('Network.requestWillBeSent', (event) => {
    if (!event.request.url.startsWith(`${server.url}/api/`)) return;
    sent.set(event.requestId, {
      method: event.request.method,
      url: event.request.url,
      timestamp: event.timestamp,
    });
    changed();
  });
  session.on('Network.responseReceivedExtraInfo', (event) => {
    statuses.set(event.requestId, event.statusCode);
    changed();
  });
  await session.send('Network.enable');

  /** The requests to the app in the order they were sent, with their status if reported. */
  const requests = () =>
    [...sent]
      .sort(([, a], [, b]) => a.timestamp - b.timestamp)
      .map(([id, request]) => ({
        method: request.method,
        path: new URL(request.url).pathname,
        status: statuses.get(id),
      }));
  const complete = (count: number) => {
    const all = requests();
    return all.length >= count && all.every((request) => request.status !== undefined);
  };
  return {
    requests,
    /** Waits (no timer: the suite's hang guard stops a browser that never reports). */
    async received(count: number) {
      while (!complete(count)) await new Promise<void>((resolve) => waiters.push(resolve));
      return requests();
    },
  };
}

/** Runs, from `page`'s origin, the writes a browser sends without asking the server first. */
async function attack(page: Page, target: string) {
  await page.evaluate(async (app) => {
    // No-cors: the page gets an opaque answer, or fetch() rejects if the answer carries
    // Cross-Origin-Resource-Policy: same-origin; the request has reached the server all the
    // same, and what it did there (and the status the browser received) is what the test checks.
    const fetch = (url: string, init: RequestInit) =>
      window.fetch(url, init).catch((error: unknown) => error);
    const csv = "Handle,Title\ncsrf-text,=cmd|' /C calc'!A0\n";
    // (a) text/plain CSV, no preflight
    await fetch(`${app}/api/import/products`, {
      method: 'POST',
      mode: 'no-cors',
      headers: { 'Content-Type': 'text/plain' },
      body: csv,
    });
    // (b) multipart upload, no preflight
    const form = new FormData();
    form.append('file', new Blob([csv.replace('csrf-text', 'csrf-multipart')]), 'p.csv');
    await fetch(`${app}/api/import/products`, { method: 'POST', mode: 'no-cors', body: form });
    // (c) JSON in no-cors mode (the browser sends it as text/plain)
    await fetch(`${app}/api/categories`, {
      method: 'POST',
      mode: 'no-cors',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Planted by another site' }),
    });
    await fetch(`${app}/api/import/categories`, {
      method: 'POST',
      mode: 'no-cors',
      body: JSON.stringify([{ category_name: 'Planted', category_level: 1, connected_to: null }]),
    });
  }, target);
  // (d) the classic: an HTML form, multipart with a file, submitted by the page (a navigation).
  const formAnswer = page.waitForResponse((response) =>
    response.url().startsWith(`${target}/api/import/products`),
  );
  await page.evaluate((app) => {
    const form = document.createElement('form');
    form.method = 'POST';
    form.action = `${app}/api/import/products`;
    form.enctype = 'multipart/form-data';
    const input = document.createElement('input');
    input.type = 'file';
    input.name = 'file';
    const files = new DataTransfer();
    files.items.add(new File(['Handle,Title\ncsrf-form,Planted by a form\n'], 'p.csv'));
    input.files = files.files;
    form.append(input);
    document.body.append(form);
    form.submit();
  }, target);
  await formAnswer;
}

beforeAll(async () => {
  // Keep-alive (and the idle socket timeout that would end it sooner) far beyond the test
  // timeout (300 s): the issue-11 defect held the next upload for the keep-alive timeout, so
  // with it the upload test runs into its timeout and fails, rather than pass late.
  server = await startServer({
    seedProducts: 20,
    env: { KEEP_ALIVE_TIMEOUT_MS: '3600000', CONNECTION_IDLE_TIMEOUT_MS: '3600000' },
  });
  browser = await launchBrowser([
    '--host-resolver-rules=MAP rebind.test 127.0.0.1',
    // Chromium's own Local Network Access check stops a page it counts as public (the routed
    // rebinding page has no address) from reaching loopback unless the user allows it. Other
    // browsers have no such check and a user may allow it: the server must hold without it.
    '--disable-features=LocalNetworkAccessChecks',
  ]);
});

afterAll(async () => {
  await browser?.close();
  for (const site of attackerServers) site.close();
  await server?.stop();
});

describe('a page on another origin', () => {
  it.each([
    ['another loopback address (cross-site)', '127.0.0.2'],
    ['another port of the same address (same-site, cross-origin)', '127.0.0.1'],
  ])('from %s cannot import or create anything', async (_label, host) => {
    const origin = await attackerOrigin(host);
    const before = await catalog();
    const page = await browser.newPage();
    const reports = await appAnswers(page);
    // If the browser never reports one, the suite's hang guard fails the test: say what came.
    onTestFailed(() => console.info('requests to the app and their status:', reports.requests()));
    await page.goto(`${origin}/`);
    await attack(page, server.url);
    // The browser reports an answer's raw status on its own schedule, which can come after the
    // page's script has moved on (and before or after the request itself): wait for all five
    // before closing the page, so a late report is not read as a missing answer.
    const answers = await reports.received(5);
    await page.close();

    expect(answers.map((answer) => `${answer.method} ${answer.path}`)).toEqual([
      'POST /api/import/products',
      'POST /api/import/products',
      'POST /api/categories',
      'POST /api/import/categories',
      'POST /api/import/products',
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([403, 403, 403, 403, 403]);
    expect(await catalog()).toEqual(before);
  });

  it('while the app on its own origin still imports (the control)', async () => {
    const before = await catalog();
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    const status = await page.evaluate(async () => {
      const response = await fetch('/api/import/products', {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv' },
        body: 'Handle,Title\nsame-origin-import,Imported by the app itself\n',
      });
      return response.status;
    });
    await page.close();
    expect(status).toBe(200);
    expect((await catalog()).products).toBe(before.products + 1);
  });
});

describe('uploads after an early rejection (issue 11: the next upload waited 73 s)', () => {
  it('the browser gets the 422 of a large wrong upload, and the next upload answers at once', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    const outcome = await page.evaluate(async () => {
      // 30 MB that the import refuses on its first line (no Handle / Title columns).
      const wrong = new Blob(['Name,Price\n', 'x,1\n'.repeat(7_500_000)], { type: 'text/csv' });
      const started = performance.now();
      const rejected = await fetch('/api/import/products', { method: 'POST', body: wrong });
      const rejectedMs = performance.now() - started;
      const good = await fetch('/api/import/products', {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv' },
        body: 'Handle,Title\nafter-a-rejection,Imported at once\n',
      });
      return {
        rejected: rejected.status,
        rejectedCode: ((await rejected.json()) as { code: string }).code,
        good: good.status,
        rejectedMs,
        bothMs: performance.now() - started,
      };
    });
    await page.close();
    expect(outcome.rejected).toBe(422);
    expect(outcome.rejectedCode).toBe('VALIDATION_ERROR');
    expect(outcome.good).toBe(200);
    // Both answers take under half a second here (the browser stops sending when the connection
    // closes); the defect held them for the keep-alive timeout (73.8 s measured on the old code),
    // which this suite sets to an hour: with the defect the test runs into its timeout.
    console.info(
      'rejected upload answered in',
      Math.round(outcome.rejectedMs),
      'ms; both in',
      Math.round(outcome.bothMs),
      'ms',
    );
  });
});

describe('DNS rebinding', () => {
  it('refuses a Host header the server does not answer to (raw request)', async () => {
    const { port } = new URL(server.url);
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/api/products',
          headers: { host: `evil.example:${port}` },
        },
        (response) => {
          let body = '';
          response.on('data', (data: Buffer) => (body += data.toString('utf8')));
          response.on('end', () => resolve({ status: response.statusCode!, body }));
        },
      );
      request.on('error', reject);
      request.end();
    });
    expect(answer.status).toBe(403);
    expect(JSON.parse(answer.body)).toMatchObject({
      success: false,
      code: 'FORBIDDEN',
      details: { reason: 'host_not_allowed' },
    });
  });

  it('a page on a name that now resolves to 127.0.0.1 can neither read nor create a token', async () => {
    const before = await catalog();
    const { port } = new URL(server.url);
    const rebound = `http://rebind.test:${port}`;
    const page = await browser.newPage();
    // The attacker's page as it was served before its name was rebound to 127.0.0.1 (the
    // browser's resolver rule); every request it makes afterwards reaches the app.
    await page.route(`${rebound}/`, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html', body: BLANK }),
    );
    await page.goto(`${rebound}/`);
    const outcome = await page.evaluate(async () => {
      const read = await fetch('/api/products');
      const write = await fetch('/api/tokens', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'rebound', role: 'admin' }),
      });
      return {
        read: read.status,
        readBody: (await read.text()).slice(0, 500),
        write: write.status,
        writeBody: (await write.text()).slice(0, 500),
      };
    });
    await page.close();
    expect(outcome.read, outcome.readBody).toBe(403);
    expect(outcome.readBody).toContain('host_not_allowed');
    expect(outcome.readBody).not.toContain('"handle"');
    expect(outcome.write, outcome.writeBody).toBe(403);
    expect(await catalog()).toEqual(before);
  });
});
