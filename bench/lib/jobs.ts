/**
 * Throughput jobs against the running app: a generated Shopify CSV import, the whole-catalog
 * CSV export (with the server's peak memory), and a bulk assign of 3 categories to 10,000
 * products. Each restores the catalog afterwards, so a reused database stays as seeded.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { IMPORT_PREFIX } from './database.js';
import { procStatusBytes } from './processes.js';
import { median } from './median.js';

const JOB_TIMEOUT_MS = 5 * 60_000;

export interface ImportFigures {
  products: number;
  csvRows: number;
  csvBytes: number;
  seconds: number;
  rowsPerSecond: number;
  created: number | null;
  status: number;
}

export interface ExportFigures {
  rows: number;
  bytes: number;
  seconds: number;
  rowsPerSecond: number;
  peakRssBytes: number | null;
  rssBeforeBytes: number | null;
  status: number;
}

export interface BulkFigures {
  products: number;
  categories: number;
  /** The median round's assign. */
  seconds: number;
  /**
   * Each round's assign, in order, each on other uncategorised products where the catalog has
   * them. The first after the server's start also compiles the route's validator and serializer
   * (compiled on first use: src/http/lazy-compilers.ts).
   */
  roundSeconds?: number[];
  /** The median round's remove (which restores the products). */
  removeSeconds: number;
  /** 200, or the first other status of any round. */
  status: number;
  removeStatus: number;
}

const STATUSES = ['active', 'active', 'active', 'draft', 'archived'];

/** Writes a Shopify product export: one row per product, plus a variant row for every 4th. */
export async function generateShopifyCsv(path: string, products: number): Promise<number> {
  let rows = 0;
  await pipeline(
    Readable.from(
      (function* () {
        yield [
          'Handle',
          'Title',
          'Vendor',
          'Type',
          'Current Tags',
          'Variant SKU',
          'Image Src',
          'Status',
        ];
        for (let i = 1; i <= products; i += 1) {
          const handle = `${IMPORT_PREFIX}${String(i).padStart(6, '0')}`;
          rows += 1;
          yield [
            handle,
            `Bench Import Sealant ${i} ${['Grey', 'White', 'Clear'][i % 3]} 600ml`,
            ['Sika', 'Bostik', 'Ardex', 'Mapei'][i % 4],
            ['Sealant', 'Membrane', 'Adhesive'][i % 3],
            `bench, import, batch-${i % 100}`,
            `BENCH-${i}`,
            `https://cdn.example.com/bench/${i}.jpg`,
            STATUSES[i % STATUSES.length],
          ];
          if (i % 4 === 0) {
            rows += 1;
            yield [
              handle,
              '',
              '',
              '',
              '',
              `BENCH-${i}-B`,
              `https://cdn.example.com/bench/${i}b.jpg`,
              '',
            ];
          }
        }
      })(),
    ),
    stringify(),
    createWriteStream(path),
  );
  return rows;
}

function request(
  url: string,
  options: http.RequestOptions,
  body?: Readable | string,
): Promise<{ status: number; response: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { ...options, timeout: JOB_TIMEOUT_MS }, (response) =>
      resolve({ status: response.statusCode ?? 0, response }),
    );
    req.on('timeout', () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
    if (body instanceof Readable) body.pipe(req);
    else req.end(body);
  });
}

async function readBody(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function importJob(baseUrl: string, products: number): Promise<ImportFigures> {
  const directory = await mkdtemp(join(tmpdir(), 'tag-manager-bench-'));
  try {
    const path = join(directory, 'products_export.csv');
    const csvRows = await generateShopifyCsv(path, products);
    const { size } = await stat(path);
    const started = performance.now();
    const { status, response } = await request(
      `${baseUrl}/api/import/products`,
      { method: 'POST', headers: { 'content-type': 'text/csv', 'content-length': size } },
      createReadStream(path),
    );
    const text = await readBody(response);
    const seconds = (performance.now() - started) / 1000;
    let created: number | null = null;
    try {
      const report = JSON.parse(text) as { data?: { created?: number } };
      created = report.data?.created ?? null;
    } catch {
      // not JSON: reported through the status
    }
    if (status !== 200) console.error(`  import answered ${status}: ${text.slice(0, 500)}`);
    return {
      products,
      csvRows,
      csvBytes: size,
      seconds,
      rowsPerSecond: products / seconds,
      created,
      status,
    };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

export async function exportJob(baseUrl: string, serverPid: number): Promise<ExportFigures> {
  const rssBeforeBytes = (await procStatusBytes(serverPid, 'VmRSS')) ?? null;
  let peak = rssBeforeBytes ?? 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const rss = await procStatusBytes(serverPid, 'VmRSS');
      if (rss !== undefined && rss > peak) peak = rss;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const started = performance.now();
  let lines = 0;
  let bytes = 0;
  let status = 0;
  try {
    const result = await request(`${baseUrl}/api/export/csv`, { method: 'GET' });
    status = result.status;
    for await (const chunk of result.response) {
      const buffer = chunk as Buffer;
      bytes += buffer.length;
      for (let i = buffer.indexOf(10); i !== -1; i = buffer.indexOf(10, i + 1)) lines += 1;
    }
  } finally {
    sampling = false;
    await sampler;
  }
  const seconds = (performance.now() - started) / 1000;
  // Quoted cells may hold line breaks; the synthetic catalog's names do not.
  const rows = Math.max(0, lines - 1);
  return {
    rows,
    bytes,
    seconds,
    rowsPerSecond: rows / seconds,
    peakRssBytes: rssBeforeBytes === null ? null : peak,
    rssBeforeBytes,
    status,
  };
}

async function postJson(url: string, body: unknown) {
  const { status, response } = await request(
    url,
    { method: 'POST', headers: { 'content-type': 'application/json' } },
    JSON.stringify(body),
  );
  const text = await readBody(response);
  if (status !== 200) console.error(`  ${url} answered ${status}: ${text.slice(0, 500)}`);
  return status;
}

/**
 * Bulk assigns `categories` to each set of `handleSets` (one POST per set, timed), removing the
 * assignments again after each (the products were uncategorised: removing the roots removes what
 * the assign added). Several rounds, because one request on a 2-core machine shared with the
 * database varies by ±10%: the figure is the median.
 */
export async function bulkJob(
  baseUrl: string,
  handleSets: string[][],
  categories: { id: number; root: number }[],
): Promise<BulkFigures> {
  const assigns: number[] = [];
  const removes: number[] = [];
  let status = 200;
  let removeStatus = 200;
  for (const handles of handleSets) {
    const started = performance.now();
    const assigned = await postJson(`${baseUrl}/api/bulk/assign`, {
      product_ids: handles,
      category_ids: categories.map((category) => category.id),
    });
    assigns.push((performance.now() - started) / 1000);
    const removeStarted = performance.now();
    const removed = await postJson(`${baseUrl}/api/bulk/remove`, {
      product_ids: handles,
      category_ids: [...new Set(categories.map((category) => category.root))],
    });
    removes.push((performance.now() - removeStarted) / 1000);
    if (status === 200) status = assigned;
    if (removeStatus === 200) removeStatus = removed;
  }
  return {
    products: handleSets[0]?.length ?? 0,
    categories: categories.length,
    seconds: median(assigns),
    roundSeconds: assigns,
    removeSeconds: median(removes),
    status,
    removeStatus,
  };
}

/** Undoes the mixed workload's writes (see scenarios.ts). */
export async function bulkRemove(baseUrl: string, handles: string[], roots: number[]) {
  for (let start = 0; start < handles.length; start += 10_000) {
    await postJson(`${baseUrl}/api/bulk/remove`, {
      product_ids: handles.slice(start, start + 10_000),
      category_ids: roots,
    });
  }
}

/** Names the hostile jobs give what they write, so that the run can remove it afterwards. */
export const HOSTILE_PREFIX = 'bench-hostile-';

export interface HostileFigures {
  /** What was sent: see hostileJob. */
  case: string;
  route: string;
  bytes: number;
  entries: number;
  status: number;
  seconds: number;
  responseBytes: number;
  rejectedListed: number | null;
  rejectedTotal: number | null;
  peakRssBytes: number | null;
  rssBeforeBytes: number | null;
}

/** Samples a process's resident memory every 20 ms until `stop` is called. */
function sampleRss(pid: number) {
  let before: number | null = null;
  let peak = 0;
  let sampling = true;
  const ready = procStatusBytes(pid, 'VmRSS').then((rss) => {
    before = rss ?? null;
    peak = rss ?? 0;
  });
  const loop = ready.then(async () => {
    while (sampling) {
      const rss = await procStatusBytes(pid, 'VmRSS');
      if (rss !== undefined && rss > peak) peak = rss;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
  return {
    ready,
    async stop() {
      sampling = false;
      await loop;
      return { before, peak: before === null ? null : peak };
    },
  };
}

/** Writes `head` and `line(1…)` to `path` while it stays within `bytes`; returns the lines. */
async function writeUntil(path: string, bytes: number, head: string, line: (i: number) => string) {
  let written = 0;
  let lines = 0;
  await pipeline(
    Readable.from(
      (function* () {
        yield head;
        written += Buffer.byteLength(head);
        for (;;) {
          const text = line(lines + 1);
          if (written + Buffer.byteLength(text) > bytes) return;
          lines += 1;
          written += Buffer.byteLength(text);
          yield text;
        }
      })(),
    ),
    createWriteStream(path),
  );
  return lines;
}

/**
 * Hostile imports (issue 9, M4/L1/L3/L6), each streamed to the running server while its
 * resident memory is sampled:
 *  - `csv-rejected`: a product CSV of `megabytes` whose every row is refused, each with a 2 KB
 *    value that a rejection reason could echo (an invalid Status);
 *  - `csv-long-fields`: a product CSV of `megabytes` of rows with a 3 KB Vendor (longer than
 *    the database's index can hold);
 *  - `json-categories`: a JSON category list of `megabytes` (entries with 1 KB names);
 *  - `json-many-entries`: `entries` Level 2 categories under one new Level 1 category, a
 *    file within the category limit (the parent lookup must not be linear per entry). This one
 *    writes: the categories it creates are named HOSTILE_PREFIX…, for the run to remove.
 */
export async function hostileJob(
  baseUrl: string,
  serverPid: number,
  megabytes: number,
  entries: number,
): Promise<HostileFigures[]> {
  const directory = await mkdtemp(join(tmpdir(), 'tag-manager-bench-hostile-'));
  const bytes = megabytes * 1_048_576;
  const results: HostileFigures[] = [];
  const send = async (
    name: string,
    route: string,
    contentType: string,
    path: string,
    count: number,
  ) => {
    const { size } = await stat(path);
    const rss = sampleRss(serverPid);
    await rss.ready;
    const started = performance.now();
    let status = 0;
    let text = '';
    try {
      const result = await request(
        `${baseUrl}${route}`,
        { method: 'POST', headers: { 'content-type': contentType, 'content-length': size } },
        createReadStream(path),
      );
      status = result.status;
      text = await readBody(result.response);
    } catch (error) {
      // A server that closes the connection on an early 413 may reset the upload.
      text = (error as Error).message;
    }
    const seconds = (performance.now() - started) / 1000;
    const { before, peak } = await rss.stop();
    let rejectedListed: number | null = null;
    let rejectedTotal: number | null = null;
    try {
      const report = JSON.parse(text) as {
        data?: { rejected?: unknown[]; rejected_total?: number };
      };
      rejectedListed = report.data?.rejected?.length ?? null;
      rejectedTotal = report.data?.rejected_total ?? rejectedListed;
    } catch {
      // not JSON (or too large to matter): the status says what happened
    }
    results.push({
      case: name,
      route,
      bytes: size,
      entries: count,
      status,
      seconds,
      responseBytes: Buffer.byteLength(text),
      rejectedListed,
      rejectedTotal,
      peakRssBytes: peak,
      rssBeforeBytes: before,
    });
    if (status !== 200) console.error(`  ${name}: HTTP ${status}: ${text.slice(0, 300)}`);
  };
  try {
    const csv = join(directory, 'hostile.csv');
    // Control characters: 1 byte in the file, 6 in a JSON answer that echoes them (\u0001).
    const status = '\u0001'.repeat(2000);
    let count = await writeUntil(
      csv,
      bytes,
      'Handle,Title,Vendor,Status\n',
      (i) => `${HOSTILE_PREFIX}${i},Hostile ${i},Vendor,${status}\n`,
    );
    await send('csv-rejected', '/api/import/products', 'text/csv', csv, count);

    // Random text, which PostgreSQL cannot compress under the index row limit (~2.7 KB).
    const noise = randomBytes(300_000).toString('base64url');
    count = await writeUntil(
      csv,
      bytes,
      'Handle,Title,Vendor\n',
      (i) => `${HOSTILE_PREFIX}${i},Hostile ${i},${noise.slice(i % 90_000, (i % 90_000) + 3000)}\n`,
    );
    await send('csv-long-fields', '/api/import/products', 'text/csv', csv, count);
    await rm(csv);

    const json = join(directory, 'hostile.json');
    const name = 'N'.repeat(1000);
    count = await writeUntil(
      json,
      bytes - 2,
      '[',
      (i) =>
        `${i === 1 ? '' : ','}${JSON.stringify({
          category_name: `${name} ${i}`,
          category_level: 'Level 2 Category',
          connected_to: `${HOSTILE_PREFIX}missing`,
        })}`,
    );
    await writeFile(json, ']', { flag: 'a' });
    await send('json-categories', '/api/import/categories', 'application/json', json, count);

    const many = [
      { category_name: `${HOSTILE_PREFIX}root`, category_level: 'Level 1 Category' },
      ...Array.from({ length: entries }, (_, i) => ({
        category_name: `${HOSTILE_PREFIX}${i + 1}`,
        category_level: 'Level 2 Category',
        connected_to: `${HOSTILE_PREFIX}root`,
      })),
    ];
    await writeFile(json, JSON.stringify(many));
    await send(
      'json-many-entries',
      '/api/import/categories',
      'application/json',
      json,
      many.length,
    );
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return results;
}

/** Bulk by filter as a job (issue 13): seconds from the request to the job's end. */
export interface BulkFilterFigures {
  products: number;
  categories: number;
  batchSize: number | undefined;
  previewSeconds: number;
  assignSeconds: number;
  assignProductsPerSecond: number;
  rowsAssigned: number;
  changeSets: number;
  removeSeconds: number;
  removeProductsPerSecond: number;
  states: string[];
}

interface JobAnswer {
  id: number;
  state: string;
  progress: { done: number; total: number | null; counters: Record<string, number> };
  change_set_ids: number[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- an answer of any route, read by name
async function fetchJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const response = await fetch(url, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init?.headers ?? {}) },
  });
  return { status: response.status, body: await response.json() };
}

async function runJobToEnd(baseUrl: string, path: string, body: unknown) {
  const started = performance.now();
  const accepted = await fetchJson(`${baseUrl}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  if (accepted.status !== 202) {
    throw new Error(`${path} answered ${accepted.status}: ${JSON.stringify(accepted.body)}`);
  }
  const id = accepted.body.data.job.id as number;
  let etag = '';
  let job = accepted.body.data.job as JobAnswer;
  while (!['succeeded', 'failed', 'cancelled'].includes(job.state)) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const response = await fetch(`${baseUrl}/api/jobs/${id}`, {
      headers: etag ? { 'if-none-match': etag } : {},
    });
    if (response.status === 304) continue;
    etag = response.headers.get('etag') ?? '';
    job = ((await response.json()) as { data: JobAnswer }).data;
  }
  return { job, seconds: (performance.now() - started) / 1000 };
}

/**
 * Assigns `categoryIds` to every product matching `filter` as a job, then removes them again
 * by the same filter (another job), so the catalog ends as it began.
 */
export async function bulkFilterJob(
  baseUrl: string,
  filter: Record<string, unknown>,
  categoryIds: number[],
  batchSize?: number,
): Promise<BulkFilterFigures> {
  const previewStarted = performance.now();
  const preview = await fetchJson(`${baseUrl}/api/bulk/assign`, {
    method: 'POST',
    body: JSON.stringify({ filter, category_ids: categoryIds, dry_run: true }),
  });
  const previewSeconds = (performance.now() - previewStarted) / 1000;
  if (preview.status !== 200) throw new Error(`preview: ${JSON.stringify(preview.body)}`);
  const assign = await runJobToEnd(baseUrl, '/api/bulk/assign', {
    filter,
    category_ids: categoryIds,
  });
  const remove = await runJobToEnd(baseUrl, '/api/bulk/remove', {
    filter,
    category_ids: categoryIds,
  });
  // Products done (equal to the match unless the job was cancelled or failed: see `states`).
  const products = assign.job.progress.done as number;
  return {
    products,
    categories: categoryIds.length,
    batchSize,
    previewSeconds,
    assignSeconds: assign.seconds,
    assignProductsPerSecond: products / assign.seconds,
    rowsAssigned:
      (assign.job.progress.counters.total_assigned ?? 0) +
      (assign.job.progress.counters.total_ancestors_added ?? 0),
    changeSets: assign.job.change_set_ids.length,
    removeSeconds: remove.seconds,
    removeProductsPerSecond: products / remove.seconds,
    states: [assign.job.state, remove.job.state],
  };
}
