/**
 * The commands of `npm run token` as functions (scripts/token.ts runs them): parse the arguments,
 * then create, list or revoke through the same TokenService the API uses.
 */
import { parseArgs } from 'node:util';
import { TOKEN_ROLES, type ApiToken, type TokenRole } from '@tag-manager/contract';
import { isTokenRole } from '../server/src/features/auth/access.js';
import type { TokenService } from '../server/src/features/auth/tokens.service.js';

export const USAGE = `Usage:
  npm run token -- create --role viewer|editor|admin [--name NAME]
  npm run token -- list
  npm run token -- revoke ID|PREFIX

Roles: viewer reads (GET) the API, editor also writes, admin also manages tokens.
The secret of a new token is printed once; only its hash is stored.`;

/** Wrong arguments: the script prints this with the usage and exits with code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type TokenCommand =
  | { command: 'create'; role: TokenRole; name: string }
  | { command: 'list' }
  | { command: 'revoke'; reference: string }
  | { command: 'help' };

export function parseTokenArguments(args: readonly string[]): TokenCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        role: { type: 'string' },
        name: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === 'help') return { command: 'help' };
  if (command === undefined) throw new UsageError('Name a command: create, list or revoke');

  const refuseOptions = (...names: ('role' | 'name')[]) => {
    const given = names.filter((name) => values[name] !== undefined);
    if (given.length > 0) {
      throw new UsageError(`${command} takes no ${given.map((name) => `--${name}`).join(', ')}`);
    }
  };
  const refuseExtra = (allowed: number) => {
    if (rest.length > allowed) throw new UsageError(`Unexpected argument "${rest[allowed]}"`);
  };

  switch (command) {
    case 'create': {
      refuseExtra(0);
      if (values.role === undefined) {
        throw new UsageError(`create needs --role (${TOKEN_ROLES.join(', ')})`);
      }
      if (!isTokenRole(values.role)) {
        throw new UsageError(
          `--role must be one of ${TOKEN_ROLES.join(', ')} (got "${values.role}")`,
        );
      }
      const name = values.name ?? `${values.role} token`;
      if (name.trim() === '') throw new UsageError('--name must not be empty');
      return { command: 'create', role: values.role, name };
    }
    case 'list':
      refuseOptions('role', 'name');
      refuseExtra(0);
      return { command: 'list' };
    case 'revoke': {
      refuseOptions('role', 'name');
      refuseExtra(1);
      const reference = rest[0];
      if (reference === undefined || reference.trim() === '') {
        throw new UsageError('revoke needs the token id or its 8-character prefix');
      }
      return { command: 'revoke', reference };
    }
    default:
      throw new UsageError(`Unknown command "${command}"`);
  }
}

const CLI_CONTEXT = { actor: 'cli', source: 'cli' as const };

function formatTokens(tokens: ApiToken[]): string {
  if (tokens.length === 0) {
    return 'No tokens yet. Create one with: npm run token -- create --role editor --name NAME';
  }
  const header = ['ID', 'PREFIX', 'ROLE', 'STATUS', 'CREATED', 'LAST USED', 'NAME'];
  const day = (time: string | null) => (time ? time.slice(0, 16).replace('T', ' ') : '-');
  const rows = tokens.map((token) => [
    String(token.id),
    token.prefix,
    token.role,
    token.revoked_at ? `revoked ${day(token.revoked_at)}` : 'active',
    day(token.created_at),
    day(token.last_used_at),
    token.name,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!)))
        .join('  '),
    )
    .join('\n');
}

/** Runs one command; everything it has to say goes through `print`. */
export async function runTokenCommand(
  command: TokenCommand,
  tokens: TokenService,
  print: (text: string) => void,
  options: { cacheSeconds: number } = { cacheSeconds: 30 },
): Promise<void> {
  switch (command.command) {
    case 'help':
      print(USAGE);
      return;
    case 'create': {
      const token = await tokens.create({ name: command.name, role: command.role }, CLI_CONTEXT);
      print(
        [
          `Created token ${token.id} "${token.name}" (${token.role}). Its secret, shown only this once:`,
          '',
          `  ${token.secret}`,
          '',
          'Send it as "Authorization: Bearer <secret>"; the web app asks for it when the API needs it.',
        ].join('\n'),
      );
      return;
    }
    case 'list': {
      const { tokens: listed } = await tokens.list();
      print(formatTokens(listed));
      return;
    }
    case 'revoke': {
      const target = await tokens.resolve(command.reference);
      if (target.revoked_at !== null) {
        print(`Token ${target.id} "${target.name}" was already revoked (${target.revoked_at}).`);
        return;
      }
      const revoked = await tokens.revoke(target.id, CLI_CONTEXT);
      print(
        `Revoked token ${revoked.id} "${revoked.name}" (${revoked.role}, ${revoked.prefix}). ` +
          `Running servers refuse it within AUTH_CACHE_SECONDS (${options.cacheSeconds} s).`,
      );
      return;
    }
  }
}
