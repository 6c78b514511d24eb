/**
 * Slow bodies, unread bodies and the connection cap (issue 9, M3; issue 11, item 2), on a real
 * listening server driven through raw sockets: app.inject() has no connection to keep alive,
 * trickle into or close.
 */
import http from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestApp, snapshot, type TestApp } from '../../test/helpers/test-app.js';

const SYSTEM = { actor: 'test', source: 'system' as const };

const opened: TestApp[] = [];
afterAll(async () => {
  for (const test of opened) await test.close();
});

async function listening(overrides: Record<string, string> = {}) {
  const test = await createTestApp(overrides);
  opened.push(test);
  await test.app.listen({ host: '127.0.0.1', port: 0 });
  const address = test.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');
  return { test, port: address.port };
}

interface Exchange {
  /** Everything the server sent back. */
  response: string;
  /** When the server closed the connection (ms after the headers were sent), or null. */
  closedAfterMs: number | null;
  /** Body bytes the client managed to send before the server closed, or before it gave up. */
  sentBytes: number;
}

/**
 * Sends `head`, then `chunk` every `everyMs` until `bodyBytes` are sent or the server closes the
 * connection; gives up (and closes it itself) after `giveUpMs`.
 */
function exchange(
  port: number,
  head: string,
  options: { bodyBytes: number; chunk: Buffer | string; everyMs: number; giveUpMs: number },
): Promise<Exchange> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunk = Buffer.from(options.chunk);
    let response = '';
    let sentBytes = 0;
    let started = 0;
    let closedAfterMs: number | null = null;
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      socket.destroy();
      resolve({ response, closedAfterMs, sentBytes });
    };
    const giveUp = setTimeout(finish, options.giveUpMs);
    socket.on('error', () => {});
    socket.on('data', (data) => (response += data.toString('latin1')));
    // 'end': the server closed its side (FIN); 'close': the connection is gone (RST too).
    const closedByServer = () => {
      if (closedAfterMs === null) closedAfterMs = performance.now() - started;
      finish();
    };
    socket.on('end', closedByServer);
    socket.on('close', closedByServer);
    socket.once('connect', () => {
      socket.write(head);
      started = performance.now();
      const send = () => {
        if (socket.destroyed || sentBytes >= options.bodyBytes) return;
        const piece = chunk.subarray(0, Math.min(chunk.length, options.bodyBytes - sentBytes));
        socket.write(piece);
        sentBytes += piece.length;
      };
      send();
      timer = setInterval(send, options.everyMs);
    });
  });
}

const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
const headerOf = (response: string, name: string) =>
  new RegExp(`\\r\\n${name}: ([^\\r]*)`, 'i').exec(response)?.[1];

describe('request body time limits', () => {
  it('cuts a trickled body when REQUEST_TIMEOUT_MS runs out, and stores nothing', async () => {
    const { test, port } = await listening({ REQUEST_TIMEOUT_MS: '1000' });
    const before = await snapshot(test.db);
    // The attack of the review: 4 bytes at a time, far slower than any real client.
    const result = await exchange(
      port,
      'POST /api/categories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n',
      { bodyBytes: 1000, chunk: '    ', everyMs: 100, giveUpMs: 15_000 },
    );
    expect(result.closedAfterMs, 'the server kept the trickling connection open').not.toBeNull();
    expect(result.closedAfterMs!).toBeGreaterThanOrEqual(950);
    expect(result.sentBytes).toBeLessThan(1000);
    // Late bodies are not answered, as nginx does on client_body_timeout.
    expect(result.response).toBe('');
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('gives the upload routes UPLOAD_TIMEOUT_MS: a slow but finished upload is imported, a trickle is cut', async () => {
    const { port } = await listening({ REQUEST_TIMEOUT_MS: '500', UPLOAD_TIMEOUT_MS: '4000' });
    const csv = `Handle,Title\n${Array.from({ length: 40 }, (_, i) => `slow-${i},Slow ${i}`).join('\n')}\n`;
    // 15 pieces 100 ms apart, ~1.5 s in all: three times the ordinary budget.
    const paced = await pacedUpload(port, csv, 15, 100);
    expect(statusOf(paced), paced.slice(0, 300)).toBe(200);
    expect(paced).toContain('"created":40');

    const trickle = await exchange(
      port,
      'POST /api/import/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: 100000\r\n\r\nHandle,Title\n',
      { bodyBytes: 100_000, chunk: 'a', everyMs: 200, giveUpMs: 20_000 },
    );
    expect(trickle.closedAfterMs, 'the upload trickle was never cut').not.toBeNull();
    expect(trickle.closedAfterMs!).toBeGreaterThanOrEqual(3950);
  });

  it('closes a connection whose request headers do not arrive within HEADERS_TIMEOUT_MS', async () => {
    const { port } = await listening({ HEADERS_TIMEOUT_MS: '1000' });
    const result = await exchange(port, 'GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\n', {
      bodyBytes: 10_000,
      chunk: 'X-Slow: 1\r\n',
      everyMs: 200,
      giveUpMs: 15_000,
    });
    expect(result.closedAfterMs, 'the header trickle was never cut').not.toBeNull();
    expect(statusOf(result.response)).toBe(408);
  });
});

/** Sends `body` in `pieces` parts, `everyMs` apart, on one connection; resolves with the answer. */
function pacedUpload(port: number, body: string, pieces: number, everyMs: number) {
  return new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let response = '';
    socket.on('error', reject);
    socket.on('data', (data) => (response += data.toString('utf8')));
    socket.on('close', () => resolve(response));
    socket.once('connect', async () => {
      socket.write(
        `POST /api/import/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
      );
      const size = Math.ceil(body.length / pieces);
      for (let offset = 0; offset < body.length; offset += size) {
        socket.write(body.slice(offset, offset + size));
        await new Promise((wait) => setTimeout(wait, everyMs));
      }
    });
  });
}

describe('server options', () => {
  it('starts with any limits the configuration accepts (Node refuses headers > request timeout)', async () => {
    const { port } = await listening({ HEADERS_TIMEOUT_MS: '600000', UPLOAD_TIMEOUT_MS: '100' });
    const result = await exchange(
      port,
      'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      { bodyBytes: 0, chunk: '', everyMs: 1000, giveUpMs: 5_000 },
    );
    expect(statusOf(result.response)).toBe(200);
  });
});

describe('answers sent before the body was read', () => {
  const BIG = 500 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 'a');

  /** Streams a body the server rejects early; the client would keep sending for minutes. */
  const rejected = (port: number, head: string) =>
    exchange(port, head, { bodyBytes: BIG, chunk, everyMs: 5, giveUpMs: 10_000 });

  it('401 (token mode), 413, 415 and 422 close the connection: Connection: close, and the socket ends', async () => {
    const { port: tokenPort } = await listening({ AUTH_MODE: 'token' });
    const { port } = await listening();
    const cases = [
      {
        status: 401,
        port: tokenPort,
        head: `POST /api/import/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: ${BIG}\r\n\r\n`,
      },
      {
        status: 413,
        port,
        head: `POST /api/categories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${BIG}\r\n\r\n`,
      },
      {
        status: 415,
        port,
        head: `POST /api/categories HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/xml\r\nContent-Length: ${BIG}\r\n\r\n`,
      },
      {
        // Not a Shopify export (no Handle / Title): refused on its first line.
        status: 422,
        port,
        head: `POST /api/import/products HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\nContent-Length: ${90 * 1024 * 1024}\r\n\r\nName,Price\n`,
      },
      {
        status: 403,
        port,
        head: `POST /api/import/products HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://attacker.example\r\nContent-Type: text/plain\r\nContent-Length: ${BIG}\r\n\r\n`,
      },
    ];
    for (const { status, port: target, head } of cases) {
      const result = await rejected(target, head);
      expect(statusOf(result.response), `${status}: ${result.response.slice(0, 200)}`).toBe(status);
      expect(headerOf(result.response, 'connection'), String(status)).toBe('close');
      expect(result.response, String(status)).toContain('"success":false');
      expect(
        result.closedAfterMs,
        `${status}: the server kept reading the rejected body`,
      ).not.toBeNull();
      expect(result.sentBytes, String(status)).toBeLessThan(BIG);
    }
  });
});

/**
 * Issue 11, item 2: after an early rejection of a large upload, the next upload from the same
 * keep-alive client sat for the keep-alive timeout (73 s in the browser). Each case below sends a
 * 20 MB upload that is refused early and then a correct one through one keep-alive agent with a
 * single socket (as a browser does per origin), on a server whose keep-alive timeout is an hour:
 * a stalled second upload would never complete. No clock is read: the test checks, through socket
 * events, that the server closed the rejected upload's connection, and that the good upload went
 * out on a fresh connection and was imported.
 */
describe('a rejected upload leaves the next one on a keep-alive client usable (issue 11: 73 s)', () => {
  const HOUR = '3600000';
  const MiB = 1024 * 1024;

  interface Sent {
    status: number;
    body: string;
    connection: string | undefined;
    socket: Socket;
    reused: boolean;
    /** Resolves when the client's socket closed (whoever closed it). */
    closed: Promise<void>;
  }

  function upload(
    agent: http.Agent,
    port: number,
    body: Buffer,
    headers: Record<string, string>,
  ): Promise<Sent> {
    return new Promise((resolve, reject) => {
      const request = http.request(
        {
          agent,
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/import/products',
          headers: { 'content-length': String(body.length), ...headers },
        },
        (response) => {
          let text = '';
          response.on('data', (data: Buffer) => (text += data.toString('utf8')));
          response.on('end', () =>
            resolve({
              status: response.statusCode!,
              body: text,
              connection: response.headers.connection,
              socket: request.socket as Socket,
              reused: request.reusedSocket,
              closed,
            }),
          );
        },
      );
      let closed: Promise<void> = Promise.resolve();
      request.on('socket', (socket) => {
        closed = socket.destroyed
          ? Promise.resolve()
          : new Promise((done) => socket.once('close', () => done()));
      });
      // The rejected upload's connection is closed under its still-unsent body: that write
      // fails after the answer arrived.
      request.on('error', (error) => (request.writableFinished ? undefined : reject(error)));
      request.end(body);
    });
  }

  function multipart(content: Buffer) {
    const boundary = '----tag-manager-test-boundary';
    return {
      body: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="products.csv"\r\nContent-Type: text/csv\r\n\r\n`,
        ),
        content,
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
      type: `multipart/form-data; boundary=${boundary}`,
    };
  }

  /** 20 MB of a file that is not a Shopify export (no Handle / Title): refused on line 1. */
  const wrongColumns = Buffer.concat([
    Buffer.from('Name,Price\n'),
    Buffer.alloc(20 * MiB, 'x,1\n'),
  ]);
  let handle = 0;
  const goodCsv = () => Buffer.from(`Handle,Title\nafter-rejection-${++handle},Imported\n`);

  const cases: {
    name: string;
    status: number;
    overrides?: Record<string, string>;
    rejected: () => { body: Buffer; headers: Record<string, string> };
  }[] = [
    {
      name: '422 wrong columns (multipart, as the browser sends it)',
      status: 422,
      rejected: () => {
        const form = multipart(wrongColumns);
        return { body: form.body, headers: { 'content-type': form.type } };
      },
    },
    {
      name: '422 wrong columns (text/csv body)',
      status: 422,
      rejected: () => ({ body: wrongColumns, headers: { 'content-type': 'text/csv' } }),
    },
    {
      name: '413 larger than IMPORT_MAX_BYTES',
      status: 413,
      overrides: { IMPORT_MAX_BYTES: String(MiB) },
      rejected: () => {
        const form = multipart(
          Buffer.concat([Buffer.from('Handle,Title\n'), Buffer.alloc(20 * MiB, 'a')]),
        );
        return { body: form.body, headers: { 'content-type': form.type } };
      },
    },
    {
      name: '415 wrong content type',
      status: 415,
      rejected: () => ({ body: wrongColumns, headers: { 'content-type': 'text/xml' } }),
    },
    {
      name: '401 no token (token mode)',
      status: 401,
      overrides: { AUTH_MODE: 'token' },
      rejected: () => {
        const form = multipart(wrongColumns);
        return { body: form.body, headers: { 'content-type': form.type } };
      },
    },
  ];

  it('429 over the rate limit (the next request, in another group, goes through)', async () => {
    const { port } = await listening({
      KEEP_ALIVE_TIMEOUT_MS: HOUR,
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_BULK_PER_MINUTE: '1',
    });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      // The one upload a minute allowed, on its own connection.
      const once = new http.Agent({ keepAlive: false });
      const form = multipart(goodCsv());
      expect((await upload(once, port, form.body, { 'content-type': form.type })).status).toBe(200);
      once.destroy();

      const big = multipart(wrongColumns);
      const first = await upload(agent, port, big.body, { 'content-type': big.type });
      expect(first.status, first.body.slice(0, 300)).toBe(429);
      expect(first.connection).toBe('close');
      await first.closed;
      const next = await new Promise<{ status: number; socket: Socket }>((resolve, reject) => {
        const request = http.get(
          { agent, host: '127.0.0.1', port, path: '/api/stats' },
          (response) => {
            response.resume();
            response.on('end', () =>
              resolve({ status: response.statusCode!, socket: request.socket as Socket }),
            );
          },
        );
        request.on('error', reject);
      });
      expect(next.status).toBe(200);
      expect(next.socket).not.toBe(first.socket);
    } finally {
      agent.destroy();
    }
  });

  for (const { name, status, overrides, rejected } of cases) {
    it(name, async () => {
      const { test, port } = await listening({ KEEP_ALIVE_TIMEOUT_MS: HOUR, ...overrides });
      const auth: Record<string, string> =
        overrides?.AUTH_MODE === 'token'
          ? {
              authorization: `Bearer ${(await test.app.tokens.create({ name: 'uploader', role: 'editor' }, SYSTEM)).secret}`,
            }
          : {};
      // A browser-like client: keep-alive, one connection per origin at a time.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const bad = rejected();
        const first = await upload(agent, port, bad.body, bad.headers);
        expect(first.status, first.body.slice(0, 300)).toBe(status);
        expect(first.body).toContain('"success":false');
        // The server closes the connection after an answer given while the body was still
        // arriving (rather than leave its parser inside the rest of the body): the client's
        // socket closes without the client closing it. On a loaded machine the server may have
        // read and dropped the whole body (loopback is fast) before the answer went out: then the
        // connection is clean and stays open (CI saw that once). Either way the next upload must
        // be answered; the old defect held it for the keep-alive timeout, an hour here, so it
        // would run into the test timeout.
        const closed = first.connection === 'close';
        if (closed) {
          await first.closed;
          expect(first.socket.destroyed).toBe(true);
        } else {
          expect(first.connection, 'close, or keep-alive once the whole body was read').toBe(
            'keep-alive',
          );
        }

        const form = multipart(goodCsv());
        const good = await upload(agent, port, form.body, {
          'content-type': form.type,
          ...auth,
        });
        expect(good.status, good.body.slice(0, 300)).toBe(200);
        expect(good.body).toContain('"created":1');
        if (closed) {
          expect(good.socket, 'the good upload went out on a fresh connection').not.toBe(
            first.socket,
          );
          expect(good.reused).toBe(false);
        }
        // And that connection stays usable for a third request (keep-alive after a normal answer).
        expect(good.connection).not.toBe('close');
        const third = await upload(agent, port, multipart(goodCsv()).body, {
          'content-type': form.type,
          ...auth,
        });
        expect(third.status).toBe(200);
        expect(third.socket).toBe(good.socket);
        expect(third.reused).toBe(true);
      } finally {
        agent.destroy();
      }
    });
  }
});

describe('MAX_CONNECTIONS', () => {
  it('refuses connections beyond the cap and takes new ones once a slot is free', async () => {
    const { port } = await listening({ MAX_CONNECTIONS: '2' });
    const open = (): Promise<Socket> =>
      new Promise((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
        socket.on('error', reject);
      });
    const first = await open();
    const second = await open();
    // Sockets are counted when the server accepts them: let it accept both.
    await getThrough(first);
    await getThrough(second);
    const third = await exchange(port, 'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', {
      bodyBytes: 0,
      chunk: '',
      everyMs: 1000,
      giveUpMs: 5_000,
    });
    expect(third.closedAfterMs, 'a third connection was served').not.toBeNull();
    expect(third.response).toBe('');
    first.destroy();
    await new Promise((wait) => setTimeout(wait, 200));
    const fourth = await exchange(
      port,
      'GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
      { bodyBytes: 0, chunk: '', everyMs: 1000, giveUpMs: 5_000 },
    );
    expect(statusOf(fourth.response)).toBe(200);
    second.destroy();
  });
});

/** One GET /health/live on an open keep-alive socket; resolves when its answer arrived. */
function getThrough(socket: Socket) {
  return new Promise<void>((resolve) => {
    socket.once('data', () => resolve());
    socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  });
}
