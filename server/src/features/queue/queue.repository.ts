/** Every query of the work queue: the keyset walk, the leases, who else is on a queue. */
import { sql } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { isoTime } from '../../db/sql.js';
import { filterCondition, orderRelation, type ProductFilters } from '../products/filters.js';

/** A position in the queue's fixed order: (product_name, id). */
export interface QueuePosition {
  name: string;
  id: number;
}

export interface Holder {
  /** Who holds the lease (see QueueService.holder). */
  operator: string;
  /** What others see. */
  name: string;
  /** The queue (its filters' fingerprint). */
  queueKey: string;
}

/**
 * The first matching product after `after` that no other operator holds an unexpired lease on.
 * The order is the one the "uncategorised" partial index and the name index serve.
 */
export async function nextCandidate(
  executor: Executor,
  filters: ProductFilters,
  after: QueuePosition | undefined,
  operator: string,
): Promise<{ id: number; product_id: string; product_name: string } | undefined> {
  // The queue's filter's partial index in name order is on product_state (filters.ts).
  const by = orderRelation(filters, 'product_name');
  const [name, id] = [sql.raw(`${by}.product_name`), sql.raw(`${by}.id`)];
  const keyset = after ? sql`(${name}, ${id}) > (${after.name}, ${after.id})` : sql`true`;
  return queryOne(
    executor,
    sql`select p.id, p.product_id, p.product_name
          from products p join product_state s on s.id = p.id
         where ${filterCondition(filters, { stateJoined: true })} and ${keyset}
           and not exists (select 1 from queue_leases l
                            where l.product_id = p.id and l.operator <> ${operator}
                              and l.expires_at > now())
         order by ${name}, ${id}
         limit 1`,
  );
}

/**
 * Claims a product: inserts the lease, or takes over a row that is expired or already this
 * operator's. One statement, so two instances racing for one product cannot both win: the
 * loser's upsert updates nothing and returns no row (it then tries the next product).
 */
export async function claim(
  executor: Executor,
  productId: number,
  holder: Holder,
  seconds: number,
): Promise<{ expires_at: string } | undefined> {
  return queryOne(
    executor,
    sql`insert into queue_leases (product_id, operator, operator_name, queue_key, expires_at)
        values (${productId}, ${holder.operator}, ${holder.name}, ${holder.queueKey},
                now() + make_interval(secs => ${seconds}))
        on conflict (product_id) do update
           set operator = excluded.operator, operator_name = excluded.operator_name,
               queue_key = excluded.queue_key, expires_at = excluded.expires_at
         where queue_leases.expires_at <= now() or queue_leases.operator = excluded.operator
        returning ${isoTime(sql`expires_at`)} as expires_at`,
  );
}

/** The product this operator holds (at most one), and whether it still matches the filters. */
export async function heldBy(
  executor: Executor,
  operator: string,
  filters: ProductFilters,
): Promise<{ id: number; product_id: string; matches_filter: boolean } | undefined> {
  return queryOne(
    executor,
    // A filter is a WHERE condition: on a product it does not match it may be NULL rather than
    // false (`p.sku ilike …` of a product without a SKU), which the answer cannot carry.
    sql`select p.id, p.product_id, coalesce((${filterCondition(filters)}), false) as matches_filter
          from queue_leases l join products p on p.id = l.product_id
         where l.operator = ${operator} and l.expires_at > now()
         order by l.expires_at desc limit 1`,
  );
}

/** Gives up this operator's leases (all but `keep`), and every expired lease on the way. */
export async function release(
  executor: Executor,
  operator: string,
  keep?: number,
): Promise<string[]> {
  const rows = await queryRows<{ product_id: string }>(
    executor,
    sql`with gone as (
          delete from queue_leases
           where (operator = ${operator} and product_id <> ${keep ?? 0}) or expires_at <= now()
          returning product_id, operator, expires_at)
        select p.product_id from gone g join products p on p.id = g.product_id
         where g.operator = ${operator} and g.expires_at > now()`,
  );
  return rows.map((row) => row.product_id);
}

/** The other operators holding an unexpired lease on this queue. */
export function othersOnQueue(executor: Executor, holder: Holder) {
  return queryRows<{ name: string; product_id: string; expires_at: string }>(
    executor,
    sql`select l.operator_name as name, p.product_id, ${isoTime(sql`l.expires_at`)} as expires_at
          from queue_leases l join products p on p.id = l.product_id
         where l.queue_key = ${holder.queueKey} and l.expires_at > now()
           and l.operator <> ${holder.operator}
         order by l.operator_name, p.product_id`,
  );
}
