/**
 * The framework ceiling: a bare Fastify server (no logger, no validation, no database) that
 * answers GET /api/products with a constant JSON body — the bytes of a real product page — so
 * that what the app adds on top of HTTP + Fastify reads as a ratio. Started by bench/run.ts as
 * its own process; BODY_FILE and PORT come from the environment.
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const body = readFileSync(process.env.BODY_FILE ?? '', 'utf8');
const app = Fastify({ logger: false });
app.get('/api/products', (_request, reply) => {
  reply.header('content-type', 'application/json; charset=utf-8').send(body);
});
app.get('/health/ready', (_request, reply) => {
  reply.send({ ok: true });
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) });
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => void app.close().then(() => process.exit(0)));
}
