/**
 * The OpenAPI document as a client generator sees it (issue 10). At test time the served
 * /openapi.json is turned into TypeScript types with openapi-typescript, a short session written
 * against those types with openapi-fetch is type-checked by the TypeScript compiler, and then run
 * against a real listening server: import categories (JSON) and products (multipart), list,
 * assign, bulk assign, export CSV. Every answer is also checked against the document.
 *
 * The generated files live in a temporary folder (with a link to this repository's node_modules,
 * so that `openapi-fetch` resolves), never in the repository.
 */
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractChecker } from '../helpers/contract.js';
import { createTestApp, invariantViolations, type TestApp } from '../helpers/test-app.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CSV_FIXTURE = path.join(ROOT, 'server/test/fixtures/shopify-sample.csv');

/** The session, as an integrator would write it against the generated types. */
const SESSION = `
import createClient from 'openapi-fetch';
import type { paths } from './api';

export async function session(baseUrl: string, fetchImpl: typeof fetch, csv: string) {
  const client = createClient<paths>({ baseUrl, fetch: fetchImpl });

  const categories = await client.POST('/api/import/categories', {
    body: [
      { category_name: 'Footwear', category_level: 1, connected_to: null },
      { category_name: 'Boots', category_level: 2, connected_to: 'Footwear' },
    ],
  });
  if (!categories.data) throw new Error('category import failed: ' + JSON.stringify(categories.error));

  const products = await client.POST('/api/import/products', {
    body: { file: csv },
    bodySerializer: (body) => {
      const form = new FormData();
      const text = typeof body === 'string' ? body : body.file;
      form.append('file', new Blob([text], { type: 'text/csv' }), 'products.csv');
      return form;
    },
  });
  if (!products.data) throw new Error('product import failed: ' + JSON.stringify(products.error));

  // Only limit: every other query field has a default and is optional to the client.
  const page = await client.GET('/api/products', { params: { query: { limit: 5 } } });
  if (!page.data) throw new Error('list failed: ' + JSON.stringify(page.error));
  const handles: string[] = page.data.data.map((product) => product.product_id);

  const found = await client.GET('/api/categories', { params: { query: { search: 'boots' } } });
  if (!found.data) throw new Error('category search failed');
  const boots = found.data.data.find((category) => category.name === 'Boots');
  if (!boots) throw new Error('no Boots category');

  const assigned = await client.POST('/api/products/{product_id}/categories', {
    params: { path: { product_id: handles[0]! } },
    body: { category_ids: [boots.id] },
  });
  if (!assigned.data) throw new Error('assign failed: ' + JSON.stringify(assigned.error));

  const bulk = await client.POST('/api/bulk/assign', {
    body: { product_ids: handles.slice(0, 3), category_ids: [boots.id] },
  });
  if (!bulk.data) throw new Error('bulk assign failed: ' + JSON.stringify(bulk.error));
  // One 200 schema answers the write and, with dry_run, its preview: the client narrows it.
  const bulkResult = bulk.data.data;
  if (!('summary' in bulkResult)) throw new Error('bulk assign answered a preview');

  const missing = await client.GET('/api/products/{product_id}', {
    params: { path: { product_id: 'no-such-product' } },
  });
  // The 404 is typed: its body is the error envelope.
  const missingCode: string | undefined = missing.error?.code;

  const exported = await client.GET('/api/export/csv', {
    params: { query: { category_id: boots.id } },
    parseAs: 'text',
  });
  if (exported.data === undefined) throw new Error('export failed');

  return {
    categoriesCreated: categories.data.data.created,
    productsCreated: products.data.data.created,
    handles,
    total: page.data.metadata.total_products,
    assignStatus: assigned.response.status,
    added: assigned.data.data.added.map((category) => category.name),
    bulkSummary: bulkResult.summary,
    missingStatus: missing.response.status,
    missingCode,
    csv: exported.data as string,
    csvType: exported.response.headers.get('content-type'),
  };
}
`;

/** Calls a generator's type checks should refuse (each reproduces a defect the document had). */
const MISUSES = `
import createClient from 'openapi-fetch';
import type { paths } from './api';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1' });
// A limit must be a number.
void client.GET('/api/products', { params: { query: { limit: 'five' } } });
// Assigning takes category_ids, not names.
void client.POST('/api/products/{product_id}/categories', {
  params: { path: { product_id: 'x' } },
  body: { categories: ['Boots'] },
});
// Not an operation of this API.
void client.PUT('/api/products', {});
`;

function typeCheck(directory: string, file: string): string[] {
  const program = ts.createProgram([path.join(directory, file)], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    skipLibCheck: true,
  });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

let test: TestApp;
let baseUrl: string;
let directory: string;
let document: Record<string, unknown>;

beforeAll(async () => {
  test = await createTestApp();
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const address = test.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  baseUrl = `http://127.0.0.1:${address.port}`;
  // The document as served, over HTTP.
  const served = await fetch(`${baseUrl}/openapi.json`);
  expect(served.status).toBe(200);
  document = (await served.json()) as Record<string, unknown>;

  directory = await mkdtemp(path.join(tmpdir(), 'generated-client-'));
  await symlink(path.join(ROOT, 'node_modules'), path.join(directory, 'node_modules'), 'dir');
  const types = astToString(await openapiTS(document as never));
  await writeFile(path.join(directory, 'api.d.ts'), types);
  await writeFile(path.join(directory, 'session.ts'), SESSION);
  await writeFile(path.join(directory, 'misuses.ts'), MISUSES);
});

afterAll(async () => {
  if (directory) await rm(directory, { recursive: true, force: true });
  if (test) {
    expect(await invariantViolations(test.db)).toEqual([]);
    await test.close();
  }
});

describe('a client generated from /openapi.json', () => {
  it('has types in which the session compiles (defaults optional, uploads and errors typed)', async () => {
    const types = await readFile(path.join(directory, 'api.d.ts'), 'utf8');
    // Named operations and shared components, as the generator emits them.
    expect(types).toMatch(/listProducts: \{/);
    expect(types).toMatch(/Product: \{/);
    expect(typeCheck(directory, 'session.ts')).toEqual([]);
  });

  it('has types that refuse wrong calls', () => {
    const problems = typeCheck(directory, 'misuses.ts');
    expect(problems.length, problems.join('\n')).toBeGreaterThanOrEqual(3);
  });

  it('runs a real session: import, list, assign, bulk assign, export', async () => {
    const contract = new ContractChecker(document as never);
    const checked: string[] = [];
    // Every answer the client receives is checked against the document it was generated from.
    const checkingFetch: typeof fetch = async (input, init) => {
      const request = input instanceof Request ? input : new Request(input, init);
      const response = await fetch(request);
      const body = await response.clone().text();
      const url = new URL(request.url);
      contract.check(
        request.method,
        url.pathname + url.search,
        response.status,
        response.headers.get('content-type') ?? undefined,
        body,
      );
      checked.push(`${request.method} ${url.pathname} ${response.status}`);
      return response;
    };
    const module = (await import(pathToFileURL(path.join(directory, 'session.ts')).href)) as {
      session: (
        baseUrl: string,
        fetchImpl: typeof fetch,
        csv: string,
      ) => Promise<{
        categoriesCreated: number;
        productsCreated: number;
        handles: string[];
        total: number;
        assignStatus: number;
        added: string[];
        bulkSummary: { products_processed: number; total_assigned: number; total_skipped: number };
        missingStatus: number;
        missingCode: string | undefined;
        csv: string;
        csvType: string | null;
      }>;
    };
    const csv = await readFile(CSV_FIXTURE, 'utf8');
    const result = await module.session(baseUrl, checkingFetch, csv);

    expect(result.categoriesCreated).toBe(2);
    expect(result.productsCreated).toBeGreaterThanOrEqual(3);
    expect(result.handles.length).toBeGreaterThanOrEqual(3);
    expect(result.handles.length).toBeLessThanOrEqual(5);
    expect(result.total).toBe(result.productsCreated);
    expect(result.assignStatus).toBe(201);
    // Boots comes with its parent, Footwear.
    expect(result.added).toEqual(['Boots']);
    expect(result.bulkSummary).toMatchObject({
      products_processed: 3,
      total_assigned: 2,
      total_skipped: 1,
    });
    expect(result.missingStatus).toBe(404);
    expect(result.missingCode).toBe('NOT_FOUND');
    expect(result.csvType).toMatch(/^text\/csv/);
    const lines = result.csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(lines[0]).toBe('product_id,product_name,categories');
    // The three products now in Boots, each with its path.
    expect(lines).toHaveLength(4);
    for (const handle of result.handles.slice(0, 3)) {
      expect(result.csv).toContain(handle);
    }
    expect(result.csv).toContain('Footwear > Boots');
    expect(checked).toHaveLength(8);

    // What the client was told is what is stored.
    const stored = await test.request(`/api/products/${encodeURIComponent(result.handles[0]!)}`);
    expect(
      stored.json().data.categories.map((category: { name: string }) => category.name),
    ).toEqual(['Footwear', 'Boots']);
  });
});
