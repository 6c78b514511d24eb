/**
 * Route schemas compiled on first use instead of at start (docs/performance-memory.md).
 *
 * Fastify compiles every route's validators (Ajv) and response serializers (fast-json-stringify,
 * one Ajv instance per serializer) when the app becomes ready: 1.8 of the 2.3 s that buildApp
 * took, and their code and Ajv instances stay in memory whether the route is ever called or
 * not. Here each route and status gets a stand-in that compiles the real function on its first
 * call and then only forwards to it: the same validation, the same JSON, the same errors; the
 * first request of each kind pays a few milliseconds once.
 *
 * A schema that cannot compile would then fail on its first request rather than at start:
 * `compileAll()` compiles every stand-in still pending, and a test runs it over the whole app.
 */
import SerializerSelector, { type SerializerFactory } from '@fastify/fast-json-stringify-compiler';
import type { FastifySchemaCompiler } from 'fastify';

type Validate = ((data: unknown) => unknown) & { errors?: unknown };

export class LazyCompilers {
  private readonly pending = new Set<() => unknown>();

  /** How many stand-ins have not compiled their function yet. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Compiles every stand-in not called yet (tests: every route's schemas must compile). */
  compileAll(): number {
    const all = [...this.pending];
    for (const compile of all) compile();
    return all.length;
  }

  private deferred<Fn>(compile: () => Fn): () => Fn {
    let compiled: Fn | undefined;
    const get = () => {
      if (compiled === undefined) {
        compiled = compile();
        this.pending.delete(get);
      }
      return compiled;
    };
    this.pending.add(get);
    return get;
  }

  /**
   * Wraps a validator compiler. Fastify reads a failed validation's `errors` from the function
   * it was given, so the stand-in copies them from the real one after each call.
   */
  validators<Schema>(compile: FastifySchemaCompiler<Schema>): FastifySchemaCompiler<Schema> {
    return (route) => {
      const get = this.deferred(() => compile(route) as Validate);
      const validate: Validate = (data) => {
        const real = get();
        const result = real(data);
        validate.errors = real.errors;
        return result;
      };
      return validate as ReturnType<FastifySchemaCompiler<Schema>>;
    };
  }

  /** Fastify's own serializer factory (fast-json-stringify), each serializer built on first use. */
  serializers(): SerializerFactory {
    const build = SerializerSelector();
    return (externalSchemas, options) => {
      const compile = build(externalSchemas, options);
      return (route) => {
        const get = this.deferred(() => compile(route));
        return (data: unknown) => get()(data);
      };
    };
  }
}
