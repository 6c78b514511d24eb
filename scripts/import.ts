/**
 * npm run import -- products FILE.csv
 * npm run import -- categories FILE.json
 * npm run import -- assignments FILE.csv   (the app's CSV export or the Shopify file)
 * Imports into the configured database (DATABASE_URL, or the embedded one in DATA_DIR — stop the
 * server first in embedded mode: PGlite serves one process at a time).
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { ImportReport } from '@tag-manager/contract';
import { cacheBackend } from '../server/src/app.js';
import { Cache } from '../server/src/cache/cache.js';
import { AppError } from '../server/src/errors.js';
import { notCategoryList } from '../server/src/features/imports/category-file.js';
import { shopifyOptions } from '../server/src/features/exports/exports.routes.js';
import { createServices } from '../server/src/services.js';
import { consoleLog, describeDatabase, openCliDatabase, run } from './cli.js';

const USAGE =
  'Usage: npm run import -- products FILE.csv | categories FILE.json | assignments FILE.csv';

export function formatReport(report: ImportReport): string {
  const lines = [
    `${report.kind}: ${report.records} read — ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.rejected_total} rejected`,
  ];
  if (report.placements) {
    const placed = report.placements;
    lines.push(
      `  placed under same-named parents: ${placed.created} created, ${placed.updated} renamed, ${placed.unchanged} already there`,
    );
  }
  if (report.kind === 'assignments') {
    lines.push(
      `  ${report.format} file: ${report.assignments_added ?? 0} assignments added, ${report.assignments_removed ?? 0} removed`,
    );
  }
  for (const rejection of report.rejected.slice(0, 50)) {
    lines.push(
      `  ${report.kind === 'categories' ? 'entry' : 'line'} ${rejection.line}: ${rejection.reason}`,
    );
  }
  // The report lists the first rejections only; rejected_total counts them all.
  if (report.rejected_total > 50) lines.push(`  … and ${report.rejected_total - 50} more`);
  return lines.join('\n');
}

run(async () => {
  const [kind, file] = process.argv.slice(2);
  if (!['products', 'categories', 'assignments'].includes(kind ?? '') || !file) {
    throw new Error(USAGE);
  }
  await stat(file).catch(() => {
    throw new Error(`Cannot read ${file}`);
  });

  const { config, database } = await openCliDatabase();
  // Running servers that share Redis must hear about the import, as if it came through the API.
  const cache = new Cache(cacheBackend(config, consoleLog), config.cache.ttlSeconds, consoleLog);
  const services = createServices(database.db, cache);
  const context = { actor: 'cli', source: 'cli' as const };
  try {
    const started = performance.now();
    let report: ImportReport;
    if (kind === 'products') {
      report = await services.imports.importProducts(createReadStream(file), context);
    } else if (kind === 'assignments') {
      report = await services.imports.importAssignments(
        createReadStream(file),
        context,
        shopifyOptions(config),
      );
    } else {
      let document: unknown;
      try {
        document = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
      } catch {
        throw notCategoryList('the file is not valid JSON');
      }
      report = await services.imports.importCategories(document, context);
    }
    console.info(formatReport(report));
    console.info(
      `into ${describeDatabase(config)} in ${((performance.now() - started) / 1000).toFixed(2)} s`,
    );
  } catch (error) {
    if (error instanceof AppError) {
      // The assignment import refuses a file with bad lines as a whole: list them.
      const rejected = error.details.rejected as ImportReport['rejected'] | undefined;
      const lines = (rejected ?? []).slice(0, 50).map((r) => `  line ${r.line}: ${r.reason}`);
      const total = Number(error.details.rejected_total ?? 0);
      if (total > lines.length) lines.push(`  … and ${total - lines.length} more`);
      throw new Error([error.message, ...lines].join('\n'));
    }
    throw error;
  } finally {
    await cache.backend.close();
    await database.close();
  }
});
