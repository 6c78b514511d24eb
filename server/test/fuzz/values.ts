/**
 * Symbolic values: what a generated request holds where the real value is only known when it is
 * sent (an id from the database as it is by then, a 100 kB string that would bloat fast-check's
 * counterexample), with `resolve` turning them into the real thing. Each prints itself briefly,
 * so a failing case reads well in fast-check's report.
 */
import fc from 'fast-check';

/** The data a request can pick from: refreshed from the database, plus what answers revealed. */
export interface World {
  handles: string[];
  categoryIds: number[];
  /** Categories without children or products: the ones a DELETE can remove. */
  unusedCategoryIds: number[];
  categoryNames: string[];
  level1Names: string[];
  level2Names: string[];
  vendors: string[];
  productNames: string[];
  /** Product/category pairs that are assigned. */
  assignments: { handle: string; categoryId: number }[];
  /** The newest change sets (POST /api/changes/{id}/undo names one). */
  changeSetIds: number[];
  /** Jobs (a bulk write by filter over BULK_MAX_PRODUCTS creates one). */
  jobIds: number[];
  /** Webhooks (GET/DELETE /api/webhooks/{id}). */
  webhookIds: number[];
  /** ETags seen in answers (for If-None-Match). */
  etags: string[];
  /** `pagination.next_cursor` values seen in answers. */
  cursors: string[];
  /** Successful reads, to ask again: with their ETag (If-None-Match) or their next cursor. */
  replays: Replay[];
}

export interface Replay {
  operation: string;
  url: string;
  etag?: string;
  cursor?: string;
}

export const emptyWorld = (): World => ({
  handles: [],
  categoryIds: [],
  unusedCategoryIds: [],
  categoryNames: [],
  level1Names: [],
  level2Names: [],
  vendors: [],
  productNames: [],
  assignments: [],
  changeSetIds: [],
  jobIds: [],
  webhookIds: [],
  etags: [],
  cursors: [],
  replays: [],
});

export type PoolName =
  | 'handle'
  | 'categoryId'
  | 'unusedCategoryId'
  | 'categoryName'
  | 'level1Name'
  | 'level2Name'
  | 'vendor'
  | 'productName'
  | 'etag'
  | 'cursor'
  | 'assignedHandle'
  | 'assignedCategoryId'
  | 'changeSetId'
  | 'jobId'
  | 'webhookId'
  | 'webhookUrl'
  | 'changeKind';

/** Used when a pool is empty, so that the request is still well formed. */
const FALLBACK: Record<PoolName, string | number> = {
  handle: 'no-such-product',
  categoryId: 999_999,
  changeSetId: 999_997,
  unusedCategoryId: 999_998,
  categoryName: 'No Such Category',
  level1Name: 'No Such Level 1',
  level2Name: 'No Such Level 2',
  vendor: 'No Such Vendor',
  productName: 'No Such Product',
  etag: 'W/"none"',
  cursor: 'bm8tY3Vyc29y',
  assignedHandle: 'no-such-product',
  assignedCategoryId: 999_997,
  jobId: 999_996,
  webhookId: 999_995,
  webhookUrl: 'https://hooks.example.com/fuzz',
  changeKind: '*',
};

/** URLs a webhook may be registered with (the fuzzed app allows private addresses). */
const WEBHOOK_URLS = ['https://hooks.example.com/fuzz', 'http://127.0.0.1:9/fuzz'];
/** Kinds a webhook may take: `*` and some of the change-kind table. */
const CHANGE_KINDS = ['*', 'product.assign', 'bulk.assign', 'category.create'];

/** "The n-th entry of a pool", taken modulo its size when the request is sent. */
export class PoolRef {
  constructor(
    readonly pool: PoolName,
    readonly pick: number,
  ) {}
  [fc.toStringMethod]() {
    return `ref(${this.pool}#${this.pick})`;
  }
}

/** An array that must reach the server without duplicates (resolving refs can collide). */
export class UniqueList {
  constructor(readonly items: unknown[]) {}
  [fc.toStringMethod]() {
    return `unique[${this.items.map((item) => fc.stringify(item)).join(', ')}]`;
  }
}

/** `count` copies of `item`; strings get an index suffix when `distinct`. */
export class Repeat {
  constructor(
    readonly item: unknown,
    readonly count: number,
    readonly distinct: boolean,
  ) {}
  [fc.toStringMethod]() {
    return `repeat(${fc.stringify(this.item)} × ${this.count}${this.distinct ? ', distinct' : ''})`;
  }
}

/** Up to `count` distinct entries of a pool, from `start` on: a long list of real rows. */
export class PoolSlice {
  constructor(
    readonly pool: PoolName,
    readonly start: number,
    readonly count: number,
  ) {}
  [fc.toStringMethod]() {
    return `slice(${this.pool}, ${this.start}, ${this.count})`;
  }
}

/** A long string: `prefix` then `unit` repeated to `length` characters. */
export class BigText {
  constructor(
    readonly unit: string,
    readonly length: number,
    readonly prefix = '',
  ) {}
  [fc.toStringMethod]() {
    return `big(${JSON.stringify(this.prefix)} + ${JSON.stringify(this.unit)} to ${this.length})`;
  }
  text(): string {
    const body = this.unit.repeat(
      Math.ceil(Math.max(0, this.length - this.prefix.length) / this.unit.length),
    );
    return (this.prefix + body).slice(0, Math.max(this.length, this.prefix.length));
  }
}

/** A JSON fragment written verbatim into a JSON body (numbers JSON.stringify cannot write). */
export class RawJson {
  constructor(readonly text: string) {}
  [fc.toStringMethod]() {
    return `raw(${this.text.length > 60 ? `${this.text.slice(0, 60)}…` : this.text})`;
  }
}

/** Arrays (or objects) nested `depth` deep around `leaf`, written verbatim. */
export class Deep {
  constructor(
    readonly depth: number,
    readonly shape: 'array' | 'object',
  ) {}
  [fc.toStringMethod]() {
    return `deep(${this.shape} × ${this.depth})`;
  }
  json(): string {
    return this.shape === 'array'
      ? `${'['.repeat(this.depth)}1${']'.repeat(this.depth)}`
      : `${'{"a":'.repeat(this.depth)}1${'}'.repeat(this.depth)}`;
  }
}

/**
 * An object of `count` distinct keys (`k0`, `k1`, …), written verbatim: a body of unknown keys
 * costs the validator one issue per key, which an error path worse than linear turns into a
 * stalled event loop (issue 9, H2).
 */
export class ManyKeys {
  constructor(
    readonly count: number,
    readonly value: unknown = 1,
  ) {}
  [fc.toStringMethod]() {
    return `keys(${this.count})`;
  }
  json(): string {
    const value = JSON.stringify(this.value);
    const parts: string[] = [];
    for (let index = 0; index < this.count; index += 1) parts.push(`"k${index}":${value}`);
    return `{${parts.join(',')}}`;
  }
}

/** Raw bytes (binary uploads). */
export class Bytes {
  constructor(readonly bytes: number[]) {}
  [fc.toStringMethod]() {
    return `bytes(${this.bytes.length})`;
  }
}

/** The entries of a pool. */
export function poolEntries(world: World, pool: PoolName): unknown[] {
  const pools: Record<PoolName, unknown[]> = {
    handle: world.handles,
    categoryId: world.categoryIds,
    unusedCategoryId: world.unusedCategoryIds,
    categoryName: world.categoryNames,
    level1Name: world.level1Names,
    level2Name: world.level2Names,
    vendor: world.vendors,
    productName: world.productNames,
    etag: world.etags,
    cursor: world.cursors,
    assignedHandle: world.assignments,
    assignedCategoryId: world.assignments,
    changeSetId: world.changeSetIds,
    jobId: world.jobIds,
    webhookId: world.webhookIds,
    webhookUrl: WEBHOOK_URLS,
    changeKind: CHANGE_KINDS,
  };
  return pools[pool];
}

/** The value a reference stands for now (a fallback when its pool is empty). */
export function pick(world: World, ref: PoolRef): string | number {
  const pool = poolEntries(world, ref.pool);
  const value = pool[ref.pick % Math.max(1, pool.length)];
  if (value === undefined) return FALLBACK[ref.pool];
  if (ref.pool === 'assignedHandle') return (value as World['assignments'][number]).handle;
  if (ref.pool === 'assignedCategoryId') {
    return (value as World['assignments'][number]).categoryId;
  }
  return value as string | number;
}

/**
 * Replaces every symbolic value but RawJson, Deep and ManyKeys (those only mean something in JSON
 * text).
 */
export function resolve(value: unknown, world: World): unknown {
  if (value instanceof PoolRef) return pick(world, value);
  if (value instanceof PoolSlice) {
    const pool = poolEntries(world, value.pool);
    const start = value.start % Math.max(1, pool.length);
    const entries = [...pool.slice(start), ...pool.slice(0, start)].slice(0, value.count);
    return [...new Set(entries)];
  }
  if (value instanceof BigText) return value.text();
  if (value instanceof UniqueList) {
    const seen = new Set<string>();
    const result: unknown[] = [];
    for (const item of value.items) {
      const resolved = resolve(item, world);
      const key = JSON.stringify(resolved);
      if (!seen.has(key)) result.push(resolved);
      seen.add(key);
    }
    return result;
  }
  if (value instanceof Repeat) {
    const item = resolve(value.item, world);
    return Array.from({ length: value.count }, (_, index) =>
      value.distinct && typeof item === 'string'
        ? `${item}-${index}`
        : value.distinct && typeof item === 'number'
          ? item + index
          : item,
    );
  }
  if (
    value instanceof RawJson ||
    value instanceof Deep ||
    value instanceof ManyKeys ||
    value instanceof Bytes
  ) {
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => resolve(item, world));
  if (value && typeof value === 'object') {
    // defineProperty keeps a generated "__proto__" key an ordinary key.
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      Object.defineProperty(result, key, {
        value: resolve(item, world),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return result;
  }
  return value;
}

/** JSON text of a resolved value, with RawJson, Deep and ManyKeys written verbatim. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof RawJson || item instanceof Deep || item instanceof ManyKeys) {
      raws.push(item instanceof RawJson ? item.text : item.json());
      return `\u0000raw${raws.length - 1}\u0000`;
    }
    return item;
  });
  if (text === undefined) return '';
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_match, index: string) => raws[Number(index)]!);
}

/** Lone surrogates → U+FFFD (encodeURIComponent and HTTP headers refuse them). */
export function wellFormed(text: string): string {
  return text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '\uFFFD',
  );
}

/**
 * A string as a path segment: percent-encoded, lone surrogates made well formed first. A dot
 * segment (`.`, `..`, `%2e%2e`) is resolved by every URL parser before a server sees it
 * (light-my-request's too, as browsers and fetch do), so it cannot name anything: it gets a
 * suffix that keeps it a name.
 *
 * (The import refuses the handles `.` and `..`, and a CHECK constraint keeps them out of the
 * products table, for that reason: `DELETE /api/products/../categories/5` would reach `DELETE /api/categories/5`.)
 */
export function encodeSegment(value: unknown): string {
  const encoded = encodeURIComponent(wellFormed(String(value)));
  return /^(\.|%2e){1,2}$/i.test(encoded) ? `${encoded}~` : encoded;
}
