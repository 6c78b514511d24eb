/**
 * Live updates across instances (issue 14), measured:
 *
 *     npm run bench:events -- [--products 2000] [--writes 200] [--clients 5] [--concurrency 4]
 *
 * Prepares a benchmark database (BENCH_EVENTS_DATABASE_URL, default tag_manager_bench_events,
 * seeded like `npm run bench`), starts two real app servers on it (A and B) and opens `clients`
 * event streams on B. Then writes through A: `writes` single assignments one after the other
 * (each assigns a level-3 category to an uncategorised product; half of them are removed again),
 * then the same number `concurrency` at a time. For each write it times, per client of B, when
 * the write's event arrived (matched by its X-Request-Id):
 *
 * - latency from the write's answer on A (after its commit: a lower bound of commit → client)
 *   and from the moment it was sent (an upper bound);
 * - events delivered per second to all clients of B in the concurrent burst.
 *
 * Prints the figures and writes bench/results/<date>-events.json. A benchmark, not a test: no
 * figure is asserted.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openEventStream, type EventStreamClient } from '../server/test/helpers/event-stream.js';
import { prepareDatabase, sampleCatalog } from './lib/database.js';
import { startAppServer, stopAll } from './lib/processes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:events] ${line}`);

interface Write {
  requestId: string;
  sentAt: number;
  answeredAt: number;
}

function quantiles(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (value: number | undefined) =>
    value === undefined ? null : Math.round(value * 10) / 10;
  return {
    count: sorted.length,
    p50_ms: round(at(0.5)),
    p95_ms: round(at(0.95)),
    p99_ms: round(at(0.99)),
    max_ms: round(sorted.at(-1)),
  };
}

async function main() {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '2000' },
      writes: { type: 'string', default: '200' },
      clients: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '4' },
      reuse: { type: 'boolean', default: false },
    },
  });
  const products = Number(values.products);
  const writes = Number(values.writes);
  const clients = Number(values.clients);
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(products) || products < 1000) throw new Error('--products: 1,000 or more');
  if (!Number.isInteger(writes) || writes < 1) throw new Error('--writes: 1 or more');
  const url =
    process.env.BENCH_EVENTS_DATABASE_URL?.trim() ||
    'postgres://postgres@127.0.0.1:5432/tag_manager_bench_events';
  const prepared = await prepareDatabase(url, products, values.reuse, log);
  const sample = await sampleCatalog(url, products);
  const leaf = sample.leaves[0];
  if (!leaf) throw new Error('The benchmark catalog has no level-3 category');
  const handles = sample.uncategorised;
  if (handles.length < writes) throw new Error(`Only ${handles.length} uncategorised products`);

  const env = { RATE_LIMIT_ENABLED: 'false', REDIS_URL: undefined, JOB_RUNNER: 'false' };
  const [a, b] = [await startAppServer('A', url, env), await startAppServer('B', url, env)];
  const streams: EventStreamClient[] = [];
  try {
    for (let n = 0; n < clients; n++) {
      const stream = await openEventStream(b.url);
      await stream.waitFor((events) => events.some((event) => event.event === 'ready'));
      streams.push(stream);
    }
    /** When each client of B received the event of each request id. */
    const received = streams.map(() => new Map<string, number>());
    streams.forEach((stream, position) => {
      let seen = 0;
      const record = () => {
        for (; seen < stream.events.length; seen++) {
          const event = stream.events[seen]!;
          const requestId = event.json.request_id;
          if (event.event === 'change' && typeof requestId === 'string')
            received[position]!.set(requestId, performance.now());
        }
        return false;
      };
      // waitFor checks its predicate on every event: used here as the event hook.
      void stream.waitFor(record);
    });

    const write = async (handle: string, remove: boolean): Promise<Write[]> => {
      const done: Write[] = [];
      const send = async (method: string, path: string, body?: unknown) => {
        const requestId = `bench-${randomUUID()}`;
        const sentAt = performance.now();
        const response = await fetch(`${a.url}${path}`, {
          method,
          headers: {
            'x-request-id': requestId,
            ...(body ? { 'content-type': 'application/json' } : {}),
          },
          body: body ? JSON.stringify(body) : undefined,
        });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
        done.push({ requestId, sentAt, answeredAt: performance.now() });
      };
      const path = `/api/products/${encodeURIComponent(handle)}/categories`;
      await send('POST', path, { category_ids: [leaf.id] });
      if (remove) await send('DELETE', `${path}/${leaf.id}`);
      return done;
    };

    const delivered = async (all: Write[]) => {
      // Generous: waits until every client has every event (a benchmark reports, never fails).
      for (;;) {
        if (received.every((map) => all.every((entry) => map.has(entry.requestId)))) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const latencies = (all: Write[]) => {
      const fromAnswer: number[] = [];
      const fromSend: number[] = [];
      for (const map of received) {
        for (const entry of all) {
          const at = map.get(entry.requestId)!;
          fromAnswer.push(Math.max(0, at - entry.answeredAt));
          fromSend.push(at - entry.sentAt);
        }
      }
      return { after_answer: quantiles(fromAnswer), after_send: quantiles(fromSend) };
    };

    // 1. One write at a time: latency without queueing.
    const half = Math.floor(writes / 2);
    const sequential: Write[] = [];
    for (let n = 0; n < writes; n++) sequential.push(...(await write(handles[n]!, n < half)));
    await delivered(sequential);
    const sequentialFigures = latencies(sequential);
    log(
      `sequential: ${sequential.length} change sets on A → ${clients} clients of B: latency after the answer p50 ${sequentialFigures.after_answer.p50_ms} ms, p95 ${sequentialFigures.after_answer.p95_ms} ms, max ${sequentialFigures.after_answer.max_ms} ms (after the send: p50 ${sequentialFigures.after_send.p50_ms} ms, p95 ${sequentialFigures.after_send.p95_ms} ms)`,
    );

    // 2. A burst, `concurrency` writers at once: delivery rate.
    const burstHandles = handles.slice(0, writes).filter((_, n) => n < half); // removed again above
    const burst: Write[] = [];
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < burstHandles.length) {
          const handle = burstHandles[next++]!;
          burst.push(...(await write(handle, true)));
        }
      }),
    );
    const writesDone = performance.now();
    await delivered(burst);
    const lastArrival = Math.max(
      ...received.flatMap((map) => burst.map((entry) => map.get(entry.requestId)!)),
    );
    const seconds = (lastArrival - started) / 1000;
    const burstFigures = {
      change_sets: burst.length,
      writes_per_second: Math.round(burst.length / ((writesDone - started) / 1000)),
      events_delivered: burst.length * clients,
      events_per_second: Math.round((burst.length * clients) / seconds),
      latency: latencies(burst),
    };
    log(
      `burst (${concurrency} writers): ${burstFigures.change_sets} change sets at ${burstFigures.writes_per_second}/s on A; ${burstFigures.events_delivered} events delivered to B's clients at ${burstFigures.events_per_second}/s; latency after the answer p50 ${burstFigures.latency.after_answer.p50_ms} ms, p95 ${burstFigures.latency.after_answer.p95_ms} ms, max ${burstFigures.latency.after_answer.max_ms} ms`,
    );

    const file = join(
      ROOT,
      'bench/results',
      `${new Date().toISOString().slice(0, 10)}-events.json`,
    );
    await mkdir(dirname(file), { recursive: true });
    await writeFile(
      file,
      `${JSON.stringify(
        {
          products,
          reused: prepared.reused,
          server: sample.serverVersion,
          clients,
          concurrency,
          sequential: sequentialFigures,
          burst: burstFigures,
        },
        null,
        2,
      )}\n`,
    );
    log(`Wrote ${file}`);
  } finally {
    for (const stream of streams) stream.close();
    await a.stop();
    await b.stop();
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
