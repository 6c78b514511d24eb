/**
 * The webhook delivery worker: one per app instance (WEBHOOK_WORKER). It claims due outbox
 * rows (webhooks.repository.ts claimDueEvents: FOR UPDATE SKIP LOCKED plus a lease, so two
 * instances never deliver one row at once, and a row whose worker died is delivered again after
 * its lease: at-least-once), POSTs each signed event with a time limit and a cap on the answer
 * read, and records the attempt: delivered (2xx; the row leaves the outbox), or failed (retried
 * after an exponential, jittered delay; given up after WEBHOOK_MAX_ATTEMPTS). A webhook whose
 * deliveries fail WEBHOOK_DISABLE_AFTER_FAILURES times in a row is disabled.
 *
 * Each delivery resolves the URL's host again and checks every address (address-guard.ts), then
 * connects to the checked address (no second lookup: DNS rebinding). Redirects are never
 * followed (a 3xx is a failure). The loop is the job runner's (job-runner.ts): poll, idle, wake,
 * and stop on app close, which aborts deliveries in flight and gives their rows back.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Executor } from '../../db/client.js';
import { inTransaction } from '../../db/sql.js';
import {
  parseWebhookUrl,
  resolveDeliveryAddresses,
  WebhookUrlError,
  type ResolvedAddress,
} from './address-guard.js';
import {
  ATTEMPT_HEADER,
  EVENT_ID_HEADER,
  EVENT_KIND_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
} from './signature.js';
import {
  claimDueEvents,
  recordDelivered,
  recordFailed,
  releaseEvents,
  type AttemptRecord,
  type ClaimedEvent,
} from './webhooks.repository.js';

/** Bytes of a receiver's answer read at most (the rest is dropped with the connection). */
export const RESPONSE_READ_LIMIT = 64 * 1024;
/** Characters of a failed answer's body kept in the delivery log. */
const ERROR_BODY_CHARACTERS = 200;

export type DeliveryOutcome = 'delivered' | 'failed' | 'refused' | 'abandoned';

export interface WebhookWorkerOptions {
  pollMs: number;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  disableAfterFailures: number;
  concurrency: number;
  allowPrivate: boolean;
  log: {
    info(object: object, message: string): void;
    warn(object: object, message: string): void;
    error(object: object, message: string): void;
  };
  /** Hears each attempt's outcome (metrics), and each webhook disabled. */
  onOutcome?: (outcome: DeliveryOutcome) => void;
  onDisabled?: () => void;
}

/** The delay before attempt `failed + 1`: base·2^(failed−1), capped, half of it random. */
export function retryDelayMs(
  failedAttempts: number,
  baseMs: number,
  maxMs: number,
  random = Math.random,
): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(failedAttempts - 1, 30));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

interface PostResult {
  statusCode: number;
  body: string;
}

/** The event's body: its id first, then the stored payload (the same bytes on every attempt). */
export function deliveryBody(event: Pick<ClaimedEvent, 'event_id' | 'payload'>): string {
  return JSON.stringify({ id: event.event_id, ...event.payload });
}

export class WebhookWorker {
  /** This instance's id, written as the owner of the rows it claims. */
  readonly owner = `${process.pid}-${randomUUID()}`;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly aborter = new AbortController();

  constructor(
    private readonly db: Executor,
    private readonly options: WebhookWorkerOptions,
  ) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  /** Looks for due events now. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Stops: deliveries in flight are aborted and their events given back to the outbox. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.aborter.abort();
    this.wake();
    await this.loop;
  }

  /** A claim's lease: longer than any delivery (its time limit, plus the DNS lookup's margin). */
  private get leaseMs(): number {
    return this.options.timeoutMs * 2 + 1000;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      let worked = false;
      try {
        worked = (await this.deliverDue()) > 0;
      } catch (error) {
        if (!this.stopping) this.options.log.error({ err: error }, 'webhooks: claim failed');
      }
      if (!worked && !this.stopping) await this.idle();
    }
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = () => {
        clearTimeout(this.timer);
        this.wakeUp = undefined;
        resolve();
      };
      this.timer = setTimeout(this.wakeUp, this.options.pollMs);
    });
  }

  /** Claims due events and delivers them; answers how many were claimed. */
  async deliverDue(): Promise<number> {
    const events = await claimDueEvents(
      this.db,
      this.owner,
      this.leaseMs,
      this.options.concurrency,
    );
    const unfinished: number[] = [];
    await Promise.all(
      events.map(async (event) => {
        const finished = await this.deliver(event).catch((error: unknown) => {
          if (!this.stopping) {
            this.options.log.error({ err: error, event_id: event.event_id }, 'webhooks: failed');
          }
          return false;
        });
        if (!finished) unfinished.push(event.id);
      }),
    );
    if (this.stopping && unfinished.length > 0) {
      await releaseEvents(this.db, unfinished, this.owner).catch(() => {});
    }
    return events.length;
  }

  /** One attempt; false when it was cut short by the stop (nothing recorded). */
  private async deliver(event: ClaimedEvent): Promise<boolean> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    let attempt: AttemptRecord;
    try {
      const { url, hostname } = parseWebhookUrl(event.url, this.options.allowPrivate);
      const addresses = await resolveDeliveryAddresses(hostname, this.options.allowPrivate);
      const body = deliveryBody(event);
      const result = await this.post(url, addresses[0]!, event, body);
      const ok = result.statusCode >= 200 && result.statusCode < 300;
      attempt = {
        outcome: ok ? 'delivered' : 'failed',
        statusCode: result.statusCode,
        durationMs: elapsed(),
        error: ok
          ? null
          : `HTTP ${result.statusCode}${
              result.statusCode >= 300 && result.statusCode < 400
                ? ' (redirects are not followed)'
                : ''
            }${result.body ? `: ${result.body.slice(0, ERROR_BODY_CHARACTERS)}` : ''}`,
        retryInMs: null,
      };
    } catch (error) {
      if (this.stopping) return false;
      const refused = error instanceof WebhookUrlError && error.refused;
      attempt = {
        outcome: refused ? 'refused' : 'failed',
        statusCode: null,
        durationMs: elapsed(),
        error: errorText(error, this.options.timeoutMs),
        retryInMs: null,
      };
    }
    if (attempt.outcome === 'delivered') {
      await inTransaction(this.db, (transaction) => recordDelivered(transaction, event, attempt));
      this.options.onOutcome?.('delivered');
      return true;
    }
    const lastAttempt = event.attempts >= this.options.maxAttempts;
    attempt.retryInMs = lastAttempt
      ? null
      : retryDelayMs(event.attempts, this.options.retryBaseMs, this.options.retryMaxMs);
    const { disabled } = await inTransaction(this.db, (transaction) =>
      recordFailed(transaction, event, this.owner, attempt, this.options.disableAfterFailures),
    );
    this.options.onOutcome?.(lastAttempt ? 'abandoned' : attempt.outcome);
    this.options.log.warn(
      {
        webhook_id: event.webhook_id,
        event_id: event.event_id,
        attempt: event.attempts,
        status_code: attempt.statusCode,
        error: attempt.error,
        retry_in_ms: attempt.retryInMs,
      },
      lastAttempt ? 'webhook delivery failed: no attempt left' : 'webhook delivery failed',
    );
    if (disabled) {
      this.options.onDisabled?.();
      this.options.log.warn(
        { webhook_id: event.webhook_id, failures: this.options.disableAfterFailures },
        'webhook disabled after consecutive failed deliveries',
      );
    }
    return true;
  }

  /** POSTs `body` to `url`, connecting to `address` (already checked), never following redirects. */
  private post(
    url: URL,
    address: ResolvedAddress,
    event: ClaimedEvent,
    body: string,
  ): Promise<PostResult> {
    const timestamp = Math.floor(Date.now() / 1000);
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if ((options as { all?: boolean }).all) {
        (callback as unknown as (error: null, all: ResolvedAddress[]) => void)(null, [address]);
      } else {
        callback(null, address.address, address.family);
      }
    };
    const signal = AbortSignal.any([
      this.aborter.signal,
      AbortSignal.timeout(this.options.timeoutMs),
    ]);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<PostResult>((resolve, reject) => {
      const request = transport.request(
        url,
        {
          method: 'POST',
          agent: false,
          lookup: pinned,
          signal,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'TagManager-Webhooks/1',
            [SIGNATURE_HEADER]: signatureHeader(event.secret, timestamp, body),
            [EVENT_ID_HEADER]: event.event_id,
            [EVENT_KIND_HEADER]: event.kind,
            [ATTEMPT_HEADER]: String(event.attempts),
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () =>
            resolve({
              statusCode: response.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          response.on('data', (chunk: Buffer) => {
            if (size >= RESPONSE_READ_LIMIT) return;
            chunks.push(chunk.subarray(0, RESPONSE_READ_LIMIT - size));
            size += chunk.length;
            // Enough read: the status decides; the rest of a large answer is not waited for.
            if (size >= RESPONSE_READ_LIMIT) {
              finish();
              response.destroy();
            }
          });
          response.on('end', finish);
          response.on('error', reject);
          // Cut off before its end (the time limit, or the stop): a failure, said as such.
          response.on('close', () =>
            reject(signal.aborted ? signal.reason : new Error('the answer was cut off')),
          );
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }
}

function errorText(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'AbortError' || error.name === 'TimeoutError') {
      return `no answer within ${timeoutMs} ms (WEBHOOK_TIMEOUT_MS)`;
    }
    const code = (error as { code?: string }).code;
    return (code ? `${code}: ${error.message}` : error.message).slice(0, 500);
  }
  return String(error).slice(0, 500);
}
