/**
 * The process configuration: read from the environment once, validated, frozen.
 * This is the only module that reads `process.env`.
 */
import { isIP } from 'node:net';

export type DatabaseConfig =
  | {
      driver: 'pglite';
      dataDir: string;
      /** Enforced by the client (PGlite ignores statement_timeout); unset: 30 s. */
      statementTimeoutMs?: number;
    }
  | {
      driver: 'postgres';
      url: string;
      poolSize: number;
      connectionTimeoutMs: number;
      idleTimeoutMs: number;
      maxLifetimeSeconds: number;
      statementTimeoutMs: number;
    };

export interface Config {
  host: string;
  port: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Log to this file instead of stdout. */
  logFile: string | undefined;
  /** Requests slower than this are logged at warn with `slow: true`. */
  slowRequestMs: number;
  /** Origins allowed to call the API from a browser (CORS); empty = CORS closed. */
  corsOrigins: string[];
  database: DatabaseConfig;
  /** Products created on the first start of an empty database (0 disables it). */
  seedProductsOnEmpty: number;
  bodyLimitBytes: number;
  importMaxBytes: number;
  /** The JSON category list (/api/import/categories): parsed whole, so kept small. */
  categoryImportMaxBytes: number;
  bulkMaxProducts: number;
  /** After SIGTERM, how long in-flight requests get before the process exits anyway (code 1). */
  shutdownTimeoutMs: number;
  /** Time limits on connections and request bodies, and the cap on open connections. */
  connections: ConnectionsConfig;
  /**
   * Host names the server answers to (DNS-rebinding protection), besides IP addresses and
   * localhost, which always pass; null: any Host (ALLOWED_HOSTS=*).
   */
  allowedHosts: string[] | null;
  rateLimit: RateLimitConfig;
  /**
   * Fastify's trustProxy: which proxies' X-Forwarded-For to believe for the client address
   * (rate limits are per client). false (default), a list of proxy addresses / CIDRs, or a hop
   * count. Never `true`: that believes any client's X-Forwarded-For.
   */
  trustProxy: false | number | string[];
  cache: {
    redisUrl: string | undefined;
    /** Keeps deployments (or test databases) that share one Redis apart. */
    keyPrefix: string;
    ttlSeconds: number;
    localEntries: number;
    /** false turns caching off entirely (every read asks the database); for benchmarks. */
    enabled: boolean;
  };
  auth: {
    /** `none`: the API is open; `token`: every /api request needs a bearer token. */
    mode: AuthMode;
    /** How long a verified token is trusted without asking the database (0: never cached). */
    cacheSeconds: number;
    /** Token mode: a bearer secret for the Prometheus scraper, accepted on /metrics only. */
    metricsToken: string | undefined;
    /** Token mode: false puts /docs and /openapi.json behind a viewer token too. */
    docsPublic: boolean;
  };
  /**
   * Log lines on stdout: `json` (pino's lines, for log collectors), `pretty` (one readable line
   * each), or `auto`: pretty when stdout is a terminal and NODE_ENV is not production.
   */
  logFormat: 'auto' | 'json' | 'pretty';

  /** The Shopify file (GET /api/export/shopify.csv; docs/shopify-csv.md). */
  shopify: {
    /** Category tags are `<prefix><path>` (SHOPIFY_CATEGORY_TAG_PREFIX, "Category: "). */
    categoryTagPrefix: string;
    /** The list metafield for the paths (SHOPIFY_CATEGORY_METAFIELD, `off` for none). */
    categoryMetafield: { namespace: string; key: string; label: string } | null;
  };

  /** The work queue (/api/queue; README "Work queue"). */
  queue: {
    /** How long a claimed product stays reserved for its operator (QUEUE_LEASE_SECONDS, 120). */
    leaseSeconds: number;
  };

  /** Jobs (issue 13; docs/jobs.md, README "Jobs"). */
  jobs: {
    /** Whether this instance runs jobs (JOB_RUNNER, on); off: it only creates and reads them. */
    runner: boolean;
    /** Products (units) per batch, one transaction each (JOB_BATCH_SIZE, 10,000). */
    batchSize: number;
    /** How often an idle runner looks for a job (JOB_POLL_MS, 1000). */
    pollMs: number;
    /** A running job whose owner has not heartbeated this long is taken over (JOB_STALE_SECONDS, 60). */
    staleSeconds: number;
  };

  /** Webhooks (issue 14; docs/webhooks.md). */
  webhooks: {
    /** Whether this instance delivers webhook events (WEBHOOK_WORKER, on). */
    worker: boolean;
    /**
     * Deliver to private, loopback and link-local addresses, and over http (WEBHOOK_ALLOW_PRIVATE,
     * off): for tests and local receivers only; on, a webhook can reach the internal network.
     */
    allowPrivate: boolean;
    /** How often an idle worker looks for due events (WEBHOOK_POLL_MS, 1000). */
    pollMs: number;
    /** One delivery's time limit, connection to last byte (WEBHOOK_TIMEOUT_MS, 10,000). */
    timeoutMs: number;
    /** The first retry's delay; each next one doubles, with jitter (WEBHOOK_RETRY_BASE_MS, 10,000). */
    retryBaseMs: number;
    /** The longest delay between two attempts (WEBHOOK_RETRY_MAX_MS, 1 h). */
    retryMaxMs: number;
    /** Attempts per event before it is given up (WEBHOOK_MAX_ATTEMPTS, 12). */
    maxAttempts: number;
    /** Consecutive failed deliveries that disable a webhook (WEBHOOK_DISABLE_AFTER_FAILURES, 10). */
    disableAfterFailures: number;
    /** Webhooks at most (WEBHOOK_MAX, 20). */
    maxWebhooks: number;
    /** Deliveries in flight at once per instance (WEBHOOK_CONCURRENCY, 4). */
    concurrency: number;
  };
  /** Live updates (GET /api/events; docs/live-updates.md). */
  events: {
    /** A comment line goes to each open stream this often (EVENTS_HEARTBEAT_MS, 15,000). */
    heartbeatMs: number;
    /** Open streams per client: its token, else its address (EVENTS_MAX_STREAMS_PER_CLIENT, 10). */
    maxStreamsPerClient: number;
    /** Open streams on this instance (EVENTS_MAX_STREAMS, 1,000). */
    maxStreams: number;
    /** A client more change sets behind than this gets `reset` (EVENTS_REPLAY_MAX, 1,000). */
    replayMax: number;
  };
}

export interface RateLimitConfig {
  /** false: no limits (tests, benchmarks, or a gateway that limits in front of the app). */
  enabled: boolean;
  /** Requests a minute per client on /api/products… */
  productsPerMinute: number;
  /** …on bulk writes, imports and the CSV export… */
  bulkPerMinute: number;
  /** …and on every other /api route. */
  apiPerMinute: number;
  /** Failed authentications a minute per client; past it, 429 before any token lookup. */
  authFailuresPerMinute: number;
}

export interface ConnectionsConfig {
  /** The request line and headers must arrive within this time. */
  headersTimeoutMs: number;
  /** A request body must have arrived this long after the headers (every route but uploads)… */
  requestTimeoutMs: number;
  /** …and on the upload routes (/api/import/*), which take minutes for 100 MB on a slow link. */
  uploadTimeoutMs: number;
  /** A connection on which nothing is sent or received for this long is closed. */
  idleTimeoutMs: number;
  /** How long an idle keep-alive connection is kept open for the client's next request. */
  keepAliveTimeoutMs: number;
  /** Connections beyond this many are refused (closed at once). */
  maxConnections: number;
}

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const AUTH_MODES = ['none', 'token'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

function corsOrigins(raw: string, problems: string[]): string[] {
  const origins = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let valid = false;
    try {
      const url = new URL(origin);
      valid = /^https?:$/.test(url.protocol) && url.origin === origin;
    } catch {
      valid = false;
    }
    if (!valid)
      problems.push(`CORS_ORIGINS: "${origin}" is not an origin like https://shop.example`);
  }
  return origins;
}

/** ALLOWED_HOSTS: `*` for any, else host names (`.example.com`: the domain and its subdomains). */
function allowedHosts(raw: string, problems: string[]): string[] | null {
  if (raw === '*') return null;
  const hosts = raw
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
  for (const host of hosts) {
    if (!/^\.?[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(host)) {
      problems.push(
        `ALLOWED_HOSTS: "${host}" is not a host name like tags.shop.example or .shop.example (no scheme, no port)`,
      );
    }
  }
  return hosts;
}

/** Names proxy-addr (Fastify's trustProxy) accepts for address ranges. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

function isProxyAddress(entry: string): boolean {
  if (PROXY_RANGE_NAMES.includes(entry)) return true;
  const [address = '', bits, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const max = version === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

function trustProxy(raw: string, problems: string[]): false | number | string[] {
  const lowered = raw.toLowerCase();
  if (lowered === 'false' || lowered === 'no' || lowered === '0') return false;
  if (lowered === 'true' || lowered === 'yes') {
    problems.push(
      'TRUST_PROXY=true would believe the X-Forwarded-For of any client (who could then pick their own address and escape the rate limits): name the proxy instead, e.g. TRUST_PROXY=127.0.0.1 for nginx on the same host, or the number of proxies in front (TRUST_PROXY=1)',
    );
    return false;
  }
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    if (hops > 10) problems.push(`TRUST_PROXY: a hop count must be 1 to 10 (got "${raw}")`);
    return hops;
  }
  const entries = raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!isProxyAddress(entry)) {
      problems.push(
        `TRUST_PROXY: "${entry}" is not an IP address, a CIDR range (10.0.0.0/8) or one of ${PROXY_RANGE_NAMES.join(', ')}`,
      );
    }
  }
  return entries;
}

function metricsToken(raw: string | undefined, problems: string[]): string | undefined {
  const token = raw?.trim();
  if (!token) return undefined;
  if (!/^[\x21-\x7e]{32,512}$/.test(token)) {
    problems.push(
      'METRICS_TOKEN must be 32 to 512 visible ASCII characters without spaces (e.g. `openssl rand -hex 32`)',
    );
  }
  return token;
}

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const problems: string[] = [];

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };

  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (raw === undefined || raw === '') return fallback;
    if (['true', '1', 'yes', 'on'].includes(raw)) return true;
    if (['false', '0', 'no', 'off'].includes(raw)) return false;
    problems.push(`${name} must be true or false (got "${env[name]}")`);
    return fallback;
  };

  const text = (name: string, fallback: string): string => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? fallback : raw.trim();
  };

  const logLevel = text('LOG_LEVEL', 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }

  const authMode = text('AUTH_MODE', 'none');
  if (!(AUTH_MODES as readonly string[]).includes(authMode)) {
    problems.push(`AUTH_MODE must be one of ${AUTH_MODES.join(', ')} (got "${authMode}")`);
  }

  const databaseUrl = env.DATABASE_URL?.trim();
  let database: DatabaseConfig;
  if (databaseUrl) {
    if (!/^postgres(ql)?:\/\//.test(databaseUrl)) {
      problems.push('DATABASE_URL must start with postgres:// or postgresql://');
    } else {
      try {
        new URL(databaseUrl);
      } catch {
        problems.push('DATABASE_URL is not a valid URL');
      }
    }
    database = {
      driver: 'postgres',
      url: databaseUrl,
      poolSize: integer('DB_POOL_SIZE', 10, 1, 1000),
      // Short, so that while PostgreSQL is unreachable a request fails fast with a 503.
      connectionTimeoutMs: integer('DB_CONNECTION_TIMEOUT_MS', 5000, 100, 600_000),
      idleTimeoutMs: integer('DB_IDLE_TIMEOUT_MS', 30_000, 0, 86_400_000),
      maxLifetimeSeconds: integer('DB_MAX_LIFETIME_SECONDS', 3600, 0, 604_800),
      statementTimeoutMs: integer('DB_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    };
  } else {
    database = {
      driver: 'pglite',
      dataDir: text('DATA_DIR', './data'),
      statementTimeoutMs: integer('DB_STATEMENT_TIMEOUT_MS', 30_000, 0, 3_600_000),
    };
  }

  const redisUrl = env.REDIS_URL?.trim() || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    problems.push('REDIS_URL must start with redis:// or rediss://');
  }

  const config: Config = {
    host: text('HOST', '127.0.0.1'),
    port: integer('PORT', 3000, 0, 65_535),
    logLevel: logLevel as Config['logLevel'],
    logFile: env.LOG_FILE?.trim() || undefined,
    slowRequestMs: integer('SLOW_REQUEST_MS', 1000, 1, 3_600_000),
    corsOrigins: corsOrigins(text('CORS_ORIGINS', ''), problems),
    database,
    seedProductsOnEmpty: integer('SEED_PRODUCTS_ON_EMPTY', 3000, 0, 1_000_000),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 1_048_576, 1024, 1_073_741_824),
    importMaxBytes: integer('IMPORT_MAX_BYTES', 104_857_600, 1024, 10_737_418_240),
    categoryImportMaxBytes: integer('CATEGORY_IMPORT_MAX_BYTES', 5_242_880, 1024, 104_857_600),
    bulkMaxProducts: integer('BULK_MAX_PRODUCTS', 10_000, 1, 1_000_000),
    shutdownTimeoutMs: integer('SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    connections: {
      headersTimeoutMs: integer('HEADERS_TIMEOUT_MS', 15_000, 100, 600_000),
      requestTimeoutMs: integer('REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
      uploadTimeoutMs: integer('UPLOAD_TIMEOUT_MS', 900_000, 100, 86_400_000),
      idleTimeoutMs: integer('CONNECTION_IDLE_TIMEOUT_MS', 120_000, 100, 3_600_000),
      keepAliveTimeoutMs: integer('KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 3_600_000),
      maxConnections: integer('MAX_CONNECTIONS', 1024, 1, 1_000_000),
    },
    allowedHosts: allowedHosts(text('ALLOWED_HOSTS', ''), problems),
    rateLimit: {
      enabled: flag('RATE_LIMIT_ENABLED', true),
      productsPerMinute: integer('RATE_LIMIT_PRODUCTS_PER_MINUTE', 100, 1, 10_000_000),
      bulkPerMinute: integer('RATE_LIMIT_BULK_PER_MINUTE', 20, 1, 10_000_000),
      apiPerMinute: integer('RATE_LIMIT_API_PER_MINUTE', 600, 1, 10_000_000),
      authFailuresPerMinute: integer('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', 20, 1, 10_000_000),
    },
    trustProxy: trustProxy(text('TRUST_PROXY', 'false'), problems),
    cache: {
      redisUrl,
      keyPrefix: text('CACHE_KEY_PREFIX', 'tm'),
      ttlSeconds: integer('CACHE_TTL_SECONDS', 300, 1, 86_400),
      localEntries: integer('CACHE_LOCAL_ENTRIES', 2000, 0, 1_000_000),
      enabled: flag('CACHE_ENABLED', true),
    },
    auth: {
      mode: authMode as AuthMode,
      cacheSeconds: integer('AUTH_CACHE_SECONDS', 30, 0, 300),
      metricsToken: metricsToken(env.METRICS_TOKEN, problems),
      docsPublic: flag('DOCS_PUBLIC', true),
    },
    logFormat: logFormat(text('LOG_FORMAT', 'auto'), problems),

    shopify: {
      categoryTagPrefix: shopifyTagPrefix(env.SHOPIFY_CATEGORY_TAG_PREFIX, problems),
      categoryMetafield: shopifyMetafield(
        text('SHOPIFY_CATEGORY_METAFIELD', 'custom.categories'),
        problems,
      ),
    },

    queue: { leaseSeconds: integer('QUEUE_LEASE_SECONDS', 120, 5, 3600) },

    jobs: {
      runner: flag('JOB_RUNNER', true),
      batchSize: integer('JOB_BATCH_SIZE', 10_000, 1, 100_000),
      pollMs: integer('JOB_POLL_MS', 1000, 10, 60_000),
      staleSeconds: integer('JOB_STALE_SECONDS', 60, 1, 3600),
    },

    webhooks: {
      worker: flag('WEBHOOK_WORKER', true),
      allowPrivate: flag('WEBHOOK_ALLOW_PRIVATE', false),
      pollMs: integer('WEBHOOK_POLL_MS', 1000, 10, 60_000),
      timeoutMs: integer('WEBHOOK_TIMEOUT_MS', 10_000, 100, 60_000),
      retryBaseMs: integer('WEBHOOK_RETRY_BASE_MS', 10_000, 1, 3_600_000),
      retryMaxMs: integer('WEBHOOK_RETRY_MAX_MS', 3_600_000, 1, 86_400_000),
      maxAttempts: integer('WEBHOOK_MAX_ATTEMPTS', 12, 1, 100),
      disableAfterFailures: integer('WEBHOOK_DISABLE_AFTER_FAILURES', 10, 1, 1000),
      maxWebhooks: integer('WEBHOOK_MAX', 20, 1, 1000),
      concurrency: integer('WEBHOOK_CONCURRENCY', 4, 1, 64),
    },
    events: {
      heartbeatMs: integer('EVENTS_HEARTBEAT_MS', 15_000, 10, 3_600_000),
      maxStreamsPerClient: integer('EVENTS_MAX_STREAMS_PER_CLIENT', 10, 1, 100_000),
      maxStreams: integer('EVENTS_MAX_STREAMS', 1000, 1, 1_000_000),
      replayMax: integer('EVENTS_REPLAY_MAX', 1000, 1, 100_000),
    },
  };

  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}

const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

function logFormat(value: string, problems: string[]): Config['logFormat'] {
  if ((LOG_FORMATS as readonly string[]).includes(value)) return value as Config['logFormat'];
  problems.push(`LOG_FORMAT must be one of ${LOG_FORMATS.join(', ')} (got "${value}")`);
  return 'auto';
}

/** For process entry points: the configuration, or the list of problems and exit code 1. */
export function loadConfigOrExit(): Readonly<Config> {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * The category tag prefix, kept as given (a trailing space included). Shopify separates tags
 * with commas and limits one to 255 characters, so a comma is refused and the prefix is short.
 */
function shopifyTagPrefix(raw: string | undefined, problems: string[]): string {
  const prefix = raw === undefined || raw.trim() === '' ? 'Category: ' : raw.replace(/^\s+/, '');
  if (prefix.includes(',') || [...prefix].length > 50) {
    problems.push(
      `SHOPIFY_CATEGORY_TAG_PREFIX must be at most 50 characters without a comma (got "${prefix}")`,
    );
  }
  return prefix;
}

/** `namespace.key` as Shopify allows them (namespace 3–255, key 1–64 of [A-Za-z0-9_-]), or off. */
function shopifyMetafield(
  raw: string,
  problems: string[],
): { namespace: string; key: string; label: string } | null {
  if (raw.toLowerCase() === 'off') return null;
  const match = /^([A-Za-z0-9_-]{3,255})\.([A-Za-z0-9_-]{1,64})$/.exec(raw);
  if (!match) {
    problems.push(
      `SHOPIFY_CATEGORY_METAFIELD must be namespace.key (letters, digits, _ and -) or off (got "${raw}")`,
    );
    return null;
  }
  return { namespace: match[1]!, key: match[2]!, label: 'Categories' };
}
