/**
 * Move and merge of a category every product uses (issue 14 item 7), alone:
 *
 *     npm run bench:move-merge -- --products 100000 --reuse
 *
 * Prepares the benchmark database as `npm run bench` does (BENCH_DATABASE_URL), starts the real
 * server, and builds a small tree of its own: A > Source > Leaf and B > Destination. Every
 * product is assigned Leaf (so A, Source and Leaf: three rows each, written in SQL, as a setup).
 * Then, through the API, each timed with its dry run first:
 *
 * - move Leaf under Destination: every product gains B and Destination and loses Source and A;
 * - merge Destination into Source: every product gains A and Source again, Leaf moves back under
 *   Source, Destination is deleted and B removed from every product;
 * - undo that merge (POST /api/changes/{id}/undo), then undo the undo (the merge again).
 *
 * Afterwards the bench's categories and their assignments are deleted, so the catalog ends as it
 * began. Writes bench/results/<date>-move-merge-<products>.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openBenchDatabase, prepareDatabase } from './lib/database.js';
import { startAppServer, stopAll } from './lib/processes.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const log = (line: string) => console.log(`[bench:move-merge] ${line}`);

interface Answer {
  data?: {
    id: number;
    change_set_id: number;
    products_affected: number;
    ancestors_added: { products: number }[];
    ancestors_removed: { products: number }[];
  };
  error?: string;
}

async function post(url: string, body: unknown): Promise<{ seconds: number; answer: Answer }> {
  const started = performance.now();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await response.json()) as Answer;
  const seconds = (performance.now() - started) / 1000;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(answer)}`);
  return { seconds, answer };
}

const rows = (list: { products: number }[]) => list.reduce((sum, item) => sum + item.products, 0);

async function main() {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '100000' },
      reuse: { type: 'boolean', default: false },
    },
  });
  const products = Number(values.products);
  if (!Number.isInteger(products) || products < 1000) throw new Error('--products: 1,000 or more');
  const url =
    process.env.BENCH_DATABASE_URL?.trim() ||
    'postgres://postgres@127.0.0.1:5432/tag_manager_bench';
  const prepared = await prepareDatabase(url, products, values.reuse, log);
  const app = await startAppServer('app', url, {
    RATE_LIMIT_ENABLED: 'false',
    REDIS_URL: undefined,
  });
  const database = await openBenchDatabase(url);
  const created: number[] = [];
  const figures: Record<string, number> = {};
  try {
    const stamp = Date.now();
    const create = async (name: string, parentId?: number) => {
      const { answer } = await post(`${app.url}/api/categories`, {
        name: `Bench ${name} ${stamp}`,
        ...(parentId ? { parent_id: parentId } : {}),
      });
      created.unshift(answer.data!.id);
      return answer.data!.id;
    };
    const a = await create('A');
    const b = await create('B');
    const source = await create('Source', a);
    const leaf = await create('Leaf', source);
    const destination = await create('Destination', b);

    const setupStarted = performance.now();
    const pool = database.pool!;
    // Set-based, with the counter triggers aside and the counters set once (as a restructure does).
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('tag_manager.restructure', 'on', true)`);
      for (const [category, level, parent] of [
        [a, 1, null],
        [source, 2, a],
        [leaf, 3, source],
      ] as const) {
        await client.query(
          `insert into product_categories (product_id, category_id, category_level, parent_category_id)
           select id, $1::int, $2::smallint, $3::int from products`,
          [category, level, parent],
        );
      }
      await client.query(
        `update categories set product_count = (select count(*) from products) where id = any($1::int[])`,
        [[a, source, leaf]],
      );
      await client.query(
        `update product_state set category_count = category_count + 3, last_modified = now()`,
      );
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
    await pool.query('analyze product_categories');
    log(
      `setup: Leaf (and A, Source) assigned to every product in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`,
    );

    const preview = await post(`${app.url}/api/categories/${leaf}/move`, {
      parent_id: destination,
      dry_run: true,
    });
    const moved = await post(`${app.url}/api/categories/${leaf}/move`, { parent_id: destination });
    figures.products = moved.answer.data!.products_affected;
    figures.movePreviewSeconds = preview.seconds;
    figures.moveSeconds = moved.seconds;
    figures.moveRowsAdded = rows(moved.answer.data!.ancestors_added);
    figures.moveRowsRemoved = rows(moved.answer.data!.ancestors_removed);
    log(
      `move Leaf under Destination, ${figures.products.toLocaleString('en')} products: preview ${preview.seconds.toFixed(2)} s, move ${moved.seconds.toFixed(2)} s (${figures.moveRowsAdded.toLocaleString('en')} ancestor rows added, ${figures.moveRowsRemoved.toLocaleString('en')} removed, ${figures.products.toLocaleString('en')} re-pointed)`,
    );

    const mergePreview = await post(`${app.url}/api/categories/${destination}/merge`, {
      into_id: source,
      dry_run: true,
    });
    const merged = await post(`${app.url}/api/categories/${destination}/merge`, {
      into_id: source,
    });
    figures.mergePreviewSeconds = mergePreview.seconds;
    figures.mergeSeconds = merged.seconds;
    figures.mergeRowsAdded = rows(merged.answer.data!.ancestors_added);
    figures.mergeRowsRemoved = rows(merged.answer.data!.ancestors_removed);
    log(
      `merge Destination into Source, ${merged.answer.data!.products_affected.toLocaleString('en')} products: preview ${mergePreview.seconds.toFixed(2)} s, merge ${merged.seconds.toFixed(2)} s (${figures.mergeRowsAdded.toLocaleString('en')} rows added, ${figures.mergeRowsRemoved.toLocaleString('en')} ancestor rows removed, Destination's ${figures.products.toLocaleString('en')} rows deleted)`,
    );

    // The merge's undo (one transaction: Destination re-created, Leaf moved back under it, every
    // product's rows as before), then the undo of that undo (the merge again).
    const mergeId = merged.answer.data!.change_set_id;
    const undone = await post(`${app.url}/api/changes/${mergeId}/undo`, {});
    const undoneId = undone.answer.data!.change_set_id;
    const redone = await post(`${app.url}/api/changes/${undoneId}/undo`, {});
    figures.mergeUndoSeconds = undone.seconds;
    figures.mergeRedoSeconds = redone.seconds;
    log(
      `undo of the merge ${undone.seconds.toFixed(2)} s, its undo (the merge again) ${redone.seconds.toFixed(2)} s`,
    );
  } finally {
    // Leaves first (the closure FK), then the categories, children before parents; the
    // counters are set once at the end, as in the setup.
    const ids = created.filter((id) => id > 0);
    const client = await database.pool!.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('tag_manager.restructure', 'on', true)`);
      const touched = await client.query<{ product_id: number }>(
        'select distinct product_id from product_categories where category_id = any($1::int[])',
        [ids],
      );
      for (const level of [3, 2, 1]) {
        await client.query(
          'delete from product_categories where category_id = any($1::int[]) and category_level = $2',
          [ids, level],
        );
      }
      for (const level of [3, 2, 1]) {
        await client.query('delete from categories where id = any($1::int[]) and level = $2', [
          ids,
          level,
        ]);
      }
      await client.query(
        `update product_state p set category_count = (select count(*) from product_categories pc where pc.product_id = p.id),
                incomplete_branches = product_open_branches(p.id), last_modified = now()
          where p.id = any($1::int[])`,
        [touched.rows.map((row) => row.product_id)],
      );
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      console.error('[bench:move-merge] clean-up failed; the bench categories are left:', error);
      process.exitCode = 1;
    } finally {
      client.release();
    }
    await database.close();
    await app.stop();
    await stopAll();
  }
  const file = join(
    ROOT,
    'bench/results',
    `${new Date().toISOString().slice(0, 10)}-move-merge-${products}.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(
    file,
    `${JSON.stringify({ reused: prepared.reused, loadAverage: loadavg(), ...figures }, null, 2)}\n`,
  );
  log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
