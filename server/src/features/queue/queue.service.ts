/**
 * The work queue: the next product of a filter after a position, leased to the operator who
 * asked, with the count left and who else is working on the same queue. Nothing here writes
 * the catalog: assignments go through the assignment routes, and the walk re-reads the filter
 * on every call, so a product categorised meanwhile (by anyone) simply no longer comes up.
 */
import type { QueueNext, QueueQuery } from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { invalidField } from '../../errors.js';
import { filtersFingerprint } from '../products/cursor.js';
import { productFilters } from '../products/filters.js';
import type { ProductService } from '../products/products.service.js';
import {
  claim,
  heldBy,
  nextCandidate,
  othersOnQueue,
  release,
  type Holder,
  type QueuePosition,
} from './queue.repository.js';

/** Claims lost to another operator in a row before giving up (each loss moves one product on). */
const MAX_CLAIM_ATTEMPTS = 20;

export interface Caller {
  /** The client-generated session id (`operator`); null: the caller itself is the operator. */
  operator: string | null;
  /** The client's address: who the operator is without a session id or token. */
  address: string;
  /** The token's name in token mode, else null. */
  tokenName: string | null;
  /** The token's id in token mode: leases are per token and session. */
  tokenId: number | null;
}

export class QueueService {
  constructor(
    private readonly db: Executor,
    private readonly products: ProductService,
    private readonly leaseSeconds: number,
  ) {}

  async next(query: QueueQuery, caller: Caller): Promise<QueueNext> {
    const { after, ...filterQuery } = query;
    // productFilters picks the filter fields (the operator is not one).
    const filters = productFilters(filterQuery);
    const queueKey = filtersFingerprint(filters);
    const position = after === undefined ? undefined : decodeQueueCursor(after, queueKey);
    const holder = holderOf(caller, queueKey);

    const held = await heldBy(this.db, holder.operator, filters);
    let leased: { id: number; product_id: string; product_name: string } | undefined;
    let lease: { expires_at: string } | undefined;
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS && !lease; attempt += 1) {
      leased = await nextCandidate(this.db, filters, position, holder.operator);
      if (!leased) break;
      lease = await claim(this.db, leased.id, holder, this.leaseSeconds);
    }
    if (!lease) leased = undefined;
    // One product at a time: the previous lease goes (expired ones of anyone on the way).
    await release(this.db, holder.operator, leased?.id);

    // Counted as the product list counts its matches: exact, except a search with many matches
    // in a large catalog, estimated from a sample (a vendor's or a Type's uncategorised products
    // are counted from their partial indexes alone, migration 0023).
    const [remaining, others, product] = await Promise.all([
      this.products.countMatching(filters),
      othersOnQueue(this.db, holder),
      leased ? this.products.get(leased.product_id) : Promise.resolve(null),
    ]);
    return {
      product,
      cursor: leased
        ? encodeQueueCursor({ name: leased.product_name, id: leased.id }, queueKey)
        : null,
      lease: lease ? { expires_at: lease.expires_at, seconds: this.leaseSeconds } : null,
      remaining: remaining.total,
      remaining_estimated: remaining.estimated,
      operators: others,
      released:
        held && held.id !== leased?.id
          ? { product_id: held.product_id, matches_filter: held.matches_filter }
          : null,
    };
  }

  async release(caller: Caller): Promise<string | null> {
    const released = await release(this.db, holderOf(caller, '').operator);
    return released[0] ?? null;
  }
}

function holderOf(caller: Caller, queueKey: string): Holder {
  const who = caller.tokenId === null ? 'open' : `token-${caller.tokenId}`;
  const session = caller.operator ?? (caller.tokenId === null ? `ip-${caller.address}` : 'any');
  return {
    operator: `${who}:${session}`.slice(0, 200),
    name:
      caller.tokenName ??
      (caller.operator
        ? `Operator ${caller.operator.slice(0, 4)}`
        : `Client ${caller.address}`
      ).slice(0, 200),
    queueKey,
  };
}

export function encodeQueueCursor(position: QueuePosition, queueKey: string): string {
  return Buffer.from(JSON.stringify([position.name, position.id, queueKey]), 'utf8').toString(
    'base64url',
  );
}

export function decodeQueueCursor(cursor: string, queueKey: string): QueuePosition {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidField('after', 'is not a queue cursor this API issued');
  }
  if (
    !Array.isArray(payload) ||
    payload.length !== 3 ||
    typeof payload[0] !== 'string' ||
    payload[0].includes('\u0000') ||
    !Number.isSafeInteger(payload[1]) ||
    (payload[1] as number) < 1 ||
    (payload[1] as number) > 2_147_483_647 ||
    typeof payload[2] !== 'string'
  ) {
    throw invalidField('after', 'is not a queue cursor this API issued');
  }
  if (payload[2] !== queueKey) {
    throw invalidField(
      'after',
      'was issued for a queue with other filters; start again without it',
    );
  }
  return { name: payload[0], id: payload[1] as number };
}
