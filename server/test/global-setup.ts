/**
 * Creates the migrated template database that every PostgreSQL test file of this run clones.
 * Its name is unique per run, so two runs on one machine never drop each other's template.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/client.js';
import { databaseUrl, withAdmin } from './helpers/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject) {
  const template = `tag_manager_template_${randomBytes(4).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${template}`));
  const database = await openDatabase({
    driver: 'postgres',
    url: databaseUrl(template),
    poolSize: 2,
    connectionTimeoutMs: 10_000,
    idleTimeoutMs: 1000,
    maxLifetimeSeconds: 60,
    statementTimeoutMs: 60_000,
  });
  await database.migrate();
  await database.close();
  project.provide('templateDatabase', template);

  return async () => {
    await withAdmin((client) => client.query(`drop database if exists ${template} with (force)`));
  };
}
