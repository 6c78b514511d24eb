/** Process entry: config → database (migrated, seeded when new) → app → listen → graceful shutdown. */
import { loadConfigOrExit } from './config.js';
import { openDatabase } from './db/client.js';

async function main() {
  const config = loadConfigOrExit();
  // The database opens while this thread loads the app's modules: the embedded one loads and
  // compiles PGlite in its own thread meanwhile, so on two cores the two overlap
  // (docs/performance-memory.md). The opening is awaited right after, its error thrown there.
  const opening = openDatabase(config.database);
  opening.catch(() => {});
  const [{ buildApp }, { isLoopbackHost }, { isCatalogEmpty, seedCatalog }] = await Promise.all([
    import('./app.js'),
    import('./features/auth/access.js'),
    import('./features/seed/seeder.js'),
  ]);
  const database = await opening;
  await database.migrate();
  let seededNow: string | undefined;
  if (
    config.database.driver === 'pglite' &&
    config.seedProductsOnEmpty > 0 &&
    (await isCatalogEmpty(database.db))
  ) {
    console.info(
      `Empty database: creating a SAMPLE catalog of ${config.seedProductsOnEmpty} synthetic products…`,
    );
    const seeded = await seedCatalog(database, { products: config.seedProductsOnEmpty });
    seededNow = `seeded now, in ${seeded.seconds.toFixed(1)} s`;
  }

  const app = await buildApp(config, { database });
  // Graceful shutdown: stop listening, let the requests in flight finish (a request arriving on
  // an open keep-alive connection meanwhile gets a 503), close Redis (the cache's onClose hook)
  // and the pool, exit 0. After SHUTDOWN_TIMEOUT_MS, or on a second signal, exit 1 regardless.
  let stopping = false;
  const exit = (code: number) => {
    const flush = (app.log as { flush?: (done: () => void) => void }).flush;
    if (!flush) process.exit(code);
    flush.call(app.log, () => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
  };
  const shutdown = async (signal: NodeJS.Signals) => {
    if (stopping) {
      app.log.warn({ signal }, 'second signal while shutting down: exiting now');
      return exit(1);
    }
    stopping = true;
    const started = performance.now();
    app.log.info(
      { signal, timeout_ms: config.shutdownTimeoutMs },
      'shutting down: no new connections, finishing the requests in flight',
    );
    const timer = setTimeout(() => {
      app.log.error(
        { signal, timeout_ms: config.shutdownTimeoutMs },
        'shutdown timed out with requests still in flight: exiting',
      );
      exit(1);
    }, config.shutdownTimeoutMs);
    timer.unref();
    try {
      await app.close();
      await database.close();
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      return exit(1);
    }
    app.log.info({ ms: Math.round(performance.now() - started) }, 'shut down');
    exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (config.auth.mode === 'none' && !isLoopbackHost(config.host)) {
    app.log.warn(
      { host: config.host, auth_mode: config.auth.mode },
      `HOST=${config.host} opens the API to the network WITHOUT access control (AUTH_MODE=none): anyone who can reach it can change the catalog. Set AUTH_MODE=token and create tokens with "npm run token -- create --role admin", or bind HOST=127.0.0.1.`,
    );
  }
  if (config.auth.mode === 'token') {
    // Tokens the open API made (AUTH_MODE=none) may have been made by anyone who could reach it.
    const untrusted = await app.tokens.untrustedTokens();
    if (untrusted.length > 0) {
      app.log.warn(
        {
          tokens: untrusted.map(({ id, name, role, prefix, created_at, origin }) => ({
            id,
            name,
            role,
            prefix,
            created_at,
            origin,
          })),
        },
        `${untrusted.length} active API token(s) were created while the API was open (AUTH_MODE=none), or their creation is not in the change log: anyone who could reach the API then may hold them. Check each one and revoke those you do not know: "npm run token -- list", "npm run token -- revoke <id>".`,
      );
    }
  }
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  console.info(
    `\nTag Manager is running at http://${host}:${port}/  (API docs: http://${host}:${port}/docs)\n`,
  );
  // After the address, where a newcomer looks: what they see is sample data, and how to be rid of it.
  const sample = await app.services.sampleData.counts();
  if (sample.sample_products + sample.sample_categories > 0) {
    console.info(
      [
        `SAMPLE DATA: ${sample.sample_products.toLocaleString('en')} synthetic products and ${sample.sample_categories} categories (${seededNow ?? 'seeded on an earlier start'}) are there so there is something to look at. They are not your store's data.`,
        `  Remove them: "Remove sample data" in the web app's banner (admin), or stop the server and run "npm run seed -- --remove".`,
        `  Skip them on an empty database: SEED_PRODUCTS_ON_EMPTY=0 npm start`,
        '',
      ].join('\n'),
    );
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
