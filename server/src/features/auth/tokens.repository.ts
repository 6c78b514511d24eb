/** Every query on the api_tokens table. The secret itself never reaches the database. */
import { sql } from 'drizzle-orm';
import type { TokenRole } from '@tag-manager/contract';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { isoTime } from '../../db/sql.js';

export interface TokenRow {
  id: number;
  name: string;
  role: TokenRole;
  token_prefix: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

const columns = sql`id, name, role, token_prefix, ${isoTime(sql`created_at`)} as created_at,
  case when last_used_at is null then null else ${isoTime(sql`last_used_at`)} end as last_used_at,
  case when revoked_at is null then null else ${isoTime(sql`revoked_at`)} end as revoked_at`;

export async function insertToken(
  executor: Executor,
  values: { name: string; role: TokenRole; tokenHash: string; tokenPrefix: string },
): Promise<TokenRow> {
  const row = await queryOne<TokenRow>(
    executor,
    sql`insert into api_tokens (name, role, token_hash, token_prefix)
        values (${values.name}, ${values.role}, ${values.tokenHash}, ${values.tokenPrefix})
        returning ${columns}`,
  );
  return row!;
}

export function listTokens(executor: Executor): Promise<TokenRow[]> {
  return queryRows<TokenRow>(executor, sql`select ${columns} from api_tokens order by id`);
}

/** The token with this hash, with its last use in epoch milliseconds (for the throttle). */
export function findTokenByHash(
  executor: Executor,
  tokenHash: string,
): Promise<(TokenRow & { last_used_ms: number | null }) | undefined> {
  return queryOne(
    executor,
    sql`select ${columns}, (extract(epoch from last_used_at) * 1000)::float8 as last_used_ms
          from api_tokens where token_hash = ${tokenHash}`,
  );
}

export function findTokenById(
  executor: Executor,
  id: number,
  options: { forUpdate?: boolean } = {},
): Promise<TokenRow | undefined> {
  return queryOne<TokenRow>(
    executor,
    sql`select ${columns} from api_tokens where id = ${id}
        ${options.forUpdate ? sql`for update` : sql``}`,
  );
}

export function findTokensByPrefix(executor: Executor, prefix: string): Promise<TokenRow[]> {
  return queryRows<TokenRow>(
    executor,
    sql`select ${columns} from api_tokens where token_prefix = ${prefix} order by id`,
  );
}

/** Marks the token revoked; returns its row and hash (so caches can forget it). */
export function revokeToken(
  executor: Executor,
  id: number,
): Promise<(TokenRow & { token_hash: string }) | undefined> {
  return queryOne(
    executor,
    sql`update api_tokens set revoked_at = now() where id = ${id} and revoked_at is null
        returning ${columns}, token_hash`,
  );
}

/**
 * Records a use. The condition keeps it to one write a minute per token even when several
 * instances see the same token at once.
 */
export async function touchToken(executor: Executor, id: number): Promise<void> {
  await executor.execute(
    sql`update api_tokens set last_used_at = now()
         where id = ${id} and (last_used_at is null or last_used_at < now() - interval '1 minute')`,
  );
}

/** Where the change log says an active token came from, when that was not a trusted path. */
export type UntrustedOrigin = 'open_api' | 'unrecorded';

/**
 * Active tokens that were created through the API while it was open (AUTH_MODE=none: the change
 * log's actor is `api`, not a token, so anyone who could reach it may have made them), or whose
 * creation the change log does not show at all. The change set is written in the token's own
 * transaction, so its created_at equals the token's (and that column is indexed).
 */
export function findTokensOfUntrustedOrigin(
  executor: Executor,
): Promise<(TokenRow & { origin: UntrustedOrigin })[]> {
  return queryRows(
    executor,
    sql`select ${columns},
               case when creation.source is null then 'unrecorded' else 'open_api' end as origin
          from api_tokens
          left join lateral (
            select change.source, change.actor
              from change_sets change
             where change.created_at = api_tokens.created_at
               and change.kind = 'token.create'
               and change.after ->> 'id' = api_tokens.id::text
             limit 1
          ) creation on true
         where revoked_at is null
           and (creation.source is null or (creation.source = 'api' and creation.actor = 'api'))
         order by id`,
  );
}
