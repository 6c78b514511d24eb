/** Shared start-up for the command-line scripts: validated config, migrated database. */
import { loadConfigOrExit, type Config } from '../server/src/config.js';
import { openDatabase, type DatabaseHandle } from '../server/src/db/client.js';

export async function openCliDatabase(): Promise<{
  config: Readonly<Config>;
  database: DatabaseHandle;
}> {
  const config = loadConfigOrExit();
  // Scripts are batch jobs: the API's statement timeout would cut a large import or seed short.
  const database = await openDatabase(
    config.database.driver === 'postgres'
      ? { ...config.database, statementTimeoutMs: 0 }
      : config.database,
  );
  await database.migrate();
  return { config, database };
}

export function describeDatabase(config: Readonly<Config>): string {
  if (config.database.driver === 'pglite') return `embedded PGlite in ${config.database.dataDir}`;
  const url = new URL(config.database.url);
  return `PostgreSQL ${url.host}${url.pathname}`;
}

/** Runs a script's main function and turns failures into a message and exit code 1. */
export function run(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      console.error(`Error: ${message}`);
      process.exit(1);
    },
  );
}

/** A logger for the cache in scripts: warnings to stderr, one line each. */
export const consoleLog = {
  warn: (details: object, message: string) => {
    const error = (details as { err?: Error }).err;
    console.warn(`${message}${error ? `: ${error.message}` : ''}`);
  },
};
