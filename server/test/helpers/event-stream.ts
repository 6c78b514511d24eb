/**
 * A real HTTP client of GET /api/events for tests and the bench: it reads the stream as it
 * arrives and parses the Server-Sent Events (id, event, data; comment lines kept apart).
 */
import http from 'node:http';

export interface StreamEvent {
  id: string | undefined;
  event: string;
  data: string;
  /** The data parsed as JSON. */
  json: Record<string, unknown> & { id?: number };
}

export interface EventStreamClient {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The raw body received so far (an error answer's envelope, for one). */
  body: string;
  events: StreamEvent[];
  comments: string[];
  /** Resolves with the events seen once `predicate` holds for them (checked on each one). */
  waitFor(
    predicate: (events: StreamEvent[], client: EventStreamClient) => boolean,
  ): Promise<StreamEvent[]>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export function openEventStream(
  baseUrl: string,
  options: { headers?: Record<string, string>; query?: string } = {},
): Promise<EventStreamClient> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${baseUrl}/api/events${options.query ? `?${options.query}` : ''}`,
      { headers: { accept: 'text/event-stream', ...options.headers } },
      (response) => {
        response.setEncoding('utf8');
        const waiters: {
          predicate: (events: StreamEvent[], client: EventStreamClient) => boolean;
          done: () => void;
        }[] = [];
        let buffer = '';
        let endResolve: () => void = () => {};
        const ended = new Promise<void>((done) => (endResolve = done));
        const client: EventStreamClient = {
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: '',
          events: [],
          comments: [],
          ended,
          waitFor(predicate) {
            return new Promise((done) => {
              if (predicate(client.events, client)) return done(client.events);
              waiters.push({ predicate, done: () => done(client.events) });
            });
          },
          close() {
            request.destroy();
          },
        };
        const check = () => {
          for (const waiter of [...waiters]) {
            if (waiter.predicate(client.events, client)) {
              waiters.splice(waiters.indexOf(waiter), 1);
              waiter.done();
            }
          }
        };
        response.on('data', (chunk: string) => {
          client.body += chunk;
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let id: string | undefined;
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) client.comments.push(line.slice(1).trim());
              else if (line.startsWith('id: ')) id = line.slice(4);
              else if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data.push(line.slice(6));
            }
            if (data.length > 0) {
              const text = data.join('\n');
              client.events.push({ id, event, data: text, json: JSON.parse(text) });
            }
          }
          check();
        });
        response.on('end', endResolve);
        response.on('close', endResolve);
        response.on('error', endResolve);
        resolve(client);
      },
    );
    request.on('error', reject);
  });
}

/** The `change` events' ids, in order. */
export const changeIds = (events: StreamEvent[]) =>
  events.filter((event) => event.event === 'change').map((event) => Number(event.id));
