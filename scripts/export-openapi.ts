/** npm run openapi [-- FILE] — writes the OpenAPI document generated from the contract. */
import { writeFile } from 'node:fs/promises';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { openDatabase } from '../server/src/db/client.js';
import { run } from './cli.js';

run(async () => {
  const database = await openDatabase({ driver: 'pglite', dataDir: 'memory://' });
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database });
  const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  const file = process.argv[2];
  if (file) await writeFile(file, document);
  else process.stdout.write(document);
  await app.close();
  await database.close();
});
