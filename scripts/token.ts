/**
 * npm run token -- create --role viewer|editor|admin [--name NAME]
 * npm run token -- list
 * npm run token -- revoke ID|PREFIX
 *
 * Manages the API tokens of the configured database (DATABASE_URL, or the embedded one in
 * DATA_DIR — stop the server first in embedded mode: PGlite serves one process at a time).
 * Wrong arguments print the usage and exit with code 2; other failures exit with code 1.
 */
import { AppError } from '../server/src/errors.js';
import { TokenService } from '../server/src/features/auth/tokens.service.js';
import { openCliDatabase, run } from './cli.js';
import { parseTokenArguments, runTokenCommand, USAGE, UsageError } from './token-commands.js';

let command;
try {
  command = parseTokenArguments(process.argv.slice(2));
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`Error: ${error.message}\n\n${USAGE}`);
  process.exit(2);
}

run(async () => {
  if (command.command === 'help') {
    console.info(USAGE);
    return;
  }
  const { config, database } = await openCliDatabase();
  try {
    await runTokenCommand(
      command,
      new TokenService(database.db, { cacheSeconds: 0 }),
      (text) => console.info(text),
      { cacheSeconds: config.auth.cacheSeconds },
    );
  } catch (error) {
    if (error instanceof AppError) throw new Error(error.message);
    throw error;
  } finally {
    await database.close();
  }
});
