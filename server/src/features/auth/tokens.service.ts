/**
 * API tokens: create (the secret is returned once), list, revoke, and the check every request
 * makes in AUTH_MODE=token.
 *
 * Verified tokens are remembered in memory for `cacheSeconds` (AUTH_CACHE_SECONDS, default 30),
 * so a busy client does not cost a query per request. A revocation evicts the token at once on
 * the instance that made it; every other instance (and a server whose token a CLI revoked)
 * stops accepting it within `cacheSeconds`.
 *
 * Refusals are remembered too, by hash, for NEGATIVE_CACHE_MS (10 s, at most 10,000 hashes), so a
 * flood of bad tokens does not cost a query each. A revoked token never comes back, so caching
 * it changes nothing. An unknown secret could only become valid if a token with exactly that
 * secret were created afterwards: creating a token evicts its hash here at once, and on another
 * instance it would be refused for at most 10 s only if someone had presented that exact secret
 * in the 10 s before its creation, which with 256 random bits does not happen in practice.
 */
import type { ApiToken, CreatedApiToken, TokenRole } from '@tag-manager/contract';
import { TOKEN_NAME_MAX_LENGTH } from '@tag-manager/contract';
import { LRUCache } from 'lru-cache';
import type { Executor } from '../../db/client.js';
import { noChangeNotifier } from '../../cache/namespaces.js';
import { AppError, invalidField, notFound } from '../../errors.js';
import { applyChange, type ChangeTarget } from '../changes/apply-change.js';
import type { WriteContext } from '../changes/changes.repository.js';
import {
  generateToken,
  hashToken,
  isTokenRole,
  TOKEN_PATTERN,
  TOKEN_PREFIX_LENGTH,
  tokenPrefix,
} from './access.js';
import {
  findTokenByHash,
  findTokenById,
  findTokensByPrefix,
  findTokensOfUntrustedOrigin,
  insertToken,
  listTokens,
  revokeToken,
  touchToken,
  type TokenRow,
  type UntrustedOrigin,
} from './tokens.repository.js';

/** Who a verified request acts as. */
export interface AuthenticatedToken {
  id: number;
  name: string;
  role: TokenRole;
  prefix: string;
}

export type Authentication =
  | { ok: true; token: AuthenticatedToken }
  | { ok: false; reason: 'invalid_token' | 'revoked_token' };

export interface TokenServiceOptions {
  /** Seconds a verified token is trusted without the database; 0 asks it on every request. */
  cacheSeconds?: number;
  /** Tokens remembered at most (least recently used ones are dropped first). */
  cacheEntries?: number;
  /** Milliseconds a refusal (unknown or revoked hash) is remembered; 0 turns it off. */
  negativeCacheMs?: number;
  /** Reports a failure that must not fail the request (recording a token's last use). */
  warn?: (error: unknown, message: string) => void;
  /**
   * The clock (epoch ms) for the caches' lifetimes and the last-use pace; tests pass their own to
   * move time on without waiting. By default the caches use `performance.now()` and the pace
   * `Date.now()`.
   */
  now?: () => number;
}

/** How long a refused hash is remembered (see the top of this file). */
export const NEGATIVE_CACHE_MS = 10_000;
const NEGATIVE_CACHE_ENTRIES = 10_000;

/** `last_used_at` is written at most this often per token. */
export const LAST_USED_RESOLUTION_MS = 60_000;

interface CachedToken {
  token: AuthenticatedToken;
  /** When this process last recorded (or saw recorded) a use, epoch ms. */
  lastUsedMs: number;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function toApiToken(row: TokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.token_prefix,
    created_at: row.created_at,
    last_used_at: row.last_used_at,
    revoked_at: row.revoked_at,
  };
}

export function cleanTokenName(raw: string): string {
  if (CONTROL_CHARACTERS.test(raw))
    throw invalidField('name', 'must not contain control characters');
  const name = raw.trim().replace(/\s+/g, ' ');
  if (name.length === 0) throw invalidField('name', 'must not be empty');
  if ([...name].length > TOKEN_NAME_MAX_LENGTH) {
    throw invalidField('name', `must be at most ${TOKEN_NAME_MAX_LENGTH} characters`);
  }
  return name;
}

export class TokenService {
  private readonly cache: LRUCache<string, CachedToken> | undefined;
  private readonly refused: LRUCache<string, 'invalid_token' | 'revoked_token'> | undefined;
  private readonly warn: (error: unknown, message: string) => void;
  private readonly now: () => number;
  /** Tokens are not cached reads: their writes bump no namespace. */
  private readonly target: ChangeTarget;

  constructor(
    private readonly db: Executor,
    options: TokenServiceOptions = {},
  ) {
    this.target = { db, notifier: noChangeNotifier };
    const seconds = options.cacheSeconds ?? 30;
    // An injected clock is read on every check (ttlResolution 0: no reading kept for 1 ms).
    const clock = options.now ? { perf: { now: options.now }, ttlResolution: 0 } : {};
    this.cache =
      seconds > 0
        ? new LRUCache({ max: options.cacheEntries ?? 10_000, ttl: seconds * 1000, ...clock })
        : undefined;
    const negativeMs = options.negativeCacheMs ?? NEGATIVE_CACHE_MS;
    this.refused =
      negativeMs > 0
        ? new LRUCache({ max: NEGATIVE_CACHE_ENTRIES, ttl: negativeMs, ...clock })
        : undefined;
    this.warn = options.warn ?? (() => {});
    this.now = options.now ?? (() => Date.now());
  }

  async list(): Promise<{
    tokens: ApiToken[];
    metadata: { total_tokens: number; active_tokens: number };
  }> {
    const tokens = (await listTokens(this.db)).map(toApiToken);
    return {
      tokens,
      metadata: {
        total_tokens: tokens.length,
        active_tokens: tokens.filter((token) => token.revoked_at === null).length,
      },
    };
  }

  async create(
    input: { name: string; role: string },
    context: WriteContext,
  ): Promise<CreatedApiToken> {
    const name = cleanTokenName(input.name);
    if (!isTokenRole(input.role)) {
      throw invalidField('role', 'must be one of ["viewer","editor","admin"]');
    }
    const role = input.role;
    const secret = generateToken();
    const tokenHash = hashToken(secret);
    const row = await applyChange(this.target, 'token.create', context, async (transaction) => {
      const inserted = await insertToken(transaction, {
        name,
        role,
        tokenHash,
        tokenPrefix: tokenPrefix(secret),
      });
      return {
        result: inserted,
        change: {
          productIds: [],
          categoryIds: [],
          before: null,
          after: { id: inserted.id, name, role, prefix: inserted.token_prefix },
        },
      };
    });
    // Had someone presented this very secret before, its refusal must not outlive the token.
    this.refused?.delete(tokenHash);
    return { ...toApiToken(row), secret };
  }

  /**
   * Active tokens anyone may have created: through the open API (AUTH_MODE=none), or with no
   * creation in the change log. Token mode lists them at start-up (main.ts).
   */
  async untrustedTokens(): Promise<(ApiToken & { origin: UntrustedOrigin })[]> {
    const rows = await findTokensOfUntrustedOrigin(this.db);
    return rows.map((row) => ({ ...toApiToken(row), origin: row.origin }));
  }

  /** Revokes a token; revoking it again changes nothing and answers the same. */
  async revoke(id: number, context: WriteContext): Promise<ApiToken> {
    const { row, hash } = await applyChange<'token.revoke', { row: TokenRow; hash?: string }>(
      this.target,
      'token.revoke',
      context,
      async (transaction) => {
        const current = await findTokenById(transaction, id, { forUpdate: true });
        if (!current) throw notFound('token', id);
        if (current.revoked_at !== null) {
          return { result: { row: current, hash: undefined }, change: null };
        }
        const revoked = (await revokeToken(transaction, id))!;
        return {
          result: { row: revoked, hash: revoked.token_hash },
          change: {
            productIds: [],
            categoryIds: [],
            before: { id, name: current.name, role: current.role, prefix: current.token_prefix },
            after: { revoked_at: revoked.revoked_at },
          },
        };
      },
    );
    if (hash) {
      this.cache?.delete(hash);
      this.refused?.set(hash, 'revoked_token');
    }
    return toApiToken(row);
  }

  /**
   * The token a command-line reference names: its id, its 8-character prefix, or the secret
   * itself (handy for a leaked token).
   */
  async resolve(reference: string): Promise<ApiToken> {
    const text = reference.trim();
    let row: TokenRow | undefined;
    if (/^\d{1,10}$/.test(text)) {
      row = await findTokenById(this.db, Number(text));
    } else if (TOKEN_PATTERN.test(text)) {
      row = await findTokenByHash(this.db, hashToken(text));
    } else if (text.length === TOKEN_PREFIX_LENGTH) {
      const rows = await findTokensByPrefix(this.db, text);
      if (rows.length > 1) {
        throw new AppError(
          409,
          'CONFLICT',
          `${rows.length} tokens start with "${text}" (ids ${rows.map((match) => match.id).join(', ')}); name one by its id`,
          { reason: 'ambiguous_prefix', ids: rows.map((match) => match.id) },
        );
      }
      row = rows[0];
    } else {
      throw invalidField(
        'token',
        `"${text}" is neither a token id nor a ${TOKEN_PREFIX_LENGTH}-character token prefix`,
      );
    }
    if (!row) throw notFound('token', text);
    return toApiToken(row);
  }

  /** Checks a presented secret: unknown, revoked, or the token it belongs to. */
  async authenticate(secret: string, now = this.now()): Promise<Authentication> {
    if (!TOKEN_PATTERN.test(secret)) return { ok: false, reason: 'invalid_token' };
    const hash = hashToken(secret);
    let entry = this.cache?.get(hash);
    if (!entry) {
      const known = this.refused?.get(hash);
      if (known) return { ok: false, reason: known };
      const row = await findTokenByHash(this.db, hash);
      if (!row || row.revoked_at !== null) {
        const reason = row ? 'revoked_token' : 'invalid_token';
        this.refused?.set(hash, reason);
        return { ok: false, reason };
      }
      entry = {
        token: { id: row.id, name: row.name, role: row.role, prefix: row.token_prefix },
        lastUsedMs: row.last_used_ms ?? 0,
      };
      this.cache?.set(hash, entry);
    }
    if (now - entry.lastUsedMs >= LAST_USED_RESOLUTION_MS) {
      entry.lastUsedMs = now;
      await touchToken(this.db, entry.token.id).catch((error: unknown) =>
        this.warn(error, 'could not record the last use of an API token'),
      );
    }
    return { ok: true, token: entry.token };
  }
}
