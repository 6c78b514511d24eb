/**
 * OpenAPI 3.1 generated from the route schemas (which come from the contract); UI at /docs.
 *
 * The route schemas are written for validation; this plugin shapes what the document says about
 * them, for client generators and validating proxies:
 * - a query field with a default is optional (TypeBox lists it as required, since the validator
 *   always fills it in);
 * - the upload routes, which read their body as a stream, are described per media type;
 * - every schema the contract exports by name becomes a component, referenced with `$ref`
 *   wherever it appears (the document stays generated from the contract, just not inlined);
 * - examples for the main requests and responses (openapi-examples.ts), a `servers` entry, and
 *   tag descriptions.
 * Error responses are added by plugins/error-handler.ts (errorStatusesFor), security and the
 * role each operation needs by features/auth/auth.plugin.ts.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import * as contract from '@tag-manager/contract';
import { CategoryFileEntry, CATEGORY_IMPORT_MAX_ENTRIES } from '@tag-manager/contract';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { applyExamples } from './openapi-examples.js';

type Json = Record<string, unknown>;

/** A multipart form carrying one file in its `file` field. */
const multipartFile = (contentMediaType: string, description: string): Json => ({
  schema: {
    type: 'object',
    required: ['file'],
    properties: { file: { type: 'string', format: 'binary', contentMediaType, description } },
  },
});

/** The request bodies of the upload routes, which read their body as a stream. */
const UPLOAD_BODIES: Record<string, Json> = {
  '/api/import/products': {
    description:
      'A Shopify product export: the CSV itself (`text/csv`), or a multipart form with the file in its `file` field.',
    content: {
      'text/csv': {
        schema: { type: 'string', description: 'The CSV file, as exported by Shopify' },
      },
      'multipart/form-data': multipartFile('text/csv', 'The CSV file, as exported by Shopify'),
    },
  },
  '/api/import/assignments': {
    description:
      "An assignments file: the app's CSV export (`product_id,product_name,categories`) or the Shopify file (`Handle,Title,Tags` and the category metafield), as `text/csv` or a multipart form with the file in its `file` field.",
    content: {
      'text/csv': {
        schema: { type: 'string', description: 'The CSV file, as exported by this app' },
      },
      'multipart/form-data': multipartFile('text/csv', 'The CSV file, as exported by this app'),
    },
  },
  '/api/import/categories': {
    description:
      'A category list: a JSON array (`application/json`), or a multipart form with the JSON file in its `file` field.',
    content: {
      'application/json': {
        schema: {
          type: 'array',
          maxItems: CATEGORY_IMPORT_MAX_ENTRIES,
          items: CategoryFileEntry,
          description:
            'Entries `{category_name, category_level, connected_to}`; `connected_to` names the parent (levels 2 and 3)',
        },
      },
      'multipart/form-data': multipartFile(
        'application/json',
        'The category list file (a JSON array)',
      ),
    },
  },
};

const TAGS = [
  {
    name: 'products',
    description:
      "The catalog imported from Shopify, with each product's categories. Lists are filtered, sorted and paged: offset paging (`limit`, `offset`) or cursor paging (pass `pagination.next_cursor` back as `cursor`).",
  },
  {
    name: 'assignments',
    description:
      'Categories on one product. Assigning a category adds its missing ancestors; removing one removes its assigned descendants.',
  },
  {
    name: 'bulk',
    description:
      'Assign or remove categories on many products in one transaction, with a result per product.',
  },
  {
    name: 'categories',
    description:
      'The three-level category taxonomy: flat list, whole tree, lazy children, create, rename, delete.',
  },
  { name: 'stats', description: 'Catalog totals and the most-used categories.' },
  {
    name: 'import',
    description:
      'Uploads: a Shopify product export (CSV) and a category list (JSON). The answer is a report of what was created, updated and rejected.',
  },
  {
    name: 'export',
    description: "The product categorisation as CSV, with the product list's filters.",
  },
  { name: 'changes', description: 'The log of every write: who, when, what, before and after.' },
  {
    name: 'events',
    description:
      'Live updates: every committed change set as a Server-Sent Event, from every instance (docs/live-updates.md).',
  },
  {
    name: 'tokens',
    description: 'API tokens for AUTH_MODE=token (admin role). A secret is shown once.',
  },
  {
    name: 'webhooks',
    description:
      'Signed deliveries of committed change sets to integrations (admin role), from a durable outbox, retried with backoff, logged per attempt (docs/webhooks.md). A secret is shown once.',
  },
  {
    name: 'monitoring',
    description:
      "The Monitoring page's short history of this instance's own metrics (the live figures are at /metrics).",
  },
  {
    name: 'suggestions',
    description:
      "Category suggestions learned from the catalog's own assignments, and accepting them in bulk.",
  },
  {
    name: 'sample data',
    description:
      'The synthetic catalog seeded on a first start (marked as sample): how much there is, and its removal (admin).',
  },
  {
    name: 'queue',
    description:
      'The work queue: one product of a filter at a time, leased to one operator so that others get different products (README "Work queue").',
  },
  {
    name: 'health',
    description:
      'Probes for load balancers and orchestrators (`/health/live`, `/health/ready`, always open) and the detailed state (`/health`).',
  },
];

/** The route schema keys @fastify/swagger reads (a subset). */
interface RouteSchema {
  querystring?: Json & { properties?: Record<string, Json>; required?: string[] };
  body?: unknown;
  [key: string]: unknown;
}

/** A query field the validator fills with its default is optional to the client. */
function optionalDefaults(querystring: RouteSchema['querystring']) {
  if (!querystring?.properties || !Array.isArray(querystring.required)) return querystring;
  const properties = querystring.properties;
  const required = querystring.required.filter((name) => properties[name]?.default === undefined);
  return { ...querystring, required };
}

// ---------------------------------------------------------------------------------------------
// Components: the contract's named schemas, found in the generated document and referenced.

/** What @fastify/swagger does to a schema on its way into the document (OpenAPI 3.1). */
function asDocumented(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asDocumented);
  if (typeof schema !== 'object' || schema === null) return schema;
  const result: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === '$id' || key === '$schema') continue;
    if (key === 'patternProperties') {
      result.additionalProperties = asDocumented(Object.values(value as Json)[0]);
      continue;
    }
    result[key] = asDocumented(value);
  }
  return result;
}

/** Key-order-independent JSON, to recognise a schema wherever it was copied. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  const entries = Object.entries(value)
    .filter(([, entry]) => entry !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${canonical(entry)}`).join(',')}}`;
}

/** Schemas worth a name: objects and unions of literals (statuses, roles), not parameters. */
function isComponent(name: string, value: unknown): value is Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  if (/(Query|Params)$/.test(name)) return false;
  const schema = value as Json;
  if (schema.type === 'object' && schema.properties) return true;
  return (
    Array.isArray(schema.anyOf) &&
    schema.anyOf.length > 1 &&
    (schema.anyOf as Json[]).every((member) => 'const' in member)
  );
}

/** canonical JSON of each named contract schema → its name (the first name, alphabetically). */
function namedSchemas(): Map<string, string> {
  const names = new Map<string, string>();
  for (const name of Object.keys(contract).sort()) {
    const value = (contract as Record<string, unknown>)[name];
    if (!isComponent(name, value)) continue;
    const key = canonical(asDocumented(value));
    if (!names.has(key)) names.set(key, name);
  }
  return names;
}

/**
 * Replaces every copy of a named schema in the document by a `$ref` to one component. A copy
 * that carries a description of its own keeps it next to the `$ref` (allowed in 3.1).
 */
export function extractComponents(document: Json): Json {
  const names = namedSchemas();
  const components: Record<string, unknown> = {};

  const visit = (node: unknown, isSchema: boolean): unknown => {
    if (Array.isArray(node)) return node.map((entry) => visit(entry, isSchema));
    if (typeof node !== 'object' || node === null) return node;
    const object = node as Json;
    if (isSchema) {
      const { description, ...rest } = object;
      const name = names.get(canonical(object)) ?? names.get(canonical(rest));
      if (name) {
        if (!(name in components)) {
          components[name] = {};
          components[name] = visitSchemaChildren(names.get(canonical(object)) ? object : rest);
        }
        const ref: Json = { $ref: `#/components/schemas/${name}` };
        if (!names.get(canonical(object)) && typeof description === 'string') {
          ref.description = description;
        }
        return ref;
      }
      return visitSchemaChildren(object);
    }
    const result: Json = {};
    for (const [key, value] of Object.entries(object)) {
      result[key] = visit(value, key === 'schema');
    }
    return result;
  };

  /** The sub-schemas of a schema (properties, items, combinators), visited as schemas. */
  const visitSchemaChildren = (schema: Json): Json => {
    const result: Json = {};
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties' || key === 'patternProperties' || key === '$defs') {
        result[key] = Object.fromEntries(
          Object.entries(value as Json).map(([name, entry]) => [name, visit(entry, true)]),
        );
      } else if (
        ['items', 'additionalProperties', 'not', 'contains', 'anyOf', 'oneOf', 'allOf'].includes(
          key,
        )
      ) {
        result[key] = typeof value === 'boolean' ? value : visit(value, true);
      } else {
        result[key] = value;
      }
    }
    return result;
  };

  const paths = visit(document.paths, false);
  const existing = (document.components ?? {}) as Json;
  const sorted = Object.fromEntries(
    Object.entries(components).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return {
    ...document,
    paths,
    components: { ...existing, schemas: { ...(existing.schemas as Json), ...sorted } },
  };
}

// ---------------------------------------------------------------------------------------------

async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    // OpenAPI 3.1 has `const`; keeping it keeps the document's schemas the contract's own.
    convertConstToEnum: false,
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tag Manager API',
        version: '1.0.0',
        description: [
          'Category taxonomy and product categorisation for a Shopify catalog.',
          '',
          'Every JSON answer uses the success envelope (`success: true`, `data`, `timestamp`, `request_id`) or the error envelope (`success: false`, `error`, a stable `code`, `details`). Each operation lists the error statuses it can give.',
          '',
          '**Paging.** Lists take `limit` (default 50, at most 500) and `offset`. The product list also pages by cursor: pass `pagination.next_cursor` back as `cursor` (with the same filters and sort) to get the next page in constant time however deep it is; `next_cursor` is null on the last page.',
          '',
          '**Access.** With AUTH_MODE=token every /api operation needs `Authorization: Bearer <token>`: reads a viewer token, writes an editor token, token management an admin token (each operation says which). With AUTH_MODE=none (the default) the API is open, which the document says with an empty security alternative.',
          '',
          '**Caching.** Cached reads carry an `ETag`; send it back as `If-None-Match` to get an empty 304 when nothing changed.',
        ].join('\n'),
      },
      servers: [{ url: '/', description: 'The server this document is served from' }],
      tags: TAGS,
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            description:
              'An API token (`npm run token -- create NAME ROLE`, or POST /api/tokens). Required with AUTH_MODE=token; ignored with AUTH_MODE=none.',
          },
        },
      },
    },
    transform: ({ schema, url }) => {
      if (!schema) return { schema, url };
      const routeSchema = schema as unknown as RouteSchema;
      const upload = UPLOAD_BODIES[url];
      return {
        url,
        schema: {
          ...routeSchema,
          ...(routeSchema.querystring && {
            querystring: optionalDefaults(routeSchema.querystring),
          }),
          ...(upload && { body: upload }),
        } as unknown as typeof schema,
      };
    },
    transformObject: (documentObject) =>
      applyExamples(
        extractComponents((documentObject as { openapiObject: Json }).openapiObject),
      ) as never,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

export default fp(openapi, { name: 'openapi' });
