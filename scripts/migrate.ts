/** npm run db:migrate — applies the committed SQL migrations (the app also does this at start). */
import { describeDatabase, openCliDatabase, run } from './cli.js';

run(async () => {
  const { config, database } = await openCliDatabase();
  console.info(`Migrations applied to ${describeDatabase(config)}.`);
  await database.close();
});
