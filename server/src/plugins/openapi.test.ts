/**
 * The OpenAPI document as generators and validating proxies read it (issue 10): each check below
 * failed on the document before (defaults marked required, uploads typed as a string, no
 * security on any operation, no operationIds, every schema inlined, no examples, no servers).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/test-app.js';

const addFormats = formats as unknown as typeof formats.default;

interface Media {
  schema?: Record<string, unknown>;
  example?: unknown;
}
interface Operation {
  operationId?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: {
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema: { default?: unknown };
  }[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
}
interface Document {
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

function operations(document: Document): [string, Operation][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, operation]): [string, Operation] => [`${method} ${path}`, operation]),
  );
}

let test: TestApp;
let document: Document;
beforeAll(async () => {
  test = await createTestApp();
  const response = await test.app.inject('/openapi.json');
  document = response.json();
});
afterAll(async () => {
  await test?.close();
});

describe('the OpenAPI document', () => {
  it('names every operation with a unique operationId', () => {
    const ids = operations(document).map(([name, operation]) => {
      expect(operation.operationId, name).toMatch(/^[a-z][A-Za-z0-9]+$/);
      return operation.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['listProducts', 'assignCategories']));
  });

  it('marks no query parameter with a default as required', () => {
    const required = operations(document).flatMap(([name, operation]) =>
      (operation.parameters ?? [])
        .filter((parameter) => parameter.in === 'query' && parameter.required)
        .map((parameter) => `${name} ${parameter.name}`),
    );
    expect(required).toEqual([]);
    const limit = document.paths['/api/products']!.get!.parameters!.find(
      (parameter) => parameter.name === 'limit',
    )!;
    expect(limit.schema.default).toBe(50);
    expect(limit.description).toBeTruthy();
  });

  it('describes the uploads per media type', () => {
    const products = document.paths['/api/import/products']!.post!.requestBody!.content;
    expect(products['text/csv']!.schema).toMatchObject({ type: 'string' });
    expect(products['multipart/form-data']!.schema).toMatchObject({
      type: 'object',
      required: ['file'],
      properties: { file: { type: 'string', format: 'binary' } },
    });
    const categories = document.paths['/api/import/categories']!.post!.requestBody!.content;
    expect(categories['application/json']!.schema).toMatchObject({ type: 'array' });
    expect(Object.keys(categories)).toContain('multipart/form-data');
  });

  it('applies bearerAuth per operation (optional with AUTH_MODE=none) and names the role', () => {
    for (const [name, operation] of operations(document)) {
      if (name.endsWith('/health/live') || name.endsWith('/health/ready')) {
        expect(operation.security, name).toEqual([]);
        continue;
      }
      expect(operation.security, name).toEqual([{ bearerAuth: [] }, {}]);
      expect(operation.description, name).toMatch(/needs a (viewer|editor|admin) token/);
    }
    expect(document.paths['/api/tokens']!.get!.description).toMatch(/admin token/);
    expect(document.paths['/api/bulk/assign']!.post!.description).toMatch(/editor token/);
  });

  it('requires the bearer token on every operation but the probes with AUTH_MODE=token', async () => {
    const secured = await createTestApp({ AUTH_MODE: 'token' });
    try {
      const tokenDocument = secured.app.swagger() as unknown as Document;
      for (const [name, operation] of operations(tokenDocument)) {
        const probe = name.endsWith('/health/live') || name.endsWith('/health/ready');
        expect(operation.security, name).toEqual(probe ? [] : [{ bearerAuth: [] }]);
      }
    } finally {
      await secured.close();
    }
  });

  it('shares the contract schemas as components, and every $ref resolves', () => {
    const text = JSON.stringify(document);
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
      (match) => match[1]!,
    );
    expect(refs.length).toBeGreaterThan(50);
    for (const name of new Set(refs)) expect(document.components.schemas[name], name).toBeDefined();
    for (const name of ['Product', 'Category', 'ErrorEnvelope', 'Pagination', 'ImportReport']) {
      expect(refs, name).toContain(name);
    }
    // The error envelope is written once, not once per operation and status.
    expect(text.split('"INTERNAL_ERROR"').length - 1).toBe(1);
  });

  it('has a server, tag descriptions and valid examples for the main operations', () => {
    expect(document.servers?.length).toBeGreaterThan(0);
    for (const tag of document.tags ?? []) expect(tag.description, tag.name).toBeTruthy();
    const ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
    const examples: string[] = [];
    for (const [name, operation] of operations(document)) {
      const media = [
        ['request', operation.requestBody?.content['application/json']],
        ...Object.entries(operation.responses).map(([status, response]) => [
          status,
          response.content?.['application/json'],
        ]),
      ] as [string, Media | undefined][];
      for (const [where, entry] of media) {
        if (!entry?.schema || entry.example === undefined) continue;
        const validate = ajv.compile({ ...entry.schema, components: document.components });
        expect(
          validate(entry.example),
          `${name} ${where}: ${ajv.errorsText(validate.errors)}`,
        ).toBe(true);
        examples.push(`${operation.operationId} ${where}`);
      }
    }
    expect(examples).toEqual(
      expect.arrayContaining([
        'listProducts 200',
        'assignCategories request',
        'assignCategories 201',
        'bulkAssignCategories request',
        'importProducts 200',
      ]),
    );
  });
});
