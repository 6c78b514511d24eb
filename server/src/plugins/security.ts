/**
 * Security headers (helmet) with a Content-Security-Policy the web app and the API docs work
 * under, and CORS: closed (no CORS headers, so browsers refuse cross-origin reads) unless
 * CORS_ORIGINS lists the origins that may call the API.
 *
 * Two plugins: the headers are registered before every hook that can refuse a request (the
 * cross-site and host checks, rate limits, auth), so a refusal carries them too; CORS after the
 * cross-site check, which must see a preflight before CORS answers it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import fastifyCors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet, { type HelmetOptions } from 'helmet';

export const CONTENT_SECURITY_POLICY = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  // React and uPlot set style attributes; no stylesheet comes from elsewhere.
  styleSrc: ["'self'", "'unsafe-inline'"],
  // Product images live on the shop's CDN (Shopify's "Image Src" column), any https host.
  imgSrc: ["'self'", 'data:', 'https:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'", 'data:'],
  objectSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
};

export const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  // The app is served over plain HTTP on localhost by default; HSTS belongs to the TLS proxy.
  strictTransportSecurity: false,
  crossOriginEmbedderPolicy: false,
};

/**
 * What helmet does to every answer under these options, taken once: the headers it sets and
 * the ones it removes. No directive is a function and no nonce is used, so the answer is the
 * same for every request. (@fastify/helmet, used before, built helmet's middleware from the
 * options again on every request: ~60 µs of a cached product page's ~1,300; see
 * docs/performance-hot-path.md.)
 */
export function helmetHeaders(options: HelmetOptions = HELMET_OPTIONS) {
  const set = new Map<string, string>();
  const removed = new Set<string>();
  const response = {
    setHeader(name: string, value: unknown) {
      set.set(name, String(value));
      removed.delete(name.toLowerCase());
    },
    removeHeader(name: string) {
      set.delete(name);
      removed.add(name.toLowerCase());
    },
  };
  helmet(options)(
    {} as IncomingMessage,
    response as unknown as ServerResponse,
    (error?: unknown) => {
      if (error) throw error;
    },
  );
  return { set: [...set], removed: [...removed] };
}

async function securityHeaders(app: FastifyInstance) {
  const { set, removed } = helmetHeaders();
  // On the raw response, as helmet itself writes them: a route's own header (reply.header)
  // still takes precedence when the answer is written.
  app.addHook('onRequest', (_request, reply, done) => {
    const raw = reply.raw;
    for (const [name, value] of set) raw.setHeader(name, value);
    for (const name of removed) raw.removeHeader(name);
    done();
  });
}

async function corsOrigins(app: FastifyInstance) {
  const origins = app.config.corsOrigins;
  if (origins.length > 0) {
    await app.register(fastifyCors, {
      origin: origins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: [
        'Content-Type',
        'Authorization',
        'If-None-Match',
        'If-Match',
        'X-Request-Id',
      ],
      exposedHeaders: [
        'ETag',
        'X-Job-Id',
        'X-Request-Id',
        'Retry-After',
        'RateLimit-Limit',
        'RateLimit-Remaining',
        'RateLimit-Reset',
      ],
      maxAge: 600,
    });
  }
}

export default fp(securityHeaders, { name: 'security' });
export const cors = fp(corsOrigins, { name: 'cors', dependencies: ['security'] });
