/**
 * The contract check: every response a test receives is validated against the OpenAPI document
 * the app generates, so code and schema cannot drift apart unnoticed.
 */
import type { FastifyInstance } from 'fastify';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

const addFormats = formats as unknown as typeof formats.default;

interface Operation {
  responses?: Record<string, { content?: Record<string, { schema?: object }> }>;
}
type OpenApiDocument = {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, object> };
};

export class ContractChecker {
  private readonly routes: { pattern: RegExp; params: number; path: string }[];
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));

  constructor(private readonly document: OpenApiDocument) {
    this.routes = Object.keys(document.paths)
      .map((path) => ({
        path,
        params: (path.match(/\{/g) ?? []).length,
        pattern: new RegExp(`^${path.replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      }))
      .sort((a, b) => a.params - b.params);
  }

  static async of(app: FastifyInstance): Promise<ContractChecker> {
    // The document itself, not GET /openapi.json: that may need a token (DOCS_PUBLIC=false).
    await app.ready();
    return new ContractChecker(app.swagger() as unknown as OpenApiDocument);
  }

  /** Throws when the response does not match what the document promises. */
  check(
    method: string,
    url: string,
    status: number,
    contentType: string | undefined,
    body: string,
  ) {
    const path = url.split('?')[0]!;
    const route = this.routes.find((candidate) => candidate.pattern.test(path));
    if (!route) {
      // Unknown routes answer with the error envelope; check that shape.
      this.validate('error', this.errorSchema(), status, body, `${method} ${path}`);
      return;
    }
    const operation = this.document.paths[route.path]![method.toLowerCase()];
    if (!operation) {
      this.validate('error', this.errorSchema(), status, body, `${method} ${path}`);
      return;
    }
    const documented = operation.responses?.[String(status)];
    if (!documented)
      throw new Error(
        `${method} ${route.path} answered ${status}, which the OpenAPI document does not list`,
      );
    if (status === 204 || status === 304) {
      if (body !== '') throw new Error(`${method} ${route.path}: ${status} with a body`);
      return;
    }
    const mediaType = contentType?.split(';')[0]?.trim() ?? '';
    const content = documented.content?.[mediaType];
    if (!content) {
      throw new Error(
        `${method} ${route.path} ${status}: content type ${mediaType} is not documented`,
      );
    }
    if (mediaType === 'application/json' && content.schema) {
      this.validate(
        `${method} ${route.path} ${status}`,
        content.schema,
        status,
        body,
        `${method} ${path}`,
      );
    }
  }

  private errorSchema(): object {
    return { $ref: '#/components/schemas/ErrorEnvelope' };
  }

  private validate(key: string, schema: object, status: number, body: string, label: string) {
    // The document's schemas refer to its components (`#/components/schemas/…`): compiled with
    // them at the root, the references resolve as they do in the document.
    const validator =
      this.validators.get(key) ??
      this.ajv.compile({ ...schema, components: this.document.components ?? {} });
    this.validators.set(key, validator);
    const parsed = JSON.parse(body) as unknown;
    if (!validator(parsed)) {
      throw new Error(
        `${label} ${status} does not match the OpenAPI schema: ${this.ajv.errorsText(validator.errors)}\n${body.slice(0, 500)}`,
      );
    }
  }
}
