/**
 * Bounded load for the fault tests: a few concurrent loops of reads and writes over real HTTP
 * (fetch, keep-alive), every request's outcome recorded. Writes are single-product assigns of
 * (product, level-3 category) pairs never used before in this run, so every write that was
 * acknowledged with a 2xx can be looked up in the database afterwards.
 */
import pg from 'pg';

export interface Catalog {
  /** Handles of products that had no category when the catalog was seeded. */
  uncategorised: string[];
  /** Level-3 category ids. */
  leaves: number[];
  /** Handles spread over the catalog, for reads. */
  handles: string[];
  products: number;
}

export async function sampleCatalog(url: string): Promise<Catalog> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const uncategorised = await client.query<{ product_id: string }>(
      'select product_id from products join product_state s using (id) where s.category_count = 0 order by id',
    );
    const handles = await client.query<{ product_id: string }>(
      'select product_id from products order by id',
    );
    const leaves = await client.query<{ id: number }>(
      'select id from categories where level = 3 order by id',
    );
    return {
      uncategorised: uncategorised.rows.map((row) => row.product_id),
      handles: handles.rows.map((row) => row.product_id),
      leaves: leaves.rows.map((row) => row.id),
      products: handles.rowCount ?? 0,
    };
  } finally {
    await client.end();
  }
}

export interface Outcome {
  kind: 'read' | 'write';
  method: string;
  path: string;
  /** performance.now() when the request was sent, and its duration in ms. */
  started: number;
  ms: number;
  status?: number;
  /** The error envelope's code and details.dependency, for 4xx/5xx. */
  code?: string;
  dependency?: string;
  /** A request that got no HTTP answer: the cause's code (ECONNREFUSED, UND_ERR_SOCKET…). */
  error?: string;
}

export interface Write {
  handle: string;
  categoryId: number;
}

/** Hands out (product, category) pairs, each once per test run. */
export class PairSource {
  private next = 0;
  constructor(private readonly catalog: Catalog) {}
  take(): Write {
    const { uncategorised, leaves } = this.catalog;
    const index = this.next++;
    if (index >= uncategorised.length * leaves.length) throw new Error('out of unique pairs');
    return {
      handle: uncategorised[index % uncategorised.length]!,
      categoryId: leaves[Math.floor(index / uncategorised.length) % leaves.length]!,
    };
  }
}

export interface LoadOptions {
  /** One or more app base URLs; loop i talks to urls[i % urls.length]. */
  urls: string[];
  loops: number;
  seconds: number;
  /** Every n-th request of a loop is a write (0: reads only). */
  writeEvery: number;
  /** Reads with parameters never seen before, so that none is a cache hit. */
  uncachedReads?: boolean;
  timeoutMs?: number;
}

export interface LoadResult {
  outcomes: Outcome[];
  /** Writes answered 2xx. */
  acknowledged: Write[];
}

let unique = 0;

function readPath(catalog: Catalog, step: number, uncached: boolean): string {
  const pick = (n: number) => Math.floor(Math.random() * n);
  if (uncached) {
    // A search no cache has seen: the query reaches the products table every time.
    return `/api/products?limit=${10 + (step % 20)}&search=${encodeURIComponent(`zz-${Date.now()}-${unique++}`)}`;
  }
  switch (step % 4) {
    case 0:
      return `/api/products?limit=20&offset=${20 * pick(Math.max(1, Math.floor(catalog.products / 20)))}`;
    case 1:
      return `/api/products/${encodeURIComponent(catalog.handles[pick(catalog.handles.length)]!)}`;
    case 2:
      return '/api/categories/tree';
    default:
      return `/api/products?limit=${10 + pick(40)}&hide_allocated=true`;
  }
}

export async function request(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 20_000,
): Promise<Omit<Outcome, 'kind'>> {
  const started = performance.now();
  const outcome: Omit<Outcome, 'kind'> = { method, path, started, ms: 0 };
  try {
    const response = await fetch(base + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    outcome.status = response.status;
    if (response.status >= 400) {
      try {
        const envelope = JSON.parse(text) as { code?: string; details?: { dependency?: string } };
        outcome.code = envelope.code;
        outcome.dependency = envelope.details?.dependency;
      } catch {
        outcome.code = 'NOT_JSON';
      }
    }
  } catch (error) {
    const cause = (error as { cause?: { code?: string; name?: string } }).cause;
    outcome.error = cause?.code ?? cause?.name ?? (error as Error).name;
  }
  outcome.ms = performance.now() - started;
  return outcome;
}

/** Runs the loops until `seconds` have passed or `stop()` is called. */
export function startLoad(catalog: Catalog, pairs: PairSource, options: LoadOptions) {
  const outcomes: Outcome[] = [];
  const acknowledged: Write[] = [];
  let stopped = false;
  const end = performance.now() + options.seconds * 1000;
  const loop = async (index: number) => {
    const base = options.urls[index % options.urls.length]!;
    for (let step = index; !stopped && performance.now() < end; step += 1) {
      if (options.writeEvery > 0 && step % options.writeEvery === options.writeEvery - 1) {
        const write = pairs.take();
        const outcome = await request(
          base,
          'POST',
          `/api/products/${encodeURIComponent(write.handle)}/categories`,
          { category_ids: [write.categoryId] },
          options.timeoutMs,
        );
        outcomes.push({ kind: 'write', ...outcome });
        if (outcome.status !== undefined && outcome.status < 300) acknowledged.push(write);
      } else {
        const path = readPath(catalog, step, options.uncachedReads ?? false);
        outcomes.push({
          kind: 'read',
          ...(await request(base, 'GET', path, undefined, options.timeoutMs)),
        });
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.loops }, (_, index) => loop(index))).then(
    (): LoadResult => ({ outcomes, acknowledged }),
  );
  return {
    outcomes,
    done,
    stop: () => {
      stopped = true;
      return done;
    },
  };
}

/** Acknowledged writes that are not in the database. */
export async function lostWrites(url: string, writes: Write[]): Promise<Write[]> {
  if (writes.length === 0) return [];
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const found = await client.query<{ handle: string; category: number }>(
      `select w.handle, w.category
         from unnest($1::text[], $2::int[]) as w(handle, category)
         join products p on p.product_id = w.handle
         join product_categories pc on pc.product_id = p.id and pc.category_id = w.category`,
      [writes.map((write) => write.handle), writes.map((write) => write.categoryId)],
    );
    const present = new Set(found.rows.map((row) => `${row.handle}\u0000${row.category}`));
    return writes.filter((write) => !present.has(`${write.handle}\u0000${write.categoryId}`));
  } finally {
    await client.end();
  }
}

export interface Counts {
  sent: number;
  ok: number;
  clientErrors: number;
  serverErrors: number;
  unavailable: number;
  internal: number;
  /** Requests without an HTTP answer, by cause. */
  noAnswer: Record<string, number>;
  /** Slowest request that did not succeed, in ms. */
  maxFailedMs: number;
}

export function count(outcomes: Outcome[]): Counts {
  const counts: Counts = {
    sent: outcomes.length,
    ok: 0,
    clientErrors: 0,
    serverErrors: 0,
    unavailable: 0,
    internal: 0,
    noAnswer: {},
    maxFailedMs: 0,
  };
  for (const outcome of outcomes) {
    const status = outcome.status;
    if (status !== undefined && status < 400) {
      counts.ok += 1;
      continue;
    }
    counts.maxFailedMs = Math.max(counts.maxFailedMs, outcome.ms);
    if (status === undefined) {
      const cause = outcome.error ?? 'unknown';
      counts.noAnswer[cause] = (counts.noAnswer[cause] ?? 0) + 1;
    } else if (status < 500) {
      counts.clientErrors += 1;
    } else {
      counts.serverErrors += 1;
      if (status === 503) counts.unavailable += 1;
      if (status === 500) counts.internal += 1;
    }
  }
  return counts;
}

/** The one line each scenario logs, so its counts can be quoted. */
export function countsLine(scenario: string, counts: Counts, lost: number, extra = ''): string {
  const noAnswer = Object.entries(counts.noAnswer)
    .map(([cause, n]) => `${cause}:${n}`)
    .join(' ');
  return (
    `[faults] ${scenario}: sent=${counts.sent}, ok=${counts.ok}, ` +
    `failed(5xx/503)=${counts.serverErrors}/${counts.unavailable}, lost=${lost}` +
    `, 4xx=${counts.clientErrors}, no_answer=${noAnswer || 0}` +
    `, max_failed_ms=${Math.round(counts.maxFailedMs)}${extra ? `, ${extra}` : ''}`
  );
}
