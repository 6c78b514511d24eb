/**
 * The fuzz loop: fast-check picks an operation of the document and a request for it, the target
 * sends it, and every answer is checked. Independent of the app, so that the unit test can run it
 * against fake answers and prove that it fails when it should.
 */
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { checkResponse, type ResponseLike } from './checks.js';
import type { Operation } from './openapi.js';
import { requestsFor, toInject, type FuzzLimits, type RequestPlan } from './requests.js';
import type { Replay, World } from './values.js';

export interface FuzzTarget {
  /** The data requests pick from, as it is now (the target decides when to re-read it). */
  world(): Promise<Omit<World, 'etags' | 'cursors' | 'replays'>>;
  /** Sends one request. Throwing (a failed contract check, a broken invariant) fails the run. */
  send(plan: RequestPlan, request: InjectOptions): Promise<ResponseLike>;
}

export interface FuzzOptions {
  operations: Operation[];
  limits: FuzzLimits;
  seed: number;
  numRuns: number;
  /** Shrink a failing case to a smaller one (slower; the database keeps the state it reached). */
  shrink?: boolean;
}

export interface FuzzStats {
  requests: number;
  statuses: Record<number, number>;
  /** Per operation: requests made for it, and how many of them got a 2xx or 304. */
  operations: Record<string, { requests: number; successes: number }>;
  variants: Record<string, number>;
  /** Status histogram per "operation · variant", for FUZZ_VERBOSE. */
  outcomes: Record<string, Record<number, number>>;
}

function preview(payload: InjectOptions['payload']): string {
  if (payload === undefined) return '(none)';
  const text = Buffer.isBuffer(payload) ? payload.toString('utf8') : String(payload);
  return `${text.length} chars: ${JSON.stringify(text.slice(0, 400))}${text.length > 400 ? '…' : ''}`;
}

export function describeExchange(request: InjectOptions, response?: ResponseLike): string {
  const url = String(request.url);
  const lines = [
    `request: ${request.method} ${url.length > 400 ? `${url.slice(0, 400)}… (${url.length} chars)` : url}`,
    `headers: ${JSON.stringify(request.headers ?? {})}`,
    `body: ${preview(request.payload)}`,
  ];
  if (response) {
    lines.push(
      `answer: ${response.statusCode} ${String(response.headers['content-type'] ?? '')} ${response.body.slice(0, 600)}`,
    );
  }
  return lines.join('\n');
}

/** Runs the property; resolves with statistics, rejects with fast-check's report on failure. */
export async function fuzzApi(target: FuzzTarget, options: FuzzOptions): Promise<FuzzStats> {
  const stats: FuzzStats = {
    requests: 0,
    statuses: {},
    operations: {},
    variants: {},
    outcomes: {},
  };
  const learned = { etags: [] as string[], cursors: [] as string[], replays: [] as Replay[] };
  const remember = <Item>(list: Item[], value: Item, limit = 50) => {
    if (list.some((known) => JSON.stringify(known) === JSON.stringify(value))) return;
    list.push(value);
    if (list.length > limit) list.shift();
  };
  /** What an answer teaches: ETags and cursors to send back later. */
  const learn = (plan: RequestPlan, request: InjectOptions, response: ResponseLike) => {
    if (request.method !== 'GET' || response.statusCode !== 200) return;
    const etag = response.headers.etag === undefined ? undefined : String(response.headers.etag);
    let cursor: string | undefined;
    if (String(response.headers['content-type'] ?? '').startsWith('application/json')) {
      const body = JSON.parse(response.body) as { pagination?: { next_cursor?: unknown } };
      const next = body.pagination?.next_cursor;
      if (typeof next === 'string') cursor = next;
    }
    if (etag) remember(learned.etags, etag);
    if (cursor) remember(learned.cursors, cursor);
    if (etag || cursor) {
      remember(
        learned.replays,
        {
          operation: plan.operation,
          url: String(request.url),
          ...(etag ? { etag } : {}),
          ...(cursor ? { cursor } : {}),
        },
        200,
      );
    }
  };

  const requests = fc.oneof(
    ...options.operations.map((operation) => requestsFor(operation, options.limits)),
  );
  /** Sends one request and checks its answer; a failure names the request and the answer. */
  const exchange = async (plan: RequestPlan, request: InjectOptions, variant = plan.variant) => {
    let response: ResponseLike | undefined;
    try {
      response = await target.send(plan, request);
      stats.requests += 1;
      stats.statuses[response.statusCode] = (stats.statuses[response.statusCode] ?? 0) + 1;
      const perOperation = (stats.operations[plan.operation] ??= { requests: 0, successes: 0 });
      perOperation.requests += 1;
      const success = response.statusCode === 304 || Math.floor(response.statusCode / 100) === 2;
      if (success) perOperation.successes += 1;
      stats.variants[variant] = (stats.variants[variant] ?? 0) + 1;
      const outcome = (stats.outcomes[`${plan.operation} · ${variant}`] ??= {});
      outcome[response.statusCode] = (outcome[response.statusCode] ?? 0) + 1;
      checkResponse(request, response);
    } catch (error) {
      throw new Error(
        `${variant} request for ${plan.operation}\n${describeExchange(request, response)}\n${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error },
      );
    }
    return response;
  };

  const property = fc.asyncProperty(requests, async (plan) => {
    const world: World = { ...(await target.world()), ...learned };
    const request = toInject(plan, world);
    const response = await exchange(plan, request);
    learn(plan, request, response);
    const etag = response.headers.etag;
    if (plan.revalidate && response.statusCode === 200 && etag !== undefined) {
      const again = {
        ...request,
        headers: { ...(request.headers as object), 'if-none-match': String(etag) },
      };
      const second = await exchange(plan, again, 'revalidate-at-once');
      if (second.statusCode !== 304) {
        throw new Error(
          `revalidate-at-once request for ${plan.operation}\n${describeExchange(again, second)}\nthe ETag just received did not get a 304`,
        );
      }
    }
  });
  await fc.assert(property, {
    seed: options.seed,
    numRuns: options.numRuns,
    endOnFailure: !options.shrink,
  });
  return stats;
}

/** One line: requests sent and the status histogram. */
export function summary(stats: FuzzStats, seed: number): string {
  const statuses = Object.entries(stats.statuses)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([status, count]) => `${status}:${count}`)
    .join(' ');
  return `fuzz seed=${seed}: ${stats.requests} requests to ${Object.keys(stats.operations).length} operations; statuses ${statuses}`;
}
