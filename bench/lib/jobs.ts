/**
 * Throughput jobs against the running app: a generated Shopify CSV import, the whole-catalog
 * CSV export (with the server's peak memory), and a bulk assign of 3 categories to 10,000
 * products. Each restores the catalog afterwards, so a reused database stays as seeded.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import { IMPORT_PREFIX } from './database.js';
import { procStatusBytes } from './processes.js';

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
  seconds: number;
  removeSeconds: number;
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

export async function bulkJob(
  baseUrl: string,
  handles: string[],
  categories: { id: number; root: number }[],
): Promise<BulkFigures> {
  const started = performance.now();
  const status = await postJson(`${baseUrl}/api/bulk/assign`, {
    product_ids: handles,
    category_ids: categories.map((category) => category.id),
  });
  const seconds = (performance.now() - started) / 1000;
  // The products were uncategorised: removing the roots removes what the assign added.
  const removeStarted = performance.now();
  const removeStatus = await postJson(`${baseUrl}/api/bulk/remove`, {
    product_ids: handles,
    category_ids: [...new Set(categories.map((category) => category.root))],
  });
  return {
    products: handles.length,
    categories: categories.length,
    seconds,
    removeSeconds: (performance.now() - removeStarted) / 1000,
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
