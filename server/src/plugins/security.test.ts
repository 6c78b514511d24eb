/** Security headers on every answer; CORS closed unless origins are configured. */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

const opened: TestApp[] = [];
afterAll(async () => {
  for (const test of opened) await test.close();
});
async function app(overrides: Record<string, string> = {}) {
  const test = await createTestApp(overrides);
  opened.push(test);
  return test;
}

describe('security headers', () => {
  it('sends a Content-Security-Policy and the usual hardening headers, on API and page alike', async () => {
    const test = await app();
    for (const url of ['/api/stats', '/api/products/nobody', '/health/live']) {
      const response = await test.app.inject(url);
      const csp = response.headers['content-security-policy'] as string;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });
});

describe('CORS', () => {
  it('is closed by default: no Access-Control-Allow-Origin for any origin', async () => {
    const test = await app();
    const response = await test.app.inject({
      method: 'GET',
      url: '/api/stats',
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers only the configured origins, preflight included', async () => {
    const test = await app({ CORS_ORIGINS: 'https://shop.example' });
    const preflight = await test.app.inject({
      method: 'OPTIONS',
      url: '/api/products/p-1/categories',
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization',
      },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    const other = await test.app.inject({
      method: 'GET',
      url: '/api/stats',
      headers: { origin: 'https://elsewhere.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const allowed = await test.app.inject({
      method: 'GET',
      url: '/api/stats',
      headers: { origin: 'https://shop.example' },
    });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
    expect(allowed.headers['access-control-expose-headers']).toContain('ETag');
  });
});
