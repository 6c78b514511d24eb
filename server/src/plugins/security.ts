/**
 * Security headers (helmet) with a Content-Security-Policy the web app and the API docs work
 * under, and CORS: closed (no CORS headers, so browsers refuse cross-origin reads) unless
 * CORS_ORIGINS lists the origins that may call the API.
 *
 * Two plugins: the headers are registered before every hook that can refuse a request (the
 * cross-site and host checks, rate limits, auth), so a refusal carries them too; CORS after the
 * cross-site check, which must see a preflight before CORS answers it.
 */
import fastifyCors from '@fastify/cors';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

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

async function securityHeaders(app: FastifyInstance) {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // The app is served over plain HTTP on localhost by default; HSTS belongs to the TLS proxy.
    strictTransportSecurity: false,
    crossOriginEmbedderPolicy: false,
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
