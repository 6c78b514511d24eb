/** The web app's place: a start page until the single-page app (next issue) is served here. */
import type { FastifyPluginAsync } from 'fastify';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Tag Manager</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2933}
a{color:#0b5cad}code{background:#eef2f6;padding:0 .25rem;border-radius:3px}</style></head>
<body><h1>Tag Manager</h1>
<p>The API is running. The operator web app arrives here in the next release.</p>
<ul><li><a href="/docs">API documentation (Swagger UI)</a></li>
<li><a href="/api/products?limit=5">First products</a> · <a href="/api/categories/tree">Category tree</a> · <a href="/api/stats">Statistics</a></li>
<li><a href="/health/ready">Readiness</a></li></ul></body></html>`;

const webRoutes: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(PAGE),
  );
};

export default webRoutes;
