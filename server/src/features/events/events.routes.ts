/**
 * GET /api/events: live updates as Server-Sent Events (docs/live-updates.md).
 *
 * A stream starts with `retry:` and, when the client names the last event it received
 * (`Last-Event-ID`, or `last_event_id` for clients that cannot set headers), the change sets it
 * missed, read from the log; then `ready` (its id is where the client now is); then one `change`
 * event per committed change set, live, and a comment line every EVENTS_HEARTBEAT_MS. A client
 * further behind than EVENTS_REPLAY_MAX gets `reset` instead: it refetches everything.
 *
 * Each client (its token, else its address) may hold EVENTS_MAX_STREAMS_PER_CLIENT streams and
 * the instance EVENTS_MAX_STREAMS; beyond, 429. The rate limiter counts the opening request
 * only. Closing the app ends every stream, so a shutdown never waits for clients to leave.
 */
import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import {
  EVENT_MAX_CATEGORIES,
  EVENT_MAX_HANDLES,
  EVENT_MAX_PRODUCT_ROWS,
  LiveEventsQuery,
} from '@tag-manager/contract';
import { invalidField, tooManyStreams } from '../../errors.js';
import type { FeedMessage } from './change-feed.js';

/** How long a browser waits before reconnecting a dropped stream (the SSE `retry:` field). */
const RETRY_MS = 3000;
/** A client that reads slower than events come is dropped past this much unsent output. */
const MAX_BUFFERED_BYTES = 1_048_576;

/** An SSE message: `id:`, `event:` and one `data:` line of JSON (JSON has no raw newline). */
export function sseMessage(event: string, data: unknown, id?: number): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Open streams, per client and in all, and how to end them all. */
class OpenStreams {
  private readonly perClient = new Map<string, number>();
  private readonly all = new Set<() => void>();

  constructor(private readonly limits: { perClient: number; total: number }) {}

  get size() {
    return this.all.size;
  }

  /** Counts a new stream for `client`, or throws the 429. Answers the release. */
  open(client: string, end: () => void): () => void {
    const mine = this.perClient.get(client) ?? 0;
    if (mine >= this.limits.perClient) throw tooManyStreams('client', this.limits.perClient);
    if (this.all.size >= this.limits.total) throw tooManyStreams('server', this.limits.total);
    this.perClient.set(client, mine + 1);
    this.all.add(end);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.all.delete(end);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    };
  }

  endAll() {
    for (const end of [...this.all]) end();
  }
}

/** The change set id the client last received: the header, else the query parameter. */
function lastEventIdOf(request: FastifyRequest, query: LiveEventsQuery): number | undefined {
  const header = request.headers['last-event-id'];
  const raw =
    typeof header === 'string' && header.trim() !== '' ? header.trim() : query.last_event_id;
  if (raw === undefined) return undefined;
  if (!/^[0-9]{1,10}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw invalidField('Last-Event-ID', 'must be the id of an event received (a change set id)');
  }
  return Number(raw);
}

const eventRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { events: limits } = app.config;
  const streams = new OpenStreams({
    perClient: limits.maxStreamsPerClient,
    total: limits.maxStreams,
  });
  app.addHook('preClose', async () => streams.endAll());

  app.get(
    '/api/events',
    {
      config: { longLived: true },
      schema: {
        operationId: 'streamEvents',
        tags: ['events'],
        summary:
          'Live updates: one Server-Sent Event per committed change set, across every instance (docs/live-updates.md)',
        description: `A \`text/event-stream\` that stays open. Events:

- \`change\` (id: the change set id, as in GET /api/changes): \`data\` is JSON with \`kind\`, \`actor\`, \`source\`, \`request_id\` (the X-Request-Id of the write, so a client recognises its own writes), \`created_at\`, \`job_id\`, \`reverts\`, \`effects\` (what it changed: taxonomy, counts, catalog, assignments, products), \`counts\` (the kind's summary), \`product_count\` and up to ${EVENT_MAX_HANDLES} \`handles\`, \`products\` (the list rows, as GET /api/products answers them, of the first ${EVENT_MAX_PRODUCT_ROWS} products, after the change), \`category_count\` and \`categories\` (up to ${EVENT_MAX_CATEGORIES} \`{id, product_count}\` with the new counts), and \`catalog\` (\`total_products\`, \`categorized_products\`, \`uncategorized_products\`);
- \`ready\` (sent once the missed events, if any, are sent; its id is where the client now is): \`{last_event_id}\`;
- \`reset\`: the client is more than EVENTS_REPLAY_MAX change sets behind (or the server lost track): refetch everything; its id is the newest change set.

A reconnecting client sends \`Last-Event-ID\` (browsers do) and receives the change sets committed after it, from the log, before the live ones (also lower ids that committed after it, out of order; a client skips an id it already has). Comment lines (\`: heartbeat\`) keep the connection open every EVENTS_HEARTBEAT_MS. At most EVENTS_MAX_STREAMS_PER_CLIENT open streams per client (token, or address without tokens) and EVENTS_MAX_STREAMS per instance: beyond, 429. Behind a proxy, turn its response buffering off for this route (ops/nginx).`,
        querystring: LiveEventsQuery,
        headers: {
          type: 'object',
          properties: {
            'last-event-id': {
              type: 'string',
              maxLength: 20,
              description:
                'The id of the last event received: the events after it are sent first (a browser EventSource sends it when it reconnects)',
            },
          },
        },
        response: {
          200: {
            description:
              'The event stream (`retry:`, then the missed events, `ready`, and live `change` events with heartbeats); it ends only when the client or the server goes',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
        },
      },
    },
    async (request, reply) => {
      const after = lastEventIdOf(request, request.query);
      const client = request.auth ? `token:${request.auth.id}` : `address:${request.ip}`;
      const stream = new PassThrough();
      let finished = false;
      const release = streams.open(client, () => finish());
      const { metrics } = app;
      metrics.liveStreams.inc();

      // Live messages that arrive while the missed ones are read wait here.
      let waiting: FeedMessage[] | undefined = [];
      const sent = new Set<number>();
      let position = after ?? 0;
      const write = (text: string) => {
        if (finished) return;
        stream.write(text);
        if (stream.writableLength > MAX_BUFFERED_BYTES) {
          request.log.warn('Live updates: a client reads too slowly; its stream is closed');
          finish();
        }
      };
      const deliver = (message: FeedMessage) => {
        if (message.type === 'reset') {
          write(
            sseMessage(
              'reset',
              { last_event_id: message.lastEventId, reason: message.reason },
              message.lastEventId,
            ),
          );
          metrics.liveEventsSent.inc({ type: 'reset' });
          return;
        }
        if (sent.has(message.event.id)) return;
        sent.add(message.event.id);
        write(sseMessage('change', message.event, message.event.id));
        metrics.liveEventsSent.inc({ type: 'change' });
      };
      const unsubscribe = app.changeFeed.subscribe((message) => {
        if (waiting) waiting.push(message);
        else deliver(message);
      });
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), limits.heartbeatMs);
      heartbeat.unref();
      function finish() {
        if (finished) return;
        finished = true;
        clearInterval(heartbeat);
        unsubscribe();
        release();
        metrics.liveStreams.dec();
        stream.end();
      }
      // The client left (its connection closed) or Fastify stopped piping the stream.
      request.raw.once('close', finish);
      reply.raw.once('close', finish);
      stream.once('close', finish);
      stream.once('error', finish);

      write(`retry: ${RETRY_MS}\n\n`);
      let reset = false;
      const starting = (async () => {
        if (after === undefined) {
          // The client starts from now: what had committed is in what it reads next, so it is
          // not sent, even when the feed publishes it after this (it runs behind under load).
          // A lower id committing after this (out of order) is sent.
          const start = await app.changeFeed.committedAt();
          position = start.position;
          for (const id of start.committed) sent.add(id);
        } else {
          const replay = await app.changeFeed.replay(after);
          if ('reset' in replay) {
            reset = true;
            deliver({
              type: 'reset',
              lastEventId: replay.reset,
              reason: `More than ${limits.replayMax} change sets were missed: refetch everything`,
            });
            position = replay.reset;
          } else {
            for (const event of replay.events) deliver({ type: 'change', event });
            position = replay.lastEventId;
          }
        }
        write(sseMessage('ready', { last_event_id: position }, position));
        const held = waiting ?? [];
        waiting = undefined;
        for (const message of held) {
          // After a reset the client starts from now: what committed before is in whatever it
          // fetches next.
          if (message.type === 'change' && reset && message.event.id <= position) continue;
          deliver(message);
        }
      })();
      starting.catch((error: unknown) => {
        request.log.warn({ err: error }, 'Live updates: a stream could not start; it is closed');
        finish();
      });

      return (
        reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache, no-transform')
          // nginx passes the stream on as it comes (ops/nginx sets it for the route too).
          .header('x-accel-buffering', 'no')
          // The connection serves this stream only: when the stream ends (the server closing),
          // it closes too instead of idling in the client's keep-alive pool.
          .header('connection', 'close')
          .send(stream as unknown as string)
      );
    },
  );
};

export default eventRoutes;
