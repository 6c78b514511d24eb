/**
 * npm run import -- products FILE.csv
 * npm run import -- categories FILE.json
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
import { createServices } from '../server/src/services.js';
import { consoleLog, describeDatabase, openCliDatabase, run } from './cli.js';

const USAGE = 'Usage: npm run import -- products FILE.csv | categories FILE.json';

export function formatReport(report: ImportReport): string {
  const lines = [
    `${report.kind}: ${report.records} read — ${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged, ${report.rejected_total} rejected`,
  ];
  for (const rejection of report.rejected.slice(0, 50)) {
    lines.push(
      `  ${report.kind === 'products' ? 'line' : 'entry'} ${rejection.line}: ${rejection.reason}`,
    );
  }
  // The report lists the first rejections only; rejected_total counts them all.
  if (report.rejected_total > 50) lines.push(`  … and ${report.rejected_total - 50} more`);
  return lines.join('\n');
}

run(async () => {
  const [kind, file] = process.argv.slice(2);
  if ((kind !== 'products' && kind !== 'categories') || !file) throw new Error(USAGE);
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
    if (error instanceof AppError) throw new Error(error.message);
    throw error;
  } finally {
    await cache.backend.close();
    await database.close();
  }
});
