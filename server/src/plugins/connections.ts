/**
 * Slow clients and unread bodies (issue 9, M3).
 *
 * - A request body must arrive within REQUEST_TIMEOUT_MS of the headers, or UPLOAD_TIMEOUT_MS on
 *   the upload routes (/api/import/*). Node's own `requestTimeout` is one value for the whole
 *   server, so it is set to the upload budget as a backstop (see `serverOptions`), and this
 *   plugin cuts the shorter budget per request. A body that is late is not answered: the
 *   connection is closed, as nginx does on `client_body_timeout`. A client trickling a few bytes
 *   every few seconds is cut when its budget runs out, whatever it still has to send.
 * - An answer sent before the request body was fully received (401, 403, 413, 415, 422, 404,
 *   405, 429, …) carries `Connection: close`, and the rest of the body is read and discarded
 *   while the answer is written. The client then sends its next request on a fresh connection
 *   instead of a keep-alive connection whose parser is still inside the rejected body (issue 11:
 *   the next upload waited 73 s for the keep-alive timeout).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionsConfig } from '../config.js';

/** The routes whose bodies are large uploads and get UPLOAD_TIMEOUT_MS. */
export const UPLOAD_PREFIX = '/api/import/';

/** Node http server options (passed through Fastify's `http` option). */
export function serverOptions(connections: ConnectionsConfig): ServerOptions {
  return {
    headersTimeout: connections.headersTimeoutMs,
    // Fastify sets it again after creating the server; Node checks the pair on creation.
    requestTimeout: serverRequestTimeout(connections),
    // Node checks the headers and request timeouts on this interval (30 s by default, which
    // would let a slow header block run up to 30 s past its limit).
    connectionsCheckingInterval: Math.min(5_000, Math.max(100, connections.headersTimeoutMs / 2)),
  };
}

/**
 * Node's requestTimeout covers the whole request (headers and body) on every route; the shorter
 * per-route budget is this plugin's. A few seconds above the upload budget, so the plugin's cut
 * (with its log line) comes first, and never below the headers timeout (Node refuses that).
 */
function serverRequestTimeout(connections: ConnectionsConfig) {
  return Math.max(connections.uploadTimeoutMs + 5_000, connections.headersTimeoutMs);
}

/** Fastify's own options for the same limits. */
export function fastifyTimeouts(connections: ConnectionsConfig) {
  return {
    requestTimeout: serverRequestTimeout(connections),
    connectionTimeout: connections.idleTimeoutMs,
    keepAliveTimeout: connections.keepAliveTimeoutMs,
  };
}

/** Whether the request announces a body (a length above 0, or chunked). */
function announcesBody(request: FastifyRequest): boolean {
  const { headers } = request;
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = Number(headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * Whether the body is still arriving. `complete` is Node's flag; app.inject()'s requests do not
 * have it (their body is all there), so only a real connection can be "still arriving".
 */
function bodyStillArriving(request: FastifyRequest): boolean {
  return announcesBody(request) && (request.raw as { complete?: boolean }).complete === false;
}

/** How long a closing connection keeps reading what the client still sends (nginx: 5 s). */
export const LINGER_MS = 5_000;

function lingerThenClose(socket: Socket) {
  socket.end();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/**
 * Node destroys the connection when a request stream still receiving its body is destroyed.
 * A route that gives up on a body destroys it (a stream pipeline does, when the CSV parser
 * refuses the header row), and the answer it is about to send (422) is then lost with the
 * connection. So, while the connection is open, destroying such a request stops handing its
 * body on instead (the rest is read and dropped), and the onSend hook below closes the
 * connection after the answer. A client that goes away still ends the request as before.
 */
function keepSocketForTheAnswer(request: FastifyRequest) {
  const raw = request.raw;
  const socket = raw.socket;
  sockets.set(request, socket);
  const destroy = raw.destroy.bind(raw);
  raw.destroy = (error?: Error) => {
    if (socket.destroyed) return destroy(error);
    // stream.pipeline detaches the socket before destroying a server request: put it back.
    raw.socket = socket;
    drop(raw);
    return raw;
  };
}

/** Stop handing the rest of a body to anyone: read it and drop it (Node's own `_dump`). */
function drop(raw: FastifyRequest['raw']) {
  raw.unpipe();
  raw.removeAllListeners('data');
  raw.resume();
}

/** The connection of each request whose body was still arriving when it was routed. */
const sockets = new WeakMap<FastifyRequest, Socket>();
const bodyTimers = new WeakMap<FastifyRequest, NodeJS.Timeout>();

async function connections(app: FastifyInstance) {
  const { requestTimeoutMs, uploadTimeoutMs, maxConnections } = app.config.connections;
  app.server.maxConnections = maxConnections;
  let lastDropReported = 0;
  app.server.on('drop', (data?: { remoteAddress?: string }) => {
    // A flood repeats the same line; one every 10 s says enough.
    if (Date.now() - lastDropReported < 10_000) return;
    lastDropReported = Date.now();
    app.log.warn(
      { max_connections: maxConnections, remote_address: data?.remoteAddress },
      'connection refused: MAX_CONNECTIONS connections are open',
    );
  });

  app.addHook('onRequest', (request, _reply, done) => {
    if (bodyStillArriving(request)) watchBody(request);
    done();
  });

  function watchBody(request: FastifyRequest) {
    keepSocketForTheAnswer(request);
    const url = request.routeOptions.url ?? request.url;
    const budget = url.startsWith(UPLOAD_PREFIX) ? uploadTimeoutMs : requestTimeoutMs;
    const timer = setTimeout(() => {
      bodyTimers.delete(request);
      if (!bodyStillArriving(request)) return;
      request.log.warn(
        { timeout_ms: budget, received_bytes: sockets.get(request)?.bytesRead },
        'request body too slow: closing the connection',
      );
      sockets.get(request)?.destroy();
    }, budget);
    timer.unref();
    bodyTimers.set(request, timer);
    request.raw.once('close', () => clearTimeout(timer));
  }

  app.addHook('onSend', (request, reply, payload, done) => {
    if (bodyStillArriving(request)) closeAfterTheAnswer(request, reply);
    done(null, payload);
  });

  function closeAfterTheAnswer(request: FastifyRequest, reply: FastifyReply) {
    reply.header('Connection', 'close');
    // A parser that gave up on the body (the CSV import on a wrong header row) may still be
    // piped to it: detach it, and read and drop what is still coming.
    drop(request.raw);
    const socket = sockets.get(request) ?? request.raw.socket;
    // Node closes a `Connection: close` socket with destroySoon() once the answer is written.
    // Closing a socket with unread input sends a TCP reset, and a client still busy sending
    // its body may then lose the answer before reading it. Close as nginx does ("lingering
    // close"): end our side (the client sees the answer, then FIN, and stops sending), keep
    // reading and dropping for at most LINGER_MS, then destroy.
    if (socket && !socket.destroyed) socket.destroySoon = () => lingerThenClose(socket);
  }

  app.addHook('onResponse', (request, _reply, done) => {
    const timer = bodyTimers.get(request);
    if (timer) clearTimeout(timer);
    done();
  });
}

export default fp(connections, { name: 'connections' });
