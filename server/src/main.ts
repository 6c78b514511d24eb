/** Process entry: config → database (migrated, seeded when new) → app → listen → graceful shutdown. */
import { buildApp } from './app.js';
import { loadConfigOrExit } from './config.js';
import { openDatabase } from './db/client.js';
import { isCatalogEmpty, seedCatalog } from './features/seed/seeder.js';

const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main() {
  const config = loadConfigOrExit();
  const database = await openDatabase(config.database);
  await database.migrate();
  if (
    config.database.driver === 'pglite' &&
    config.seedProductsOnEmpty > 0 &&
    (await isCatalogEmpty(database.db))
  ) {
    console.info(
      `Empty database: creating a sample catalog of ${config.seedProductsOnEmpty} products…`,
    );
    const seeded = await seedCatalog(database, { products: config.seedProductsOnEmpty });
    console.info(
      `Sample catalog ready (${seeded.categories} categories, ${seeded.products} products) in ${seeded.seconds.toFixed(1)} s`,
    );
  }

  const app = await buildApp(config, { database });
  const shutdown = async (signal: string) => {
    app.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => process.exit(1), SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    await app.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  console.info(
    `\nTag Manager is running at http://${host}:${port}/  (API docs: http://${host}:${port}/docs)\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
