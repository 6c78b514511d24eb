/**
 * `npm run token`: the argument parser and the commands as functions, then the script itself
 * (through tsx, as npm runs it) against a test database: exit codes 0, 1 and 2.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, queryOne, queryRows, type DatabaseHandle } from '../server/src/db/client.js';
import { hashToken, TOKEN_PATTERN } from '../server/src/features/auth/access.js';
import { TokenService } from '../server/src/features/auth/tokens.service.js';
import {
  createTestDatabase,
  databaseUrl,
  dropTestDatabase,
} from '../server/test/helpers/postgres.js';
import { parseTokenArguments, runTokenCommand, UsageError } from './token-commands.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

let name: string;
let database: DatabaseHandle;
let tokens: TokenService;

beforeAll(async () => {
  name = await createTestDatabase();
  database = await openDatabase({
    driver: 'postgres',
    url: databaseUrl(name),
    poolSize: 2,
    connectionTimeoutMs: 10_000,
    idleTimeoutMs: 10_000,
    maxLifetimeSeconds: 3600,
    statementTimeoutMs: 60_000,
  });
  tokens = new TokenService(database.db, { cacheSeconds: 0 });
});

afterAll(async () => {
  await database?.close();
  if (name) await dropTestDatabase(name);
});

/** Runs a command and returns what it printed. */
async function run(args: string[]): Promise<string> {
  const printed: string[] = [];
  await runTokenCommand(parseTokenArguments(args), tokens, (text) => printed.push(text));
  return printed.join('\n');
}

describe('parseTokenArguments', () => {
  it.each([
    [
      ['create', '--role', 'editor', '--name', 'ci'],
      { command: 'create', role: 'editor', name: 'ci' },
    ],
    [['create', '--role=admin'], { command: 'create', role: 'admin', name: 'admin token' }],
    [['list'], { command: 'list' }],
    [['revoke', '12'], { command: 'revoke', reference: '12' }],
    [['revoke', 'tm_AbCdE'], { command: 'revoke', reference: 'tm_AbCdE' }],
    [['--help'], { command: 'help' }],
    [['help'], { command: 'help' }],
  ])('%j → %j', (args, expected) => {
    expect(parseTokenArguments(args)).toEqual(expected);
  });

  it.each([
    [[], /Name a command/],
    [['make'], /Unknown command "make"/],
    [['create'], /create needs --role/],
    [['create', '--role', 'owner'], /--role must be one of viewer, editor, admin/],
    [['create', '--role', 'viewer', '--name', '  '], /--name must not be empty/],
    [['create', '--role', 'viewer', 'extra'], /Unexpected argument "extra"/],
    [['create', '--role'], /--role/],
    [['create', '--role', 'viewer', '--colour', 'red'], /--colour/],
    [['list', '--role', 'viewer'], /list takes no --role/],
    [['revoke'], /revoke needs the token id/],
    [['revoke', '1', '2'], /Unexpected argument "2"/],
  ])('%j is a usage error (%s)', (args, message) => {
    expect(() => parseTokenArguments(args)).toThrow(UsageError);
    expect(() => parseTokenArguments(args)).toThrow(message);
  });
});

describe('the commands', () => {
  it('create prints the secret once and stores only its hash', async () => {
    const output = await run(['create', '--role', 'editor', '--name', 'ci']);
    const secret = /^ {2}(tm_\S+)$/m.exec(output)?.[1];
    expect(secret).toMatch(TOKEN_PATTERN);
    expect(output).toMatch(/Created token \d+ "ci" \(editor\)/);
    const row = await queryOne<{ name: string; role: string; token_hash: string; all: string }>(
      database.db,
      sql`select name, role, token_hash, t::text as all from api_tokens t order by id desc limit 1`,
    );
    expect(row).toMatchObject({ name: 'ci', role: 'editor', token_hash: hashToken(secret!) });
    expect(row!.all).not.toContain(secret!.slice(8));
    const change = await queryOne<{ actor: string; source: string; kind: string }>(
      database.db,
      sql`select actor, source, kind from change_sets order by id desc limit 1`,
    );
    expect(change).toEqual({ actor: 'cli', source: 'cli', kind: 'token.create' });
  });

  it('list shows every token without secrets; revoke by prefix or id', async () => {
    const created = await tokens.create(
      { name: 'dashboard', role: 'viewer' },
      { actor: 'test', source: 'system' },
    );
    let listing = await run(['list']);
    expect(listing.split('\n')[0]).toMatch(/^ID +PREFIX +ROLE +STATUS +CREATED +LAST USED +NAME$/);
    expect(listing).toMatch(
      new RegExp(`^${created.id} +${created.prefix} +viewer +active .*dashboard$`, 'm'),
    );
    expect(listing).not.toContain(created.secret);

    const revoked = await run(['revoke', created.prefix]);
    expect(revoked).toContain(`Revoked token ${created.id} "dashboard"`);
    expect(revoked).toContain('within AUTH_CACHE_SECONDS');
    expect(await tokens.authenticate(created.secret)).toEqual({
      ok: false,
      reason: 'revoked_token',
    });
    listing = await run(['list']);
    expect(listing).toMatch(new RegExp(`^${created.id} +${created.prefix} +viewer +revoked `, 'm'));

    expect(await run(['revoke', String(created.id)])).toContain('was already revoked');
  });

  it('revoke of an unknown token fails with a message', async () => {
    await expect(run(['revoke', '424242'])).rejects.toMatchObject({
      statusCode: 404,
      message: 'token "424242" not found',
    });
  });
});

function script(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      'node_modules/.bin/tsx',
      ['scripts/token.ts', ...args],
      {
        cwd: ROOT,
        env: { ...process.env, DATABASE_URL: databaseUrl(name), LOG_LEVEL: 'silent', ...env },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run token (the script)', () => {
  it('exits 2 with the usage for wrong arguments, before touching any database', async () => {
    const result = await script(['create', '--role', 'root'], { DATABASE_URL: 'mysql://nowhere' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Error: --role must be one of viewer, editor, admin');
    expect(result.stderr).toContain('Usage:');
    expect(result.stdout).toBe('');
  });

  it('creates, lists and revokes against DATABASE_URL; a failure exits 1', async () => {
    const created = await script(['create', '--role', 'admin', '--name', 'from the script']);
    expect(created.code, created.stderr).toBe(0);
    const secret = /^ {2}(tm_\S+)$/m.exec(created.stdout)?.[1];
    expect(secret).toMatch(TOKEN_PATTERN);
    const [row] = await queryRows<{ id: number; token_prefix: string }>(
      database.db,
      sql`select id, token_prefix from api_tokens where token_hash = ${hashToken(secret!)}`,
    );
    expect(row).toBeDefined();

    const listed = await script(['list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('from the script');

    const revoked = await script(['revoke', row!.token_prefix]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked token ${row!.id}`);

    const missing = await script(['revoke', '987654']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('Error: token "987654" not found');
  });
});
