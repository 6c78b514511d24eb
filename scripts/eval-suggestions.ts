/**
 * `npm run eval:suggestions`: leave-one-out evaluation of the category suggestions (issue 12).
 * Not a timed test: a report.
 *
 * For each evaluated product (categorised, taken at a fixed stride over the catalog), the engine
 * is asked with `hideOwnCategories` (its own categories are not left out of the answer; its own
 * assignments are never evidence, the product is never its own neighbour), and its answer is
 * compared with the product's most specific categories (assignments none of whose children it
 * also has): top-1 = the first suggestion is one of them, top-3 = one of the first three is;
 * coverage = the share of products with any suggestion. Nothing is deleted.
 *
 *   (a) the synthetic catalog: seedCatalog with --products N (default 20,000), whatever the
 *       seeder generates (the script does not depend on how it assigns);
 *   (b) the real sample files (/work/shared/data, or EVAL_DATA_DIR): they have no
 *       assignments, so part of them is labelled by a documented rule and only that part is
 *       evaluated, with the signal the rule came from switched off (see REAL_RULES).
 *
 * Each part runs in a fresh PostgreSQL database (EVAL_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/tag_manager_eval_suggestions; never "postgres"), dropped
 * at the end. Prints the figures and writes bench/results/suggestions-eval-<date>.json.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { openDatabase, queryRows, type DatabaseHandle } from '../server/src/db/client.js';
import { arrayParam } from '../server/src/db/sql.js';
import { seedCatalog } from '../server/src/features/seed/seeder.js';
import type { SuggestionSubject } from '../server/src/features/suggestions/suggestions.repository.js';
import { words, type Signal } from '../server/src/features/suggestions/suggestions.service.js';
import { createServices } from '../server/src/services.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONTEXT = { actor: 'eval-suggestions', source: 'cli' } as const;
const log = (line: string) => console.log(line);

interface Figures {
  evaluated: number;
  top1: number;
  top3: number;
  coverage: number;
  /** Mean score of the first suggestion when it was right, and when it was wrong. */
  mean_top_score_right: number | null;
  mean_top_score_wrong: number | null;
  disabled_signals: Signal[];
  milliseconds_per_product: number;
}

async function withAdmin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function freshDatabase(url: string): Promise<DatabaseHandle> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!name || name === 'postgres') throw new Error('EVAL_DATABASE_URL must not be "postgres"');
  await withAdmin(url, async (client) => {
    await client.query(`drop database if exists "${name}" with (force)`);
    await client.query(`create database "${name}"`);
  });
  const database = await openDatabase({
    driver: 'postgres',
    url,
    poolSize: 4,
    connectionTimeoutMs: 30_000,
    idleTimeoutMs: 10_000,
    maxLifetimeSeconds: 3600,
    statementTimeoutMs: 0,
  });
  await database.migrate();
  return database;
}

async function dropDatabase(url: string) {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  await withAdmin(url, (client) => client.query(`drop database if exists "${name}" with (force)`));
}

/** Leave-one-out over up to `sampleSize` categorised products (`only`: just these ids). */
async function leaveOneOut(
  database: DatabaseHandle,
  sampleSize: number,
  disabled: Signal[],
  only?: number[],
): Promise<Figures> {
  const services = createServices(database.db);
  const [{ n } = { n: 0 }] = await queryRows<{ n: number }>(
    database.db,
    sql`select count(*)::int as n from product_state where category_count > 0`,
  );
  const stride = Math.max(1, Math.floor(n / sampleSize));
  const subjects = await queryRows<SuggestionSubject & { truth: number[] }>(
    database.db,
    sql`select p.id, p.product_id, p.product_name, p.product_type, p.vendor, p.tags,
               array(select pc.category_id from product_categories pc
                      where pc.product_id = p.id
                        and not exists (select 1 from product_categories child
                                         where child.product_id = p.id
                                           and child.parent_category_id = pc.category_id)) as truth
          from (select products.*, row_number() over (order by id) as position
                  from products join product_state s using (id) where s.category_count > 0) p
         where ${only ? sql`p.id = any(${arrayParam(only)}::int[])` : sql`(p.position - 1) % ${stride} = 0`}
         order by p.id
         limit ${sampleSize}`,
  );
  const index = await services.categories.index();
  let top1 = 0;
  let top3 = 0;
  let covered = 0;
  const right: number[] = [];
  const wrong: number[] = [];
  const started = performance.now();
  for (const subject of subjects) {
    const truth = new Set(subject.truth);
    const { suggestions } = await services.suggestions.suggest(subject, index, {
      limit: 3,
      hideOwnCategories: true,
      disabled,
    });
    if (suggestions.length === 0) continue;
    covered += 1;
    const first = suggestions[0]!;
    if (truth.has(first.category.id)) {
      top1 += 1;
      right.push(first.score);
    } else wrong.push(first.score);
    if (suggestions.some((item) => truth.has(item.category.id))) top3 += 1;
  }
  const share = (count: number) =>
    subjects.length === 0 ? 0 : Math.round((count / subjects.length) * 1000) / 1000;
  const mean = (values: number[]) =>
    values.length === 0
      ? null
      : Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / 1000;
  return {
    evaluated: subjects.length,
    top1: share(top1),
    top3: share(top3),
    coverage: share(covered),
    mean_top_score_right: mean(right),
    mean_top_score_wrong: mean(wrong),
    disabled_signals: disabled,
    milliseconds_per_product:
      Math.round(((performance.now() - started) / Math.max(1, subjects.length)) * 10) / 10,
  };
}

const show = (label: string, figures: Figures) =>
  log(
    `  ${label}: ${figures.evaluated} products, top-1 ${(figures.top1 * 100).toFixed(1)}%, top-3 ${(figures.top3 * 100).toFixed(1)}%, coverage ${(figures.coverage * 100).toFixed(1)}%` +
      `${figures.disabled_signals.length > 0 ? ` (without ${figures.disabled_signals.join(', ')})` : ''}`,
  );

async function synthetic(url: string, products: number, sample: number) {
  log(`(a) Synthetic catalog: seeding ${products.toLocaleString('en')} products…`);
  const database = await freshDatabase(url);
  try {
    const seeded = await seedCatalog(database, { products });
    await database.pool!.query('vacuum analyze');
    const all = await leaveOneOut(database, sample, []);
    show('all signals', all);
    const byName = await leaveOneOut(database, sample, ['type', 'vendor', 'tags', 'words']);
    show('name only', byName);
    return { products, assignments: seeded.assignments, all_signals: all, name_only: byName };
  } finally {
    await database.close();
    await dropDatabase(url);
  }
}

/**
 * How part of the real sample is labelled (it has no assignments), each rule evaluated with the
 * signal it came from switched off, so the answer cannot simply read the label back:
 *  - type:  a product whose Type equals a category name (after trimming and lower-casing; a
 *           name used by more than one category is skipped) gets that category;
 *  - title: a product gets the most specific category whose name's words (3+ letters, plural
 *           "s" dropped) all occur in its title, when exactly one category at that level
 *           qualifies. Evaluated without the words signal (which is that rule); the name signal
 *           remains and is favoured by it: titles that share words share labels, so this figure
 *           is an upper bound for the name signal.
 */
const REAL_RULES = ['type', 'title'] as const;

async function real(url: string, dataDir: string, sample: number) {
  const productsFile = join(dataDir, 'shopify-products.csv');
  const categoriesFile = join(dataDir, 'categories.json');
  if (!existsSync(productsFile) || !existsSync(categoriesFile)) {
    log(`(b) Real sample files: skipped, ${productsFile} or ${categoriesFile} is absent`);
    return { skipped: `no ${productsFile} or ${categoriesFile}` };
  }
  const results: Record<string, unknown> = {};
  for (const rule of REAL_RULES) {
    const database = await freshDatabase(url);
    try {
      const services = createServices(database.db);
      await services.imports.importCategories(
        JSON.parse(await readFile(categoriesFile, 'utf8')),
        CONTEXT,
      );
      await services.imports.importProducts(createReadStream(productsFile), CONTEXT);
      const index = await services.categories.index();
      const products = await queryRows<SuggestionSubject>(
        database.db,
        sql`select id, product_id, product_name, product_type, vendor, tags from products order by id`,
      );
      const byName = new Map<string, number[]>();
      for (const row of index.rows) {
        const key = row.name.trim().toLowerCase();
        byName.set(key, [...(byName.get(key) ?? []), row.id]);
      }
      const labels = new Map<string, number>();
      for (const product of products) {
        if (rule === 'type') {
          const matches = byName.get(product.product_type?.trim().toLowerCase() ?? '') ?? [];
          if (matches.length === 1) labels.set(product.product_id, matches[0]!);
        } else {
          const titleWords = new Set(words(product.product_name));
          const hits = index.rows.filter((row) => {
            const nameWords = words(row.name);
            return nameWords.length > 0 && nameWords.every((word) => titleWords.has(word));
          });
          const deepest = Math.max(0, ...hits.map((row) => row.level));
          const atDeepest = hits.filter((row) => row.level === deepest);
          if (atDeepest.length === 1) labels.set(product.product_id, atDeepest[0]!.id);
        }
      }
      for (const [handle, categoryId] of labels) {
        await services.assignments.assign(handle, [categoryId], CONTEXT);
      }
      await database.pool!.query('vacuum analyze');
      const labelled = products.filter((p) => labels.has(p.product_id)).map((p) => p.id);
      log(
        `(b) Real sample, rule "${rule}": ${labels.size} of ${products.length} products labelled`,
      );
      const disabled: Signal[] = rule === 'type' ? ['type'] : ['words'];
      const figures = await leaveOneOut(database, sample, disabled, labelled);
      show(`rule ${rule}`, figures);
      // Tags often repeat the Type and titles share words with the labels: the name signal
      // alone is the most conservative figure.
      const nameOnly = await leaveOneOut(
        database,
        sample,
        ['type', 'vendor', 'tags', 'words'],
        labelled,
      );
      show(`rule ${rule}, name only`, nameOnly);
      results[rule] = {
        products: products.length,
        labelled: labels.size,
        ...figures,
        name_only: nameOnly,
      };
    } finally {
      await database.close();
      await dropDatabase(url);
    }
  }
  return results;
}

async function main() {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '20000' },
      sample: { type: 'string', default: '1000' },
    },
  });
  const products = Number(values.products);
  const sample = Number(values.sample);
  if (!Number.isInteger(products) || products < 100) throw new Error('--products: 100 or more');
  if (!Number.isInteger(sample) || sample < 1) throw new Error('--sample: 1 or more');
  const url =
    process.env.EVAL_DATABASE_URL?.trim() ||
    'postgres://postgres@127.0.0.1:5432/tag_manager_eval_suggestions';
  const dataDir = process.env.EVAL_DATA_DIR?.trim() || '/work/shared/data';
  const report = {
    at: new Date().toISOString(),
    synthetic: await synthetic(url, products, sample),
    real: await real(url, dataDir, sample),
  };
  const file = join(
    ROOT,
    'bench/results',
    `suggestions-eval-${report.at.slice(0, 19).replace(/:/g, '-')}.json`,
  );
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  log(`Wrote ${file}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
