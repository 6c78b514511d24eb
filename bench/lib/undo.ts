/**
 * Undo of a large change set (issue 13): a bulk assign of `categories` level-3 categories to
 * `handles` (uncategorised products), then POST /api/changes/{id}/undo of its change set, timed;
 * then the undo of that undo (the redo), timed, and its undo, which leaves the catalog as it was.
 */
import { request as httpRequest } from 'node:http';

export interface UndoFigures {
  products: number;
  categories: number;
  /** Rows the change set added (the categories and their ancestors), which the undo deletes. */
  rows: number | null;
  assignSeconds: number;
  undoSeconds: number;
  redoSeconds: number;
  undoStatus: number;
  redoStatus: number;
  restoreStatus: number;
  undoneProducts: number | null;
}

async function call(
  url: string,
  method: 'GET' | 'POST',
  body?: unknown,
): Promise<{ status: number; json: unknown; seconds: number }> {
  const started = performance.now();
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      url,
      {
        method,
        headers: text === undefined ? {} : { 'content-type': 'application/json' },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let json: unknown = null;
          try {
            json = JSON.parse(raw);
          } catch {
            json = raw;
          }
          const status = response.statusCode ?? 0;
          if (status >= 300)
            console.error(`  ${method} ${url} answered ${status}: ${raw.slice(0, 500)}`);
          resolve({ status, json, seconds: (performance.now() - started) / 1000 });
        });
        response.on('error', reject);
      },
    );
    request.setTimeout(300_000, () => request.destroy(new Error(`${url}: no answer in 5 minutes`)));
    request.on('error', reject);
    request.end(text);
  });
}

interface Envelope<T> {
  data: T;
}

export async function undoJob(
  baseUrl: string,
  handles: string[],
  categories: { id: number }[],
): Promise<UndoFigures> {
  const assign = await call(`${baseUrl}/api/bulk/assign`, 'POST', {
    product_ids: handles,
    category_ids: categories.map((category) => category.id),
  });
  const latest = await call(`${baseUrl}/api/changes?limit=1&kind=bulk.assign`, 'GET');
  const change = (latest.json as Envelope<{ id: number; product_ids: number[]; after: unknown }[]>)
    .data[0]!;
  const rows = (change.after as { changed?: { added: number[] }[] } | null)?.changed?.reduce(
    (sum, item) => sum + item.added.length,
    0,
  );
  const undo = await call(`${baseUrl}/api/changes/${change.id}/undo`, 'POST', {});
  const undone = undo.json as Envelope<{ change_set_id: number; undone_products: number }>;
  const redo = await call(`${baseUrl}/api/changes/${undone.data.change_set_id}/undo`, 'POST', {});
  const redone = redo.json as Envelope<{ change_set_id: number }>;
  const restore = await call(
    `${baseUrl}/api/changes/${redone.data.change_set_id}/undo`,
    'POST',
    {},
  );
  return {
    products: handles.length,
    categories: categories.length,
    rows: rows ?? null,
    assignSeconds: assign.seconds,
    undoSeconds: undo.seconds,
    redoSeconds: redo.seconds,
    undoStatus: undo.status,
    redoStatus: redo.status,
    restoreStatus: restore.status,
    undoneProducts: undone.data?.undone_products ?? null,
  };
}
