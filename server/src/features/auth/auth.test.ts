/**
 * Access control with AUTH_MODE=token, over every API operation the OpenAPI document lists (so
 * an endpoint added later is covered without touching this file): every write × every kind of
 * caller, every read without a token and with a viewer token, the exempt paths, and revocation.
 * Verified tokens are not cached here (AUTH_CACHE_SECONDS=0); tokens.test.ts covers the cache.
 */
import type { TokenRole } from '@tag-manager/contract';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import { shopifyCsv } from '../../../test/helpers/fixtures.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';
import { generateToken } from './access.js';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';

const SYSTEM = { actor: 'test', source: 'system' as const };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface JsonSchema {
  $ref?: string;
  type?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  const?: unknown;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  minLength?: number;
  minimum?: number;
}
interface Operation {
  'x-required-role'?: TokenRole;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema?: JsonSchema }> };
}
interface Endpoint {
  method: Uppercase<(typeof METHODS)[number]>;
  path: string;
  operation: Operation;
  /** What this test expects, from the rule itself rather than from the document. */
  required: TokenRole;
}

// The app is built while the tests are collected, so the operations can name the tests.
const METRICS_TOKEN = 'scraper-secret-0123456789abcdef0123456789';
const test: TestApp = await createTestApp({
  AUTH_MODE: 'token',
  AUTH_CACHE_SECONDS: '0',
  METRICS_TOKEN,
  // The fixture's queued job must stay queued until the cancel under test reaches it: a runner
  // would claim it within JOB_POLL_MS and fail it (its params are empty), making the allowed
  // cancels 409 by timing. Roles are what is tested here; the runner has its own tests.
  JOB_RUNNER: 'false',
  // Webhook registration resolves no host name with it (the fixture's URL is never called:
  // no worker runs here).
  WEBHOOK_ALLOW_PRIVATE: 'true',
  WEBHOOK_WORKER: 'false',
  // Each write operation's fixture registers one.
  WEBHOOK_MAX: '1000',
});
const document = (await test.app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
  paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
  components: { schemas: Record<string, JsonSchema> };
};
const endpoints: Endpoint[] = Object.entries(document.paths)
  .filter(([path]) => path === '/api' || path.startsWith('/api/'))
  .flatMap(([path, item]) =>
    METHODS.filter((method) => item[method]).map((method) => ({
      method: method.toUpperCase() as Endpoint['method'],
      path,
      operation: item[method]!,
      required: (path === '/api/tokens' ||
      path.startsWith('/api/tokens/') ||
      path === '/api/webhooks' ||
      path.startsWith('/api/webhooks/') ||
      (path === '/api/sample-data' && method === 'delete')
        ? 'admin'
        : method === 'get' || (path === '/api/suggestions' && method === 'post')
          ? 'viewer'
          : 'editor') as TokenRole,
    })),
  );
const writes = endpoints.filter((endpoint) => endpoint.method !== 'GET');
const reads = endpoints.filter((endpoint) => endpoint.method === 'GET');

type CallerKind = 'no token' | 'malformed header' | 'unknown token' | 'revoked token' | TokenRole;
const CALLERS: CallerKind[] = [
  'no token',
  'malformed header',
  'unknown token',
  'revoked token',
  'viewer',
  'editor',
  'admin',
];
const ROLE_ORDER: TokenRole[] = ['viewer', 'editor', 'admin'];
const isRole = (caller: CallerKind): caller is TokenRole =>
  (ROLE_ORDER as string[]).includes(caller);

const secrets = {} as Record<TokenRole | 'revoked token', string>;
const PRODUCT = 'auth-test-product';

function credentials(caller: CallerKind): Record<string, string> {
  switch (caller) {
    case 'no token':
      return {};
    case 'malformed header':
      return { authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` };
    case 'unknown token':
      return { authorization: `Bearer ${generateToken()}` };
    default:
      return { authorization: `Bearer ${secrets[caller]}` };
  }
}

/** A request as an admin: the fixtures every test needs are made through the API too. */
async function asAdmin(options: InjectOptions) {
  const response = await test.request({
    ...options,
    headers: { ...options.headers, ...credentials('admin') },
  });
  if (response.statusCode >= 300) {
    throw new Error(`${options.method} ${options.url}: ${response.statusCode} ${response.body}`);
  }
  return response.json() as { data: { id: number; secret?: string } };
}

let uniqueName = 0;
const createCategory = async () =>
  (
    await asAdmin({
      method: 'POST',
      url: '/api/categories',
      payload: { name: `Auth ${++uniqueName}` },
    })
  ).data.id;

/** What one write operation works on: fresh, so each operation can succeed for its editor. */
interface WriteFixture {
  /** A category nothing uses (`{id}` of category routes, `category_ids` of bodies). */
  categoryId: number;
  /** A category assigned to the product (`{category_id}` of assignment routes). */
  assignedCategoryId: number;
  /** A token that may be revoked (`{id}` of token routes). */
  tokenId: number;
  /** A change set that can be undone (`{id}` of change routes): the assignment above. */
  changeSetId: number;
  /** A queued job that may be cancelled (`{id}` of job routes). */
  jobId: number;
  /** An ended job whose change set (the assignment above) may be undone as a whole. */
  endedJobId: number;
  /** A level-2 category and a level-1 one it may move under (`{id}`, `parent_id` of a move). */
  movable: { id: number; parentId: number };
  /** A webhook that may be deleted (`{id}` of webhook routes). */
  webhookId: number;
}

async function writeFixture(): Promise<WriteFixture> {
  const categoryId = await createCategory();
  const assignedCategoryId = await createCategory();
  await asAdmin({
    method: 'POST',
    url: `/api/products/${PRODUCT}/categories`,
    payload: { category_ids: [assignedCategoryId] },
  });
  const changes = (await asAdmin({ method: 'GET', url: '/api/changes?limit=1' })) as unknown as {
    data: { id: number }[];
  };
  const token = await asAdmin({
    method: 'POST',
    url: '/api/tokens',
    payload: { name: `victim ${++uniqueName}`, role: 'viewer' },
  });
  const [job] = await queryRows<{ id: number }>(
    test.db,
    sql`insert into jobs (kind, params, actor, source) values ('bulk.assign', '{}'::jsonb, 'auth', 'api')
        returning id::int`,
  );
  const webhook = await asAdmin({
    method: 'POST',
    url: '/api/webhooks',
    payload: { url: `https://hooks.example.com/auth/${++uniqueName}`, kinds: ['*'] },
  });
  const [ended] = await queryRows<{ id: number }>(
    test.db,
    sql`insert into jobs (kind, state, params, actor, source, finished_at)
        values ('bulk.assign', 'succeeded', '{}'::jsonb, 'auth', 'api', now()) returning id::int`,
  );
  await test.db.execute(
    sql`update change_sets set job_id = ${ended!.id} where id = ${changes.data[0]!.id}`,
  );
  const child = await asAdmin({
    method: 'POST',
    url: '/api/categories',
    payload: { name: `Auth child ${++uniqueName}`, parent_id: await createCategory() },
  });
  return {
    categoryId,
    assignedCategoryId,
    tokenId: token.data.id,
    changeSetId: changes.data[0]!.id,
    jobId: job!.id,
    endedJobId: ended!.id,
    movable: { id: child.data.id, parentId: await createCategory() },
    webhookId: webhook.data.id,
  };
}

function pathFor(endpoint: Endpoint, fixture: WriteFixture): string {
  return endpoint.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    if (name === 'product_id') return PRODUCT;
    if (name === 'category_id') return String(fixture.assignedCategoryId);
    if (name === 'id' && endpoint.path.startsWith('/api/tokens')) return String(fixture.tokenId);
    if (name === 'id' && endpoint.path === '/api/jobs/{id}/undo') return String(fixture.endedJobId);
    if (name === 'id' && endpoint.path.startsWith('/api/jobs')) return String(fixture.jobId);
    if (name === 'id' && endpoint.path === '/api/categories/{id}/move')
      return String(fixture.movable.id);
    if (name === 'id' && endpoint.path.startsWith('/api/webhooks'))
      return String(fixture.webhookId);
    if (name === 'id' && endpoint.path.startsWith('/api/changes'))
      return String(fixture.changeSetId);
    if (name === 'id') return String(fixture.categoryId);
    return '1';
  });
}

/** A body the schema accepts, with ids that exist; names are new each time. */
function exampleOf(schema: JsonSchema | undefined, fixture: WriteFixture, field?: string): unknown {
  if (field === 'product_ids') return [PRODUCT];
  if (field === 'category_ids') return [fixture.categoryId];
  if (field === 'parent_id') return fixture.movable.parentId;
  if (field === 'name') return `Auth body ${++uniqueName}`;
  if (field === 'url') return `https://hooks.example.com/auth/${++uniqueName}`;
  if (field === 'kinds') return ['*'];
  if (!schema) return {};
  // Shared schemas are components (issue 10): follow the reference.
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return exampleOf(document.components.schemas[name], fixture, field);
  }
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices) return exampleOf(choices[0], fixture, field);
  if ('const' in schema) return schema.const;
  if (schema.enum) return schema.enum[0];
  switch (schema.type) {
    case 'object':
      // Bulk requests name their products with one of two optional fields: product_ids here.
      return Object.fromEntries(
        [
          ...(schema.required ?? []),
          ...(schema.properties?.product_ids ? ['product_ids'] : []),
        ].map((key) => [key, exampleOf(schema.properties?.[key], fixture, key)]),
      );
    case 'array':
      return Array.from({ length: Math.max(1, schema.minItems ?? 1) }, () =>
        exampleOf(schema.items, fixture),
      );
    case 'integer':
    case 'number':
      return Math.max(1, schema.minimum ?? 1);
    case 'boolean':
      return true;
    default:
      return 'x'.repeat(Math.max(1, schema.minLength ?? 1));
  }
}

function requestFor(endpoint: Endpoint, fixture: WriteFixture): InjectOptions {
  const url = pathFor(endpoint, fixture);
  const content = endpoint.operation.requestBody?.content;
  if (!content) return { method: endpoint.method, url };
  if (content['text/csv'] && endpoint.path === '/api/import/assignments') {
    // The app's own export format: the test product with no categories (a real, valid write).
    return {
      method: endpoint.method,
      url,
      headers: { 'content-type': 'text/csv' },
      payload: `product_id,product_name,categories\n${PRODUCT},Auth test product,\n`,
    };
  }
  if (content['text/csv']) {
    return {
      method: endpoint.method,
      url,
      headers: { 'content-type': 'text/csv' },
      payload: shopifyCsv([{ handle: `auth-import-${++uniqueName}`, title: 'Imported' }]),
    };
  }
  const schema = content['application/json']?.schema;
  // A JSON upload (it also takes a multipart file: the category list) gets a small valid list.
  const payload = content['multipart/form-data']
    ? [
        {
          category_name: `Auth import ${++uniqueName}`,
          category_level: 'Level 1 Category',
          connected_to: null,
        },
      ]
    : exampleOf(schema, fixture);
  return {
    method: endpoint.method,
    url,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(payload),
  };
}

/** 401 for callers without a valid token, 403 below the role, else the request is served. */
function expectAccess(
  response: LightMyRequestResponse,
  caller: CallerKind,
  required: TokenRole,
): 'refused' | 'served' {
  if (!isRole(caller)) {
    const body = expectErrorEnvelope(response, 401, 'UNAUTHORIZED');
    expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="tag-manager"/);
    expect(body.details.reason).toBe(
      {
        'no token': 'missing_token',
        'malformed header': 'malformed_header',
        'unknown token': 'invalid_token',
        'revoked token': 'revoked_token',
      }[caller],
    );
    return 'refused';
  }
  if (ROLE_ORDER.indexOf(caller) < ROLE_ORDER.indexOf(required)) {
    const body = expectErrorEnvelope(response, 403, 'FORBIDDEN');
    expect(body.details).toEqual({ token_role: caller, required_role: required });
    expect(body.error).toContain(`(${caller})`);
    expect(response.headers['www-authenticate']).toBeUndefined();
    return 'refused';
  }
  expect([401, 403], response.body).not.toContain(response.statusCode);
  expect(response.statusCode, response.body).toBeLessThan(500);
  return 'served';
}

beforeAll(async () => {
  for (const role of ROLE_ORDER) {
    secrets[role] = (await test.app.tokens.create({ name: `${role} token`, role }, SYSTEM)).secret;
  }
  const revoked = await test.app.tokens.create({ name: 'revoked', role: 'admin' }, SYSTEM);
  await test.app.tokens.revoke(revoked.id, SYSTEM);
  secrets['revoked token'] = revoked.secret;
  await asAdmin({
    method: 'POST',
    url: '/api/import/products',
    headers: { 'content-type': 'text/csv' },
    payload: shopifyCsv([{ handle: PRODUCT, title: 'Auth test product' }]),
  });
});

afterAll(async () => {
  expect(await invariantViolations(test.db)).toEqual([]);
  await test.close();
});

describe('the operations under test', () => {
  it('are every /api operation of the OpenAPI document, writes and token management included', () => {
    const names = endpoints.map((endpoint) => `${endpoint.method} ${endpoint.path}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'GET /api/products',
        'POST /api/categories',
        'PATCH /api/categories/{id}',
        'DELETE /api/categories/{id}',
        'POST /api/bulk/assign',
        'POST /api/import/products',
        'GET /api/tokens',
        'POST /api/tokens',
        'DELETE /api/tokens/{id}',
        'GET /api/jobs',
        'GET /api/jobs/{id}',
        'POST /api/jobs/{id}/cancel',
        'POST /api/changes/{id}/undo',
        'GET /api/webhooks',
        'POST /api/webhooks',
        'DELETE /api/webhooks/{id}',
        'GET /api/webhooks/{id}/deliveries',
        'POST /api/webhooks/{id}/enable',
      ]),
    );
    expect(writes.length).toBeGreaterThanOrEqual(10);
  });

  it.each(endpoints.map((endpoint) => [endpoint.method, endpoint.path, endpoint] as const))(
    '%s %s documents the role it needs and the bearer scheme',
    (_method, _path, endpoint) => {
      expect(endpoint.operation['x-required-role']).toBe(endpoint.required);
      expect(endpoint.operation.security).toEqual([{ bearerAuth: [] }]);
    },
  );
});

describe.each(writes.map((endpoint) => [endpoint.method, endpoint.path, endpoint] as const))(
  'write %s %s',
  (_method, _path, endpoint) => {
    let fixture: WriteFixture;
    const served: number[] = [];
    beforeAll(async () => {
      fixture = await writeFixture();
    });

    it.each(CALLERS)('with %s', async (caller) => {
      const options = requestFor(endpoint, fixture);
      const before = await snapshot(test.db);
      const response = await test.request({
        ...options,
        headers: { ...(options.headers as Record<string, string>), ...credentials(caller) },
      });
      if (expectAccess(response, caller, endpoint.required) === 'refused') {
        expect(await snapshot(test.db)).toEqual(before);
      } else {
        served.push(response.statusCode);
      }
    });

    it('was a real write: an allowed caller changed something', () => {
      // The refusals above prove something only if the same request does work when allowed.
      expect(
        served.some((status) => status >= 200 && status < 300),
        String(served),
      ).toBe(true);
    });
  },
);

describe.each(reads.map((endpoint) => [endpoint.path, endpoint] as const))(
  'read GET %s',
  (_path, endpoint) => {
    const fixture: WriteFixture = {
      categoryId: 1,
      assignedCategoryId: 1,
      tokenId: 1,
      changeSetId: 1,
      jobId: 1,
      endedJobId: 1,
      movable: { id: 1, parentId: 1 },
      webhookId: 1,
    };

    it.each(['no token', 'unknown token', 'viewer', 'admin'] as const)(
      'with %s',
      async (caller) => {
        const response = await test.request({
          method: 'GET',
          url: pathFor(endpoint, fixture),
          headers: credentials(caller),
        });
        expectAccess(response, caller, endpoint.required);
      },
    );
  },
);

describe('requests outside the operations', () => {
  it('HEAD needs a viewer token like GET', async () => {
    const anonymous = await test.app.inject({ method: 'HEAD', url: '/api/stats' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    const viewer = await test.app.inject({
      method: 'HEAD',
      url: '/api/stats',
      headers: credentials('viewer'),
    });
    expect(viewer.statusCode).toBe(200);
  });

  it.each([
    ['GET', '/api/nothing-here'],
    ['GET', '/api'],
    ['PUT', '/api/categories/1'],
    ['GET', '/api/products/'],
    ['GET', '/%61pi/products'],
    ['GET', '/api//products'],
  ] as const)('%s %s without a token is 401, never served', async (method, url) => {
    const response = await test.request({ method, url, headers: { accept: 'text/html' } });
    expectErrorEnvelope(response, 401, 'UNAUTHORIZED');
  });

  it('an unknown /api route with a viewer token is the usual 404', async () => {
    const response = await test.request({
      method: 'GET',
      url: '/api/nothing-here',
      headers: credentials('viewer'),
    });
    expectErrorEnvelope(response, 404, 'NOT_FOUND');
  });

  it('CORS preflights (OPTIONS) are not asked for a token', async () => {
    const response = await test.app.inject({
      method: 'OPTIONS',
      url: '/api/products',
      headers: { origin: 'https://example.com', 'access-control-request-method': 'GET' },
    });
    expect(response.statusCode).not.toBe(401);
  });

  it.each([
    '/health/live',
    '/health/ready',
    '/openapi.json',
    '/docs',
    '/docs/json',
    '/',
    '/index.html',
    '/assets/app.js',
  ])('%s needs no token', async (url) => {
    const response = await test.app.inject({ method: 'GET', url });
    expect(response.statusCode, response.body.slice(0, 200)).not.toBe(401);
    expect(response.statusCode).toBeLessThan(500);
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('the probes and the OpenAPI document answer 200 without a token', async () => {
    for (const url of ['/health/live', '/health/ready']) {
      expect((await test.request(url)).statusCode).toBe(200);
    }
    expect((await test.app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
  });
});

describe('monitoring in token mode: /metrics and the detailed /health (L4)', () => {
  const get = (url: string, headers: Record<string, string> = {}) =>
    test.app.inject({ method: 'GET', url, headers });

  it.each(['/metrics', '/health', '/metrics/', '/%6detrics'])(
    '%s without a token, or with a bad one, is 401 and shows nothing',
    async (url) => {
      for (const caller of ['no token', 'malformed header', 'unknown token'] as const) {
        const response = await get(url, credentials(caller));
        const body = expectErrorEnvelope(response, 401, 'UNAUTHORIZED');
        expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="tag-manager"/);
        expect(response.body).not.toContain('catalog_products');
        expect(body.details).not.toHaveProperty('pool');
      }
    },
  );

  it.each(['viewer', 'editor', 'admin'] as const)('a %s token reads both', async (role) => {
    const metrics = await get('/metrics', credentials(role));
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('catalog_products');
    const health = await test.request({ url: '/health', headers: credentials(role) });
    expect(health.statusCode).toBe(200);
    expect(health.json().data.database.driver).toBe(test.driver);
  });

  it('METRICS_TOKEN reads both, and nothing under /api', async () => {
    const scraper = { authorization: `Bearer ${METRICS_TOKEN}` };
    const metrics = await get('/metrics', scraper);
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('http_request_duration_seconds');
    expect((await get('/health', scraper)).statusCode).toBe(200);
    expectErrorEnvelope(await get('/api/stats', scraper), 401, 'UNAUTHORIZED');
    expectErrorEnvelope(
      await get('/metrics', { authorization: `Bearer ${METRICS_TOKEN}x` }),
      401,
      'UNAUTHORIZED',
    );
  });

  it('documents /health as a viewer read with the bearer scheme', async () => {
    const document = test.app.swagger() as unknown as {
      paths: Record<string, { get: Operation }>;
    };
    expect(document.paths['/health']!.get['x-required-role']).toBe('viewer');
    expect(document.paths['/health']!.get.security).toEqual([{ bearerAuth: [] }]);
    // Issue 10: the probes say explicitly that they are open.
    expect(document.paths['/health/live']!.get.security).toEqual([]);
  });
});

describe('DOCS_PUBLIC=false', () => {
  let closed: TestApp;
  let viewer: string;
  beforeAll(async () => {
    closed = await createTestApp({ AUTH_MODE: 'token', DOCS_PUBLIC: 'false' });
    viewer = (await closed.app.tokens.create({ name: 'docs reader', role: 'viewer' }, SYSTEM))
      .secret;
  });
  afterAll(() => closed.close());

  it.each(['/docs', '/docs/', '/docs/json', '/openapi.json'])(
    '%s needs a viewer token',
    async (url) => {
      const anonymous = await closed.app.inject({ method: 'GET', url });
      expectErrorEnvelope(anonymous, 401, 'UNAUTHORIZED');
      const allowed = await closed.app.inject({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${viewer}` },
      });
      expect([200, 302]).toContain(allowed.statusCode);
    },
  );

  it('leaves the probes open', async () => {
    for (const url of ['/health/live', '/health/ready']) {
      expect((await closed.app.inject({ method: 'GET', url })).statusCode).toBe(200);
    }
  });
});

describe('AUTH_MODE=none', () => {
  it('keeps /metrics, /health and the docs open, METRICS_TOKEN or not', async () => {
    const open = await createTestApp({ METRICS_TOKEN, DOCS_PUBLIC: 'false' });
    try {
      for (const url of ['/metrics', '/health', '/openapi.json']) {
        expect((await open.app.inject({ method: 'GET', url })).statusCode).toBe(200);
      }
    } finally {
      await open.close();
    }
  });
});

describe('tokens in use', () => {
  it('a token is accepted in any case of the scheme name', async () => {
    const response = await test.request({
      method: 'GET',
      url: '/api/stats',
      headers: { authorization: `bearer ${secrets.viewer}` },
    });
    expect(response.statusCode).toBe(200);
  });

  it('a secret with a character changed is refused', async () => {
    const secret = secrets.admin;
    const last = secret.at(-1) === 'A' ? 'B' : 'A';
    const response = await test.request({
      method: 'GET',
      url: '/api/stats',
      headers: { authorization: `Bearer ${secret.slice(0, -1)}${last}` },
    });
    expectErrorEnvelope(response, 401, 'UNAUTHORIZED');
  });

  it('a revocation takes effect on the next request (AUTH_CACHE_SECONDS=0)', async () => {
    const created = await asAdmin({
      method: 'POST',
      url: '/api/tokens',
      payload: { name: 'short-lived', role: 'editor' },
    });
    const headers = { authorization: `Bearer ${created.data.secret}` };
    expect((await test.request({ method: 'GET', url: '/api/stats', headers })).statusCode).toBe(
      200,
    );
    await asAdmin({ method: 'DELETE', url: `/api/tokens/${created.data.id}` });
    const refused = await test.request({ method: 'GET', url: '/api/stats', headers });
    const body = expectErrorEnvelope(refused, 401, 'UNAUTHORIZED');
    expect(body.details.reason).toBe('revoked_token');
    expect(refused.headers['www-authenticate']).toBe(
      'Bearer realm="tag-manager", error="invalid_token"',
    );
  });

  it('a write names the token that made it in the change log', async () => {
    const response = await test.request({
      method: 'POST',
      url: '/api/categories',
      headers: credentials('editor'),
      payload: { name: 'Written by the editor' },
    });
    expect(response.statusCode).toBe(201);
    const changes = await test.request({
      method: 'GET',
      url: '/api/changes?limit=1',
      headers: credentials('viewer'),
    });
    const [latest] = changes.json().data;
    expect(latest.kind).toBe('category.create');
    expect(latest.actor).toMatch(/^token:\d+:editor token$/);
  });
});
