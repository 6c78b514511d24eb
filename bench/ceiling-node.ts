/**
 * The bare node:http ceiling, beside the Fastify one (ceiling-server.ts): the same constant body
 * of a real product page, with no framework at all, so the report shows what Fastify itself
 * costs per request and what the app adds over Fastify. BODY_FILE and PORT come from the
 * environment.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const body = readFileSync(process.env.BODY_FILE ?? '');
const headers = {
  'content-type': 'application/json; charset=utf-8',
  'content-length': String(body.length),
};
const server = createServer((request, response) => {
  if (request.url === '/health/ready') {
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    return;
  }
  response.writeHead(200, headers).end(body);
});
server.listen(Number(process.env.PORT), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
