/**
 * Cross-site writes and DNS rebinding (issue 9, M5), through app.inject (which sends
 * `Host: localhost:80` unless told otherwise). The browser side of the same attacks is
 * e2e/cross-site.e2e.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, snapshot, type TestApp } from '../../test/helpers/test-app.js';
import { hostAllowed, hostName } from './cross-site.js';

const CSV = "Handle,Title\ncsrf-planted,=cmd|' /C calc'!A0\n";

const opened: TestApp[] = [];
afterAll(async () => {
  for (const test of opened) await test.close();
});
async function app(overrides: Record<string, string> = {}) {
  const test = await createTestApp(overrides);
  opened.push(test);
  return test;
}

function importCsv(test: TestApp, headers: Record<string, string>) {
  return test.request({
    method: 'POST',
    url: '/api/import/products',
    headers: { 'content-type': 'text/plain', ...headers },
    payload: CSV,
  });
}

async function productCount(test: TestApp) {
  const response = await test.request('/api/products');
  return (response.json() as { metadata: { total_products: number } }).metadata.total_products;
}

describe('cross-origin writes', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await app({ CORS_ORIGINS: 'https://admin.shop.example' });
  });

  it('refuses a text/plain import from a foreign Origin (403 envelope) and stores nothing', async () => {
    const before = await snapshot(test.db);
    const response = await importCsv(test, { origin: 'http://attacker.example' });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({
      success: false,
      code: 'FORBIDDEN',
      details: { reason: 'cross_site_request', origin: 'http://attacker.example' },
    });
    // The refusal carries the security headers like every answer (it used to be sent before
    // helmet's hook ran: no nosniff, no CSP, no Cross-Origin-Resource-Policy).
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(response.headers['content-security-policy']).toContain("default-src 'self'");
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('refuses Sec-Fetch-Site cross-site and same-site (another port of the same address)', async () => {
    const before = await snapshot(test.db);
    for (const [site, origin] of [
      ['cross-site', 'http://127.0.0.2:9999'],
      ['same-site', 'http://localhost:9999'],
    ] as const) {
      const response = await importCsv(test, { origin, 'sec-fetch-site': site });
      expect(response.statusCode, site).toBe(403);
      expect(response.json().details).toMatchObject({
        reason: 'cross_site_request',
        sec_fetch_site: site,
      });
    }
    // Sec-Fetch-Site alone (some requests carry no Origin) is enough.
    const noOrigin = await importCsv(test, { 'sec-fetch-site': 'cross-site' });
    expect(noOrigin.statusCode).toBe(403);
    // `Origin: null` (sandboxed frames, file: pages) is not the app's origin either.
    expect((await importCsv(test, { origin: 'null' })).statusCode).toBe(403);
    // Same host name on another port is another origin.
    expect((await importCsv(test, { origin: 'http://localhost:9999' })).statusCode).toBe(403);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('refuses every state-changing method, JSON included', async () => {
    const before = await snapshot(test.db);
    const headers = { origin: 'http://attacker.example', 'content-type': 'application/json' };
    for (const [method, url, payload] of [
      ['POST', '/api/categories', { name: 'Planted' }],
      ['PATCH', '/api/categories/1', { name: 'Renamed' }],
      ['DELETE', '/api/categories/1', undefined],
      ['POST', '/api/products/p-1/categories', { category_ids: [1] }],
      // No route takes PUT; refused before routing all the same.
      ['PUT', '/api/products/p-1/categories', { category_ids: [] }],
    ] as const) {
      const response = await test.request({ method, url, headers, payload });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.json().details.reason).toBe('cross_site_request');
    }
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('takes writes from the same origin, from CORS_ORIGINS, and from clients that send no Origin', async () => {
    const count = await productCount(test);
    const sameOrigin = await importCsv(test, { origin: 'http://localhost' });
    expect(sameOrigin.statusCode).toBe(200);
    expect(await productCount(test)).toBe(count + 1);

    const callers: Record<string, string>[] = [
      // What Chromium sends from the app's own page.
      { origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
      // A listed origin, even though the browser calls it cross-site.
      { origin: 'https://admin.shop.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'https://admin.shop.example' },
      // curl, scripts, server-to-server: no Origin, no Sec-Fetch-Site.
      {},
      // A bookmark or typed address: Sec-Fetch-Site none.
      { 'sec-fetch-site': 'none' },
      // Default ports compare equal: Host localhost:80 is http://localhost.
      { origin: 'http://localhost:80' },
    ];
    for (const headers of callers) {
      const response = await importCsv(test, headers);
      expect(response.statusCode, JSON.stringify(headers)).toBe(200);
    }
    const created = await test.request({
      method: 'POST',
      url: '/api/categories',
      headers: { origin: 'http://localhost', 'content-type': 'application/json' },
      payload: { name: 'Made here' },
    });
    expect(created.statusCode).toBe(201);
  });

  it('leaves reads alone: a GET with a foreign Origin is answered (CORS keeps its body from the page)', async () => {
    const response = await test.request({
      method: 'GET',
      url: '/api/stats',
      headers: { origin: 'http://attacker.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('Host allow-list (DNS rebinding)', () => {
  let test: TestApp;
  beforeAll(async () => {
    test = await app();
  });

  it('refuses a host name it does not serve, for reads and writes, with a 403 envelope', async () => {
    const before = await snapshot(test.db);
    for (const [method, url] of [
      ['GET', '/api/products'],
      ['GET', '/'],
      ['GET', '/health'],
      ['POST', '/api/tokens'],
    ] as const) {
      const response = await test.request({
        method,
        url,
        headers: { host: 'rebind.attacker.example:3000', 'content-type': 'application/json' },
        payload: method === 'POST' ? { name: 'stolen', role: 'admin' } : undefined,
      });
      expect(response.statusCode, `${method} ${url}`).toBe(403);
      expect(response.json()).toMatchObject({
        success: false,
        code: 'FORBIDDEN',
        details: { reason: 'host_not_allowed' },
      });
    }
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('answers loopback names and IP addresses on any port, and liveness / readiness probes from anywhere', async () => {
    for (const host of [
      'localhost',
      'localhost:3000',
      'app.localhost:3000',
      '127.0.0.1:3000',
      '[::1]:3000',
      '10.1.2.3:8080',
      'LOCALHOST',
    ]) {
      const response = await test.app.inject({ url: '/api/stats', headers: { host } });
      expect(response.statusCode, host).toBe(200);
    }
    for (const url of ['/health/live', '/health/ready']) {
      const response = await test.app.inject({ url, headers: { host: 'pod.internal.example' } });
      expect(response.statusCode, url).toBe(200);
    }
  });

  it('answers the names in ALLOWED_HOSTS (".domain" for its subdomains) and a named HOST', async () => {
    const listed = await app({
      ALLOWED_HOSTS: 'tags.shop.example, .internal.example',
      HOST: 'tagbox.lan',
    });
    for (const host of [
      'tags.shop.example',
      'tags.shop.example:8443',
      'a.internal.example',
      'internal.example',
      'tagbox.lan:3000',
    ]) {
      const response = await listed.app.inject({ url: '/api/stats', headers: { host } });
      expect(response.statusCode, host).toBe(200);
    }
    for (const host of [
      'shop.example',
      'evil-internal.example',
      'tags.shop.example.evil.example',
    ]) {
      const response = await listed.app.inject({ url: '/api/stats', headers: { host } });
      expect(response.statusCode, host).toBe(403);
    }
    const any = await app({ ALLOWED_HOSTS: '*' });
    const response = await any.app.inject({
      url: '/api/stats',
      headers: { host: 'whatever.example' },
    });
    expect(response.statusCode).toBe(200);
  });

  it('parses Host values as a browser would, and refuses malformed ones', () => {
    expect(hostName('[::1]:3000')).toBe('::1');
    expect(hostName('Example.COM.:80')).toBe('example.com');
    expect(hostName('user@localhost')).toBeNull();
    expect(hostName('localhost/path')).toBeNull();
    expect(hostName('bad host')).toBeNull();
    expect(hostAllowed('127.0.0.1', [])).toBe(true);
    expect(hostAllowed('evil.example', [])).toBe(false);
    expect(hostAllowed('localhost.evil.example', [])).toBe(false);
    expect(hostAllowed('evil.example', null)).toBe(true);
  });
});
