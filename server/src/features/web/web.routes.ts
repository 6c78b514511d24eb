/**
 * The operator web app: the Vite build in `web/dist`, served at `/`.
 *
 * - Built files are served as they are; `/assets/*` carry a content hash in their names, so they
 *   are cached for a year, while `index.html` is always revalidated.
 * - Any other GET that asks for HTML and is not part of the API, the docs or the health checks
 *   gets `index.html` (the single-page app routes on the client), so reloads and shared links work.
 * - Everything else falls through to the not-found handler, so unknown API routes keep the JSON
 *   error envelope (and 405 for known paths with another method).
 * - Without a build (`npm run build:web` not run yet) `/` explains how to get one.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { WEB_DIST_DIR } from '../../paths.js';

export { WEB_DIST_DIR };

/** Paths the single-page app never answers: they belong to the API and the server itself. */
const SERVER_PREFIXES = ['/api', '/docs', '/health', '/metrics', '/openapi.json'];

const NO_BUILD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tag Manager</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
a{color:#0b5cad}code{background:#eef2f6;padding:0 .25rem;border-radius:3px}</style></head>
<body><h1>Tag Manager</h1>
<p>The API is running, but the web app has not been built. Run <code>npm run build:web</code>
(<code>npm start</code> does it for you) and reload.</p>
<ul><li><a href="/docs">API documentation (Swagger UI)</a></li>
<li><a href="/api/products?limit=5">First products</a> · <a href="/api/categories/tree">Category tree</a> · <a href="/api/stats">Statistics</a></li>
<li><a href="/health/ready">Readiness</a></li></ul></body></html>`;

function belongsToServer(pathname: string): boolean {
  return SERVER_PREFIXES.some(
    (prefix) =>
      pathname === prefix || pathname.startsWith(`${prefix}/`) || pathname.startsWith(`${prefix}?`),
  );
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/** The built file a path names, relative to the build folder, or undefined. */
function builtFile(distDir: string, pathname: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return undefined;
  }
  const relative = path.normalize(decoded).replace(/^([/\\])+/, '');
  if (relative === '' || relative.startsWith('..') || decoded.includes('\0')) return undefined;
  const absolute = path.join(distDir, relative);
  if (!absolute.startsWith(distDir)) return undefined;
  try {
    return statSync(absolute).isFile() ? relative : undefined;
  } catch {
    return undefined;
  }
}

const webRoutes: FastifyPluginAsync<{ distDir?: string }> = async (app, options) => {
  const distDir = options.distDir ?? WEB_DIST_DIR;
  const built = existsSync(path.join(distDir, 'index.html'));

  if (!built) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(NO_BUILD_PAGE),
    );
    return;
  }

  await app.register(fastifyStatic, { root: distDir, serve: false, decorateReply: true });

  const sendIndex = (reply: FastifyReply) =>
    reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });

  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const pathname = request.url.split('?')[0] ?? '/';
    if (pathname === '/' || pathname === '/index.html') return sendIndex(reply);
    if (belongsToServer(pathname)) return reply.callNotFound();
    const file = builtFile(distDir, pathname);
    if (file) {
      const immutable = file.startsWith('assets/');
      return reply.sendFile(file, {
        cacheControl: true,
        immutable,
        maxAge: immutable ? 365 * 24 * 3600 * 1000 : 0,
      });
    }
    if (acceptsHtml(request)) return sendIndex(reply);
    return reply.callNotFound();
  };

  app.get('/', { schema: { hide: true } }, serve);
  app.get('/*', { schema: { hide: true } }, serve);
};

export default webRoutes;
