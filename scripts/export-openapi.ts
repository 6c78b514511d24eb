/**
 * npm run openapi [-- FILE] — writes the OpenAPI document generated from the contract: the one
 * /openapi.json serves with the default settings. `npm run lint:openapi` lints it (Redocly).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildApp } from '../server/src/app.js';
import { loadConfig } from '../server/src/config.js';
import { openDatabase } from '../server/src/db/client.js';
import { run } from './cli.js';

run(async () => {
  const database = await openDatabase({ driver: 'pglite', dataDir: 'memory://' });
  const app = await buildApp(loadConfig({ LOG_LEVEL: 'silent' }), { database });
  const document = `${JSON.stringify(app.swagger(), null, 2)}\n`;
  const file = process.argv[2];
  if (file) {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, document);
  } else process.stdout.write(document);
  await app.close();
  await database.close();
});
