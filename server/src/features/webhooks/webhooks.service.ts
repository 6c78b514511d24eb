/**
 * Webhook management (admin): register a URL with the change kinds it takes (the signing
 * secret is answered once), list, read, delete, and read a webhook's delivery log. The URL is
 * checked against SSRF here (address-guard.ts) and again at every delivery (webhook-worker.ts).
 */
import {
  WEBHOOK_ALL_KINDS,
  type CreatedWebhook,
  type CreateWebhookBody,
  type Pagination,
  type Webhook,
  type WebhookDelivery,
  type WebhookDeliveryQuery,
} from '@tag-manager/contract';
import type { Executor } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import { conflict, invalidField, notFound } from '../../errors.js';
import { changeKinds } from '../changes/change-kinds.js';
import type { WriteContext } from '../changes/changes.repository.js';
import { parseWebhookUrl, resolveDeliveryAddresses, WebhookUrlError } from './address-guard.js';
import { generateWebhookSecret, SECRET_PREFIX_LENGTH } from './signature.js';
import {
  countWebhooks,
  deleteWebhook,
  enableWebhook,
  findWebhook,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  lockWebhookCreation,
  outboxBacklog,
  type WebhookRow,
} from './webhooks.repository.js';

export interface WebhookServiceOptions {
  /** WEBHOOK_ALLOW_PRIVATE: http and private addresses allowed. */
  allowPrivate: boolean;
  /** WEBHOOK_MAX. */
  maxWebhooks: number;
}

export function toWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    kinds: row.kinds,
    secret_prefix: row.secret_prefix,
    created_at: row.created_at,
    created_by: row.created_by,
    enabled: row.disabled_at === null,
    disabled_at: row.disabled_at,
    disabled_reason: row.disabled_reason,
    consecutive_failures: row.consecutive_failures,
    last_success_at: row.last_success_at,
    last_failure_at: row.last_failure_at,
    pending_deliveries: row.pending_deliveries,
  };
}

/** The kinds as stored: each a kind of the change-kind table, or `*` alone. */
export function cleanKinds(kinds: readonly string[]): string[] {
  const known = new Set<string>(changeKinds);
  const unknown = kinds.filter((kind) => kind !== WEBHOOK_ALL_KINDS && !known.has(kind));
  if (unknown.length > 0) {
    throw invalidField(
      'kinds',
      `unknown change kind${unknown.length > 1 ? 's' : ''} ${unknown
        .slice(0, 5)
        .map((kind) => JSON.stringify(kind))
        .join(', ')}: use "*" or some of ${changeKinds.join(', ')}`,
    );
  }
  return kinds.includes(WEBHOOK_ALL_KINDS) ? [WEBHOOK_ALL_KINDS] : [...new Set(kinds)];
}

export class WebhookService {
  constructor(
    private readonly db: Executor,
    private readonly options: WebhookServiceOptions,
  ) {}

  async list(): Promise<{
    webhooks: Webhook[];
    metadata: { total_webhooks: number; enabled_webhooks: number; max_webhooks: number };
  }> {
    const webhooks = (await listWebhooks(this.db)).map(toWebhook);
    return {
      webhooks,
      metadata: {
        total_webhooks: webhooks.length,
        enabled_webhooks: webhooks.filter((webhook) => webhook.enabled).length,
        max_webhooks: this.options.maxWebhooks,
      },
    };
  }

  async get(id: number): Promise<Webhook> {
    const row = await findWebhook(this.db, id);
    if (!row) throw notFound('webhook', id);
    return toWebhook(row);
  }

  async create(input: CreateWebhookBody, context: WriteContext): Promise<CreatedWebhook> {
    const kinds = cleanKinds(input.kinds);
    let href: string;
    try {
      const checked = parseWebhookUrl(input.url, this.options.allowPrivate);
      // Without WEBHOOK_ALLOW_PRIVATE the host must resolve, to public addresses only.
      if (!this.options.allowPrivate) {
        await resolveDeliveryAddresses(checked.hostname, false);
      }
      href = checked.href;
    } catch (error) {
      if (error instanceof WebhookUrlError) throw invalidField('url', error.message);
      throw error;
    }
    const secret = generateWebhookSecret();
    const row = await inTransaction(this.db, async (transaction) => {
      await lockWebhookCreation(transaction);
      const count = await countWebhooks(transaction);
      if (count >= this.options.maxWebhooks) {
        throw conflict(
          `There are already ${count} webhooks, the most allowed (WEBHOOK_MAX=${this.options.maxWebhooks}): delete one first`,
          { webhook_count: count, max_webhooks: this.options.maxWebhooks },
        );
      }
      return insertWebhook(transaction, {
        url: href,
        kinds,
        secret,
        secretPrefix: secret.slice(0, SECRET_PREFIX_LENGTH),
        createdBy: context.actor,
      });
    });
    return { ...toWebhook(row), secret };
  }

  async delete(id: number): Promise<Webhook> {
    const row = await inTransaction(this.db, (transaction) => deleteWebhook(transaction, id));
    if (!row) throw notFound('webhook', id);
    return toWebhook(row);
  }

  /**
   * Enables a disabled webhook: later change sets are queued for it again (the ones made while
   * it was disabled are not: GET /api/changes has them). An enabled one is answered as it is.
   */
  async enable(id: number): Promise<Webhook> {
    const row = await enableWebhook(this.db, id);
    if (!row) throw notFound('webhook', id);
    return toWebhook(row);
  }

  async deliveries(
    id: number,
    query: WebhookDeliveryQuery,
  ): Promise<{ deliveries: WebhookDelivery[]; total: number; pagination: Pagination }> {
    if (!(await findWebhook(this.db, id))) throw notFound('webhook', id);
    const { limit, offset } = query;
    const { rows, total } = await listDeliveries(this.db, id, limit, offset);
    return {
      deliveries: rows,
      total,
      pagination: {
        page: Math.floor(offset / limit) + 1,
        page_size: limit,
        total_items: total,
        total_pages: Math.ceil(total / limit),
        has_next: offset + rows.length < total,
        has_previous: offset > 0,
        next_cursor: null,
      },
    };
  }

  /** Events waiting in the outbox (the backlog gauge). */
  backlog(): Promise<number> {
    return outboxBacklog(this.db);
  }
}
