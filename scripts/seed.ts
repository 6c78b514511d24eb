/**
 * npm run seed -- --products N [--reset]
 * Writes a deterministic synthetic catalog (about 200 categories, N products, ~60% categorised)
 * into the configured database, marked as sample data. Refuses a database that already has data
 * unless --reset.
 *
 * npm run seed -- --remove
 * Removes the sample data (what DELETE /api/sample-data does, recorded as one change set) and
 * leaves real data as it is.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { cacheBackend } from '../server/src/app.js';
import { Cache } from '../server/src/cache/cache.js';
import { WriteEffects } from '../server/src/cache/namespaces.js';
import { seedCatalog } from '../server/src/features/seed/seeder.js';
import { createServices } from '../server/src/services.js';
import { consoleLog, describeDatabase, openCliDatabase, run } from './cli.js';

run(async () => {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '10000' },
      reset: { type: 'boolean', default: false },
      'batch-size': { type: 'string', default: '5000' },
      remove: { type: 'boolean', default: false },
    },
  });
  if (values.remove) return removeSampleData();
  const products = Number(values.products);
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(products) || products < 0 || products > 50_000_000) {
    throw new Error('--products must be an integer between 0 and 50,000,000');
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new Error('--batch-size must be an integer between 1 and 100,000');
  }

  const { config, database } = await openCliDatabase();
  console.info(
    `Seeding ${products.toLocaleString('en')} products into ${describeDatabase(config)}`,
  );
  const bar = new cliProgress.SingleBar(
    {
      format: '  {bar} {percentage}% | {value}/{total} products | {eta_formatted} left',
      etaBuffer: 20,
      noTTYOutput: true,
      notTTYSchedule: 5000,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(products, 0);
  try {
    const result = await seedCatalog(database, {
      products,
      reset: values.reset,
      batchSize,
      onProgress: (done) => bar.update(done),
    });
    bar.stop();
    // Servers sharing Redis must not keep serving the catalog that was there before.
    const cache = new Cache(cacheBackend(config, consoleLog), config.cache.ttlSeconds, consoleLog);
    await cache.changed(WriteEffects.everything());
    await cache.backend.close();
    console.info(
      `Seeded ${result.categories} categories, ${result.products.toLocaleString('en')} products and ${result.assignments.toLocaleString('en')} assignments in ${result.seconds.toFixed(1)} s (${Math.round(result.products / result.seconds).toLocaleString('en')} products/s).`,
    );
  } finally {
    bar.stop();
    await database.close();
  }
});

/** `--remove`: the sample data goes, through the same service as DELETE /api/sample-data. */
async function removeSampleData() {
  const { config, database } = await openCliDatabase();
  // Running servers that share Redis must hear about it, as if it came through the API.
  const cache = new Cache(cacheBackend(config, consoleLog), config.cache.ttlSeconds, consoleLog);
  try {
    const result = await createServices(database.db, cache).sampleData.remove({
      actor: 'cli',
      source: 'cli',
    });
    if (result.removed_products + result.removed_categories + result.kept_categories.length === 0) {
      console.info(`No sample data in ${describeDatabase(config)}: nothing to remove.`);
      return;
    }
    console.info(
      `Removed ${result.removed_products.toLocaleString('en')} sample products, ${result.removed_categories} sample categories and ${result.removed_assignments.toLocaleString('en')} assignments from ${describeDatabase(config)}.`,
    );
    if (result.kept_categories.length > 0) {
      console.info(
        `Kept ${result.kept_categories.length} sample categories that real data uses (now real): ${result.kept_categories.map((category) => category.name).join(', ')}`,
      );
    }
    console.info(
      `Left: ${result.remaining.real_products.toLocaleString('en')} products, ${result.remaining.real_categories} categories.`,
    );
  } finally {
    await cache.backend.close();
    await database.close();
  }
}
