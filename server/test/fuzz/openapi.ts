/**
 * The operations the fuzz test covers, read from the app's own OpenAPI document, so an endpoint
 * added later is fuzzed without touching the test.
 */

/** The subset of JSON Schema the app's contract uses (TypeBox output). */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
  description?: string;
  $ref?: string;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
}

export interface Operation {
  /** "METHOD /path/{param}", as in the document. */
  id: string;
  method: string;
  path: string;
  pathParams: Parameter[];
  queryParams: Parameter[];
  /** Media type → schema of the request body, when the operation takes one. */
  body?: Record<string, JsonSchema>;
  /** The statuses the document lists. */
  statuses: string[];
}

interface RawOperation {
  parameters?: (Parameter & { $ref?: string })[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  responses?: Record<string, unknown>;
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, JsonSchema> };
}

const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * Not fuzzed: the Swagger UI (`/docs…`), the document itself and the web app's static files
 * (`/`, `/assets/…`). They serve HTML, JavaScript and the schema rather than API operations, the
 * contract has no schema for their answers, and they are hidden from the document today: this
 * is a guard should one of them ever be listed.
 */
export function isExcludedPath(path: string): boolean {
  return (
    path === '/' ||
    path === '/openapi.json' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/assets/') ||
    path.includes('*')
  );
}

/** Inlines local `$ref`s (the document has none today; a later schema may add them). */
function dereference(schema: JsonSchema, document: OpenApiDocument, depth = 0): JsonSchema {
  if (depth > 20) return {};
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components?.schemas?.[name];
    return target ? dereference(target, document, depth + 1) : {};
  }
  const result: JsonSchema = { ...schema };
  if (schema.properties) {
    result.properties = Object.fromEntries(
      Object.entries(schema.properties).map(([key, value]) => [
        key,
        dereference(value, document, depth + 1),
      ]),
    );
  }
  if (schema.items) result.items = dereference(schema.items, document, depth + 1);
  if (typeof schema.additionalProperties === 'object') {
    result.additionalProperties = dereference(schema.additionalProperties, document, depth + 1);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const list = schema[key];
    if (list) result[key] = list.map((entry) => dereference(entry, document, depth + 1));
  }
  return result;
}

export function listOperations(document: OpenApiDocument): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    if (isExcludedPath(path)) continue;
    for (const [method, raw] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method)) continue;
      const parameters = (raw.parameters ?? []).map((parameter) => ({
        ...parameter,
        required: parameter.required ?? parameter.in === 'path',
        schema: dereference(parameter.schema ?? {}, document),
      }));
      const content = raw.requestBody?.content;
      operations.push({
        id: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((parameter) => parameter.in === 'path'),
        queryParams: parameters.filter((parameter) => parameter.in === 'query'),
        body: content
          ? Object.fromEntries(
              Object.entries(content).map(([mediaType, media]) => [
                mediaType,
                dereference(media.schema ?? {}, document),
              ]),
            )
          : undefined,
        statuses: Object.keys(raw.responses ?? {}),
      });
    }
  }
  return operations;
}
