/**
 * npm run seed -- --products N [--reset]
 * Writes a deterministic synthetic catalog (about 200 categories, N products, ~60% categorised)
 * into the configured database. Refuses a database that already has data unless --reset.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { cacheBackend } from '../server/src/app.js';
import { Cache } from '../server/src/cache/cache.js';
import { WriteEffects } from '../server/src/cache/namespaces.js';
import { seedCatalog } from '../server/src/features/seed/seeder.js';
import { consoleLog, describeDatabase, openCliDatabase, run } from './cli.js';

run(async () => {
  const { values } = parseArgs({
    options: {
      products: { type: 'string', default: '10000' },
      reset: { type: 'boolean', default: false },
      'batch-size': { type: 'string', default: '5000' },
    },
  });
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
