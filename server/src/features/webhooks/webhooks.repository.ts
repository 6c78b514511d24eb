/**
 * Webhooks, their outbox and their delivery log (docs/webhooks.md). Ids are the tables' ids.
 * The outbox rows of a change set are inserted by the change set's own statement
 * (`outboxInsertOf`, used by changes.repository.ts recordChange), so they commit together.
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryOne, queryRows, type Executor } from '../../db/client.js';
import { arrayParam, isoTime } from '../../db/sql.js';

export interface WebhookRow {
  id: number;
  url: string;
  kinds: string[];
  secret_prefix: string;
  created_by: string;
  created_at: string;
  consecutive_failures: number;
  last_success_at: string | null;
  last_failure_at: string | null;
  disabled_at: string | null;
  disabled_reason: string | null;
  pending_deliveries: number;
}

const columns = sql`w.id, w.url, w.kinds, w.secret_prefix, w.created_by,
  ${isoTime(sql`w.created_at`)} as created_at, w.consecutive_failures,
  ${isoTime(sql`w.last_success_at`)} as last_success_at,
  ${isoTime(sql`w.last_failure_at`)} as last_failure_at,
  ${isoTime(sql`w.disabled_at`)} as disabled_at, w.disabled_reason,
  (select count(*)::int from webhook_outbox o where o.webhook_id = w.id) as pending_deliveries`;

/**
 * The outbox rows of the change set inserted by the CTE `change` (id, created_at) that this
 * statement follows: one per enabled webhook subscribed to `kind` (or to `*`). `payload` is the
 * event without the change set's id and time, which the CTE provides.
 */
export function outboxInsertOf(kind: string, payload: Record<string, unknown>): SQL {
  return sql`insert into webhook_outbox (webhook_id, change_set_id, kind, payload)
    select w.id, change.id, ${kind},
           ${JSON.stringify(payload)}::jsonb
             || jsonb_build_object('change_set_id', change.id,
                                   'created_at', ${isoTime(sql`change.created_at`)})
      from change
      join webhooks w on w.disabled_at is null and w.kinds && array[${kind}, '*']::text[]`;
}

export interface NewWebhook {
  url: string;
  kinds: string[];
  secret: string;
  secretPrefix: string;
  createdBy: string;
}

/** Serialises creations, so that WEBHOOK_MAX holds under concurrent requests. */
export async function lockWebhookCreation(transaction: Executor): Promise<void> {
  await transaction.execute(sql`select pg_advisory_xact_lock(hashtext('tag-manager:webhooks'))`);
}

export async function countWebhooks(executor: Executor): Promise<number> {
  const row = await queryOne<{ n: number }>(executor, sql`select count(*)::int as n from webhooks`);
  return row?.n ?? 0;
}

export async function insertWebhook(executor: Executor, webhook: NewWebhook): Promise<WebhookRow> {
  const row = await queryOne<{ id: number }>(
    executor,
    sql`insert into webhooks (url, kinds, secret, secret_prefix, created_by)
        values (${webhook.url}, ${arrayParam(webhook.kinds)}::text[], ${webhook.secret},
                ${webhook.secretPrefix}, ${webhook.createdBy})
        returning id`,
  );
  return (await findWebhook(executor, row!.id))!;
}

export function findWebhook(executor: Executor, id: number): Promise<WebhookRow | undefined> {
  return queryOne<WebhookRow>(executor, sql`select ${columns} from webhooks w where w.id = ${id}`);
}

export function listWebhooks(executor: Executor): Promise<WebhookRow[]> {
  return queryRows<WebhookRow>(executor, sql`select ${columns} from webhooks w order by w.id`);
}

/** Deletes a webhook with its outbox rows and delivery log; answers it as it was. */
export async function deleteWebhook(
  executor: Executor,
  id: number,
): Promise<WebhookRow | undefined> {
  const row = await findWebhook(executor, id);
  if (!row) return undefined;
  await executor.execute(sql`delete from webhooks where id = ${id}`);
  return row;
}

/** Enables a webhook again (after an auto-disable): its failure streak starts over. */
export async function enableWebhook(
  executor: Executor,
  id: number,
): Promise<WebhookRow | undefined> {
  await executor.execute(sql`
    update webhooks set disabled_at = null, disabled_reason = null, consecutive_failures = 0
     where id = ${id} and disabled_at is not null`);
  return findWebhook(executor, id);
}

export interface DeliveryRow {
  id: number;
  event_id: string;
  change_set_id: number;
  kind: string;
  attempt: number;
  attempted_at: string;
  outcome: 'delivered' | 'failed' | 'refused';
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  next_attempt_at: string | null;
}

export async function listDeliveries(
  executor: Executor,
  webhookId: number,
  limit: number,
  offset: number,
): Promise<{ rows: DeliveryRow[]; total: number }> {
  const rows = await queryRows<DeliveryRow>(
    executor,
    sql`select id::int as id, event_id::text as event_id, change_set_id::int as change_set_id,
               kind, attempt, ${isoTime(sql`attempted_at`)} as attempted_at, outcome, status_code,
               duration_ms, error, ${isoTime(sql`next_attempt_at`)} as next_attempt_at
          from webhook_deliveries where webhook_id = ${webhookId}
         order by id desc limit ${limit} offset ${offset}`,
  );
  const total = await queryOne<{ n: number }>(
    executor,
    sql`select count(*)::int as n from webhook_deliveries where webhook_id = ${webhookId}`,
  );
  return { rows, total: total?.n ?? 0 };
}

/** Events in the outbox, for every webhook (the backlog gauge). */
export async function outboxBacklog(executor: Executor): Promise<number> {
  const row = await queryOne<{ n: number }>(
    executor,
    sql`select count(*)::int as n from webhook_outbox`,
  );
  return row?.n ?? 0;
}

/** A claimed outbox row, with what its delivery needs. */
export interface ClaimedEvent {
  id: number;
  webhook_id: number;
  event_id: string;
  change_set_id: number;
  kind: string;
  payload: Record<string, unknown>;
  /** This attempt's number (1 for the first). */
  attempts: number;
  url: string;
  secret: string;
}

/**
 * Claims up to `limit` due events of enabled webhooks for `owner`, at most one per webhook (a
 * webhook's deliveries go out one at a time, oldest first, so its failure streak counts
 * attempts in order and an auto-disable stops it after exactly N). FOR UPDATE SKIP LOCKED, so
 * workers claiming at once take different rows, and the claim leases each row by moving its
 * `next_attempt_at` `leaseMs` ahead: no other worker takes it while its delivery runs, and a
 * worker that dies leaves it due again when the lease ends (at-least-once delivery).
 */
export function claimDueEvents(
  executor: Executor,
  owner: string,
  leaseMs: number,
  limit: number,
): Promise<ClaimedEvent[]> {
  return queryRows<ClaimedEvent>(
    executor,
    sql`with due as (
          select o.id, o.webhook_id, o.next_attempt_at from webhook_outbox o
            join webhooks w on w.id = o.webhook_id
           where o.next_attempt_at <= now() and w.disabled_at is null
           order by o.next_attempt_at, o.id
           limit ${limit}
             for update of o skip locked),
        first_of_each as (
          select distinct on (webhook_id) id from due
           order by webhook_id, next_attempt_at, id)
        update webhook_outbox o
           set next_attempt_at = now() + ${leaseMs} * interval '1 millisecond',
               claimed_by = ${owner}, attempts = o.attempts + 1
          from first_of_each due, webhooks w
         where o.id = due.id and w.id = o.webhook_id
        returning o.id::int as id, o.webhook_id, o.event_id::text as event_id,
                  o.change_set_id::int as change_set_id, o.kind, o.payload, o.attempts,
                  w.url, w.secret`,
  );
}

export interface AttemptRecord {
  outcome: 'delivered' | 'failed' | 'refused';
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** Failed: milliseconds until the next attempt, or null when no attempt is left. */
  retryInMs: number | null;
}

/** Delivery-log entries kept per webhook (older ones are deleted as new ones are written). */
export const DELIVERY_LOG_KEEP = 1000;

async function logAttempt(executor: Executor, event: ClaimedEvent, attempt: AttemptRecord) {
  const next =
    attempt.retryInMs === null
      ? sql`null`
      : sql`now() + ${attempt.retryInMs} * interval '1 millisecond'`;
  await executor.execute(sql`
    insert into webhook_deliveries (webhook_id, event_id, change_set_id, kind, attempt, outcome,
                                    status_code, duration_ms, error, next_attempt_at)
    select ${event.webhook_id}, ${event.event_id}::uuid, ${event.change_set_id}, ${event.kind},
           ${event.attempts}, ${attempt.outcome}, ${attempt.statusCode}, ${attempt.durationMs},
           ${attempt.error}, ${next}
     where exists (select 1 from webhooks where id = ${event.webhook_id})`);
  // The log stays bounded: the newest DELIVERY_LOG_KEEP attempts of each webhook.
  await executor.execute(sql`
    delete from webhook_deliveries
     where webhook_id = ${event.webhook_id}
       and id < (select id from webhook_deliveries where webhook_id = ${event.webhook_id}
                  order by id desc offset ${DELIVERY_LOG_KEEP - 1} limit 1)`);
}

/** A delivered event: logged, out of the outbox, the webhook's failure streak reset. */
export async function recordDelivered(
  transaction: Executor,
  event: ClaimedEvent,
  attempt: AttemptRecord,
): Promise<void> {
  await logAttempt(transaction, event, attempt);
  await transaction.execute(sql`delete from webhook_outbox where id = ${event.id}`);
  await transaction.execute(sql`
    update webhooks set consecutive_failures = 0, last_success_at = now()
     where id = ${event.webhook_id}`);
}

/**
 * A failed attempt: logged; the event is retried after `retryInMs` (while this worker still
 * holds it) or, with no attempt left, dropped. The webhook's failure streak grows; at
 * `disableAfter` the webhook is disabled and its outbox emptied. An attempt that was already
 * on its way when another instance disabled the webhook does not count. Answers whether it was
 * disabled now.
 */
export async function recordFailed(
  transaction: Executor,
  event: ClaimedEvent,
  owner: string,
  attempt: AttemptRecord,
  disableAfter: number,
): Promise<{ disabled: boolean }> {
  await logAttempt(transaction, event, attempt);
  if (attempt.retryInMs === null) {
    await transaction.execute(sql`delete from webhook_outbox where id = ${event.id}`);
  } else {
    await transaction.execute(sql`
      update webhook_outbox
         set next_attempt_at = now() + ${attempt.retryInMs} * interval '1 millisecond'
       where id = ${event.id} and claimed_by = ${owner}`);
  }
  const reason = `Disabled after ${disableAfter} consecutive failed deliveries (the last: ${
    attempt.error ?? `HTTP ${attempt.statusCode}`
  })`;
  const webhook = await queryOne<{ disabled_now: boolean }>(
    transaction,
    sql`update webhooks
           set consecutive_failures = consecutive_failures + 1, last_failure_at = now(),
               disabled_at = case when consecutive_failures + 1 >= ${disableAfter}
                                  then now() end,
               disabled_reason = case when consecutive_failures + 1 >= ${disableAfter}
                                      then ${reason.slice(0, 1000)} end
         where id = ${event.webhook_id} and disabled_at is null
     returning disabled_at is not null as disabled_now`,
  );
  const disabled = webhook?.disabled_now ?? false;
  if (disabled) {
    await transaction.execute(
      sql`delete from webhook_outbox where webhook_id = ${event.webhook_id}`,
    );
  }
  return { disabled };
}

/** Gives claimed events back at once (the worker is stopping): due now, for any worker. */
export async function releaseEvents(
  executor: Executor,
  ids: readonly number[],
  owner: string,
): Promise<void> {
  if (ids.length === 0) return;
  await executor.execute(sql`
    update webhook_outbox set next_attempt_at = now(), claimed_by = null
     where id = any(${arrayParam(ids)}::bigint[]) and claimed_by = ${owner}`);
}
