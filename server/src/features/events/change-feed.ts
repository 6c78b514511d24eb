/**
 * The change feed of one app instance (docs/live-updates.md): it hears each committed change
 * set, builds its live event once, and hands it to every open stream of this instance.
 *
 * How it hears them:
 * - this instance's writes: `committed(id)` from the write path (apply-change.ts, through the
 *   ChangeNotifier), right after the commit;
 * - other instances' writes (PostgreSQL mode): NOTIFY on CHANGE_SETS_CHANNEL, sent by
 *   recordChange inside the write's transaction and delivered by PostgreSQL at its commit. One
 *   dedicated connection per instance LISTENs (not one from the pool: a pooled client is shared
 *   and released, and LISTEN belongs to a session). When it breaks it reconnects with backoff
 *   and then catches up from the change-set log (ids after the last one published, and the
 *   ones below it that committed late: see REORDER_WINDOW_MS), so a dropped connection loses
 *   nothing.
 *
 * Each id is published once (the instance's own writes arrive both ways). The embedded PGlite
 * serves one process, so its writes are all this instance's own.
 */
import { EVENT_REPLAY_MAX, type LiveChangeEvent } from '@tag-manager/contract';
import type pg from 'pg';
import {
  CHANGE_SETS_CHANNEL,
  changeSetIdsAfter,
  changeSetIdsBelow,
  changeSetsByIds,
  committedChangeSetIds,
  latestChangeId,
  type ChangeRow,
} from '../changes/changes.repository.js';
import { toLiveEvent, type LiveEventSources } from './live-event.js';

export type FeedMessage =
  | { type: 'change'; event: LiveChangeEvent }
  | { type: 'reset'; lastEventId: number; reason: string };

export type FeedSubscriber = (message: FeedMessage) => void;

export interface FeedLog {
  warn(object: unknown, message: string): void;
  info(object: unknown, message: string): void;
}

export interface ChangeFeedOptions {
  sources: LiveEventSources;
  /** A new client for the LISTEN connection (PostgreSQL mode); undefined for PGlite. */
  listenClient?: (() => pg.Client) | undefined;
  log: FeedLog;
  /** How far behind a client (or the feed itself) may be before it is told to reset. */
  replayMax?: number;
  /** REORDER_WINDOW_MS unless a test says otherwise. */
  reorderWindowMs?: number;
}

/**
 * Change-set ids come from a sequence, and two transactions can commit in the other order than
 * their ids: a change set with a lower id than one already published can still commit. After a
 * LISTEN outage the feed looks for those among the change sets whose transaction started at most
 * this long before the last published one's: a write transaction longer than this that commits
 * during an outage is the one case still missed (docs/live-updates.md, "Out of order").
 */
export const REORDER_WINDOW_MS = 120_000;

/** Remembers the last `size` ids published, in the order published, to publish each once. */
class RecentIds {
  private readonly ids = new Set<number>();
  constructor(private readonly size: number) {}
  has(id: number) {
    return this.ids.has(id);
  }
  add(id: number) {
    this.ids.add(id);
    if (this.ids.size > this.size) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
  /**
   * The ids published after `id`, in order. When `id` is not remembered, it was published before
   * all of them (too long ago, or before this instance started): all of them.
   */
  publishedAfter(id: number): number[] {
    if (!this.ids.has(id)) return [...this.ids];
    const later: number[] = [];
    let found = false;
    for (const each of this.ids) {
      if (found) later.push(each);
      else found = each === id;
    }
    return later;
  }
}

export type Replay = { events: LiveChangeEvent[]; lastEventId: number } | { reset: number };

export class ChangeFeed {
  private readonly subscribers = new Set<FeedSubscriber>();
  private readonly published = new RecentIds(10_000);
  /**
   * The ids below the newest one at start that had committed by then (its reorder window): not
   * published (they are in what any client read), and not missed either.
   */
  private committedBeforeStart = new Set<number>();
  private readonly pending = new Set<number>();
  /**
   * The highest id published (or the newest when the feed started); undefined until the log
   * could be read (a database not migrated yet, or down: the first catch-up sets it).
   */
  private lastId: number | undefined;
  /** Publishing is one chain, so events leave in the order they were heard. */
  private chain: Promise<void> = Promise.resolve();
  private listener: ChangeListener | undefined;
  private readonly replayMax: number;
  private readonly reorderWindowMs: number;

  constructor(private readonly options: ChangeFeedOptions) {
    this.replayMax = options.replayMax ?? EVENT_REPLAY_MAX;
    this.reorderWindowMs = options.reorderWindowMs ?? REORDER_WINDOW_MS;
  }

  async start(): Promise<void> {
    const start = await this.committedAt().catch(() => undefined);
    this.lastId = start?.position;
    this.committedBeforeStart = new Set(start?.committed ?? []);
    if (this.options.listenClient) {
      this.listener = new ChangeListener(this.options.listenClient, this.options.log, {
        onNotify: (id) => this.committed(id),
        onListening: () => this.catchUp(),
      });
      await this.listener.start();
    }
  }

  async stop(): Promise<void> {
    await this.listener?.stop();
    this.subscribers.clear();
    await this.chain;
  }

  /** Whether the LISTEN connection is up (PostgreSQL mode; always true for PGlite). */
  get listening(): boolean {
    return this.listener ? this.listener.connected : true;
  }

  subscribe(subscriber: FeedSubscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  /** A change set committed (this instance's write, or another's NOTIFY). */
  committed(id: number): void {
    if (this.published.has(id)) return;
    if (this.subscribers.size === 0 && this.pending.size === 0) {
      // Nobody listens: nothing to read. A stream opened later replays from the log.
      this.published.add(id);
      this.lastId = Math.max(this.lastId ?? 0, id);
      return;
    }
    this.pending.add(id);
    this.enqueue(async () => {
      const ids = [...this.pending].filter((pending) => !this.published.has(pending));
      this.pending.clear();
      if (ids.length === 0) return;
      for (const row of await changeSetsByIds(this.options.sources.db, ids)) {
        await this.publish(row);
      }
    });
  }

  /** The newest change set id now. */
  latestId(): Promise<number> {
    return latestChangeId(this.options.sources.db);
  }

  /**
   * Where a reader starting now is: the newest change set id (`position`), and the ids of the
   * reorder window below it that have committed (`committed`, with `position`). Any other id
   * below it that is published later committed after this.
   */
  committedAt(): Promise<{ position: number; committed: number[] }> {
    return committedChangeSetIds(this.options.sources.db, this.reorderWindowMs, this.replayMax);
  }

  /**
   * What a client whose last event was `after` missed, oldest id first, or `{ reset }` (the
   * newest id) when more than replayMax came after it. That is every change set after `after`,
   * and those below it that committed after it did (out of order): the lower ids this instance
   * published after `after` (a stream receives events in publish order), or all it published
   * when it does not remember `after` (published before them, or before it started).
   */
  async replay(after: number): Promise<Replay> {
    const newer = await changeSetIdsAfter(this.options.sources.db, after, this.replayMax + 1);
    if (newer.length > this.replayMax) return { reset: await this.latestId() };
    // Below it: what this instance published after it (publish order is a stream's order).
    // Not remembering `after` means it came before all this instance published.
    const late = this.published.publishedAfter(after).filter((id) => id < after);
    const events: LiveChangeEvent[] = [];
    for (const row of await changeSetsByIds(this.options.sources.db, [...late, ...newer])) {
      events.push(await toLiveEvent(this.options.sources, row));
    }
    return { events, lastEventId: newer.at(-1) ?? after };
  }

  /** After the LISTEN connection (re)connects: what committed while nobody listened. */
  private catchUp(): void {
    this.enqueue(async () => {
      if (this.lastId === undefined) {
        const start = await this.committedAt();
        this.lastId = start.position;
        this.committedBeforeStart = new Set(start.committed);
        return;
      }
      // After the last id published, and below it what committed late (out of order).
      const { db } = this.options.sources;
      const newer = await changeSetIdsAfter(db, this.lastId, this.replayMax + 1);
      if (newer.length > this.replayMax) {
        const latest = await this.latestId();
        this.lastId = latest;
        this.emit({
          type: 'reset',
          lastEventId: latest,
          reason: 'The server missed too many changes while reconnecting to the database',
        });
        return;
      }
      const below = await changeSetIdsBelow(db, this.lastId, this.reorderWindowMs, this.replayMax);
      const missed = [...below, ...newer].filter(
        (id) => !this.published.has(id) && !this.committedBeforeStart.has(id),
      );
      if (this.subscribers.size === 0) {
        // Nobody listens: nothing to read, only remembered as published.
        for (const id of missed) this.published.add(id);
        this.lastId = Math.max(this.lastId ?? 0, ...missed);
        return;
      }
      for (const row of await changeSetsByIds(this.options.sources.db, missed)) {
        await this.publish(row);
      }
    });
  }

  private async publish(row: ChangeRow): Promise<void> {
    if (this.published.has(row.id)) return;
    this.published.add(row.id);
    this.lastId = Math.max(this.lastId ?? 0, row.id);
    if (this.subscribers.size === 0) return;
    this.emit({ type: 'change', event: await toLiveEvent(this.options.sources, row) });
  }

  private emit(message: FeedMessage): void {
    for (const subscriber of [...this.subscribers]) subscriber(message);
  }

  private enqueue(work: () => Promise<void>): void {
    this.chain = this.chain.then(work).catch((error: unknown) => {
      this.options.log.warn({ err: error }, 'Live updates: a change set could not be published');
    });
  }
}

const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 10_000;
/** A LISTEN connection that broke without telling is found by this periodic query. */
const LISTEN_PING_MS = 30_000;

/** The dedicated LISTEN connection, reconnecting with exponential backoff. */
class ChangeListener {
  private client: pg.Client | undefined;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  connected = false;

  constructor(
    private readonly newClient: () => pg.Client,
    private readonly log: FeedLog,
    private readonly handlers: { onNotify: (id: number) => void; onListening: () => void },
  ) {}

  /** Connects once; a failure is retried in the background (the app starts anyway). */
  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    this.connected = false;
    await client?.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = this.newClient();
    this.client = client;
    let failed = false;
    const fail = (error?: Error) => {
      if (failed || this.stopped) return;
      failed = true;
      this.connected = false;
      clearInterval(this.pingTimer);
      void client.end().catch(() => {});
      this.log.warn({ err: error }, 'Live updates: the LISTEN connection broke; reconnecting');
      this.scheduleReconnect();
    };
    client.on('error', fail);
    client.on('end', () => fail());
    client.on('notification', (message) => {
      const id = Number(message.payload);
      if (message.channel === CHANGE_SETS_CHANNEL && Number.isSafeInteger(id) && id > 0) {
        this.handlers.onNotify(id);
      }
    });
    try {
      await client.connect();
      await client.query(`listen ${CHANGE_SETS_CHANNEL}`);
    } catch (error) {
      fail(error as Error);
      return;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    if (this.attempt > 0)
      this.log.info({ attempts: this.attempt }, 'Live updates: listening again');
    this.attempt = 0;
    this.connected = true;
    this.pingTimer = setInterval(() => {
      client.query('select 1').catch((error: Error) => fail(error));
    }, LISTEN_PING_MS);
    this.pingTimer.unref();
    this.handlers.onListening();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}
