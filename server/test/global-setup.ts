/** Creates the migrated template database that every PostgreSQL test file clones. */
import { openDatabase } from '../src/db/client.js';
import { databaseUrl, TEMPLATE_DATABASE, withAdmin } from './helpers/postgres.js';

export default async function setup() {
  await withAdmin(async (client) => {
    await client.query(`drop database if exists ${TEMPLATE_DATABASE} with (force)`);
    await client.query(`create database ${TEMPLATE_DATABASE}`);
  });
  const database = await openDatabase({
    driver: 'postgres',
    url: databaseUrl(TEMPLATE_DATABASE),
    poolSize: 2,
    connectionTimeoutMs: 10_000,
    idleTimeoutMs: 1000,
    maxLifetimeSeconds: 60,
    statementTimeoutMs: 60_000,
  });
  await database.migrate();
  await database.close();
}
