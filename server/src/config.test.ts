import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

/** The ConfigError thrown by `loadConfig(env)`, or a failure when it does not throw one. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

const METRICS_TOKEN = 'scraper-0123456789abcdef0123456789abcdef';

describe('loadConfig', () => {
  it('has working defaults for an empty environment (embedded PGlite)', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      host: '127.0.0.1',
      port: 3000,
      logLevel: 'info',
      logFile: undefined,
      slowRequestMs: 1000,
      corsOrigins: [],
      database: { driver: 'pglite', dataDir: './data', statementTimeoutMs: 30_000 },
      seedProductsOnEmpty: 3000,
      bodyLimitBytes: 1_048_576,
      importMaxBytes: 104_857_600,
      categoryImportMaxBytes: 5_242_880,
      bulkMaxProducts: 10_000,
      shutdownTimeoutMs: 10_000,
      connections: {
        headersTimeoutMs: 15_000,
        requestTimeoutMs: 30_000,
        uploadTimeoutMs: 900_000,
        idleTimeoutMs: 120_000,
        keepAliveTimeoutMs: 72_000,
        maxConnections: 1024,
      },
      allowedHosts: [],
      rateLimit: {
        enabled: true,
        productsPerMinute: 100,
        bulkPerMinute: 20,
        apiPerMinute: 600,
        authFailuresPerMinute: 20,
      },
      trustProxy: false,
      cache: {
        redisUrl: undefined,
        keyPrefix: 'tm',
        ttlSeconds: 300,
        localEntries: 2000,
        enabled: true,
      },
      auth: { mode: 'none', cacheSeconds: 30, metricsToken: undefined, docsPublic: true },
      logFormat: 'auto',

      shopify: {
        categoryTagPrefix: 'Category: ',
        categoryMetafield: { namespace: 'custom', key: 'categories', label: 'Categories' },
      },
      queue: { leaseSeconds: 120 },
      jobs: { runner: true, batchSize: 10_000, pollMs: 1000, staleSeconds: 60 },
      webhooks: {
        worker: true,
        allowPrivate: false,
        pollMs: 1000,
        timeoutMs: 10_000,
        retryBaseMs: 10_000,
        retryMaxMs: 3_600_000,
        maxAttempts: 12,
        disableAfterFailures: 10,
        maxWebhooks: 20,
        concurrency: 4,
      },
      events: { heartbeatMs: 15_000, maxStreamsPerClient: 10, maxStreams: 1000, replayMax: 1000 },
    });
  });

  it('reads the operations settings: rate limits, proxies, CORS, logging, cache switch', () => {
    const config = loadConfig({
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_PRODUCTS_PER_MINUTE: '50',
      RATE_LIMIT_BULK_PER_MINUTE: '5',
      RATE_LIMIT_API_PER_MINUTE: '1000',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '7',
      TRUST_PROXY: '127.0.0.1, 10.0.0.0/8',
      CORS_ORIGINS: 'https://shop.example,http://localhost:5173',
      LOG_FILE: '/var/log/tag-manager.log',
      SLOW_REQUEST_MS: '250',
      CACHE_ENABLED: 'off',
    });
    expect(config.rateLimit).toEqual({
      enabled: false,
      productsPerMinute: 50,
      bulkPerMinute: 5,
      apiPerMinute: 1000,
      authFailuresPerMinute: 7,
    });
    expect(config.trustProxy).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(loadConfig({ TRUST_PROXY: '::1, fd00::/8, loopback' }).trustProxy).toEqual([
      '::1',
      'fd00::/8',
      'loopback',
    ]);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(config.corsOrigins).toEqual(['https://shop.example', 'http://localhost:5173']);
    expect(config.logFile).toBe('/var/log/tag-manager.log');
    expect(config.slowRequestMs).toBe(250);
    expect(config.cache.enabled).toBe(false);
  });

  it('rejects wrong operations settings with one line each', () => {
    const error = configError({
      RATE_LIMIT_ENABLED: 'maybe',
      RATE_LIMIT_PRODUCTS_PER_MINUTE: '0',
      CORS_ORIGINS: 'shop.example, https://ok.example/path',
      CACHE_ENABLED: '2',
    });
    expect(error.problems).toHaveLength(5);
    expect(error.message).toContain('RATE_LIMIT_ENABLED must be true or false');
    expect(error.message).toContain('RATE_LIMIT_PRODUCTS_PER_MINUTE must be an integer');
    expect(error.message).toContain('"shop.example" is not an origin');
    expect(error.message).toContain('"https://ok.example/path" is not an origin');
    expect(error.message).toContain('CACHE_ENABLED must be true or false');
  });

  it('reads the connection limits and ALLOWED_HOSTS', () => {
    const config = loadConfig({
      HEADERS_TIMEOUT_MS: '5000',
      REQUEST_TIMEOUT_MS: '10000',
      UPLOAD_TIMEOUT_MS: '600000',
      CONNECTION_IDLE_TIMEOUT_MS: '60000',
      KEEP_ALIVE_TIMEOUT_MS: '5000',
      MAX_CONNECTIONS: '256',
      ALLOWED_HOSTS: ' Tags.Shop.Example , .internal.example ',
    });
    expect(config.connections).toEqual({
      headersTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
      uploadTimeoutMs: 600_000,
      idleTimeoutMs: 60_000,
      keepAliveTimeoutMs: 5000,
      maxConnections: 256,
    });
    expect(config.allowedHosts).toEqual(['tags.shop.example', '.internal.example']);
    expect(loadConfig({ ALLOWED_HOSTS: '*' }).allowedHosts).toBeNull();
  });

  it('rejects ALLOWED_HOSTS entries that are not host names, and a zero connection cap', () => {
    const error = configError({
      ALLOWED_HOSTS: 'https://tags.shop.example, tags.shop.example:443, ok.example',
      MAX_CONNECTIONS: '0',
      REQUEST_TIMEOUT_MS: 'soon',
    });
    expect(error.problems).toHaveLength(4);
    expect(error.message).toContain(
      'ALLOWED_HOSTS: "https://tags.shop.example" is not a host name',
    );
    expect(error.message).toContain('ALLOWED_HOSTS: "tags.shop.example:443" is not a host name');
    expect(error.message).toContain('MAX_CONNECTIONS must be an integer');
    expect(error.message).toContain('REQUEST_TIMEOUT_MS must be an integer');
  });

  it('returns a frozen object', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('treats empty and blank variables as unset', () => {
    const config = loadConfig({
      PORT: '',
      HOST: '   ',
      LOG_LEVEL: '',
      DATABASE_URL: ' ',
      DATA_DIR: '',
    });
    expect(config.port).toBe(3000);
    expect(config.host).toBe('127.0.0.1');
    expect(config.logLevel).toBe('info');
    expect(config.database).toEqual({
      driver: 'pglite',
      dataDir: './data',
      statementTimeoutMs: 30_000,
    });
  });

  it('reads every variable it knows, trimmed', () => {
    const config = loadConfig({
      HOST: ' 0.0.0.0 ',
      PORT: '8080',
      LOG_LEVEL: 'warn',
      DATA_DIR: '/var/lib/tag-manager',
      DB_STATEMENT_TIMEOUT_MS: '1500',
      SEED_PRODUCTS_ON_EMPTY: '0',
      BODY_LIMIT_BYTES: '2048',
      IMPORT_MAX_BYTES: '4096',
      BULK_MAX_PRODUCTS: '5',
      SHUTDOWN_TIMEOUT_MS: '2500',
      REDIS_URL: ' redis://127.0.0.1:6379/2 ',
      CACHE_KEY_PREFIX: ' shop-a ',
      CACHE_TTL_SECONDS: '60',
      CACHE_LOCAL_ENTRIES: '10',
      AUTH_MODE: ' token ',
      AUTH_CACHE_SECONDS: '0',
      METRICS_TOKEN: ` ${METRICS_TOKEN} `,
      DOCS_PUBLIC: 'false',
      LOG_FORMAT: ' pretty ',

      SHOPIFY_CATEGORY_TAG_PREFIX: ' tm: ',
      SHOPIFY_CATEGORY_METAFIELD: ' shop_data.tm-categories ',
      QUEUE_LEASE_SECONDS: ' 45 ',
      EVENTS_HEARTBEAT_MS: ' 5000 ',
      EVENTS_MAX_STREAMS_PER_CLIENT: '4',
      EVENTS_MAX_STREAMS: '200',
      EVENTS_REPLAY_MAX: '500',
    });
    expect(config).toEqual({
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'warn',
      logFile: undefined,
      slowRequestMs: 1000,
      corsOrigins: [],
      rateLimit: {
        enabled: true,
        productsPerMinute: 100,
        bulkPerMinute: 20,
        apiPerMinute: 600,
        authFailuresPerMinute: 20,
      },
      trustProxy: false,
      database: { driver: 'pglite', dataDir: '/var/lib/tag-manager', statementTimeoutMs: 1500 },
      seedProductsOnEmpty: 0,
      bodyLimitBytes: 2048,
      importMaxBytes: 4096,
      categoryImportMaxBytes: 5_242_880,
      bulkMaxProducts: 5,
      shutdownTimeoutMs: 2500,
      connections: {
        headersTimeoutMs: 15_000,
        requestTimeoutMs: 30_000,
        uploadTimeoutMs: 900_000,
        idleTimeoutMs: 120_000,
        keepAliveTimeoutMs: 72_000,
        maxConnections: 1024,
      },
      allowedHosts: [],
      cache: {
        redisUrl: 'redis://127.0.0.1:6379/2',
        keyPrefix: 'shop-a',
        ttlSeconds: 60,
        localEntries: 10,
        enabled: true,
      },
      auth: { mode: 'token', cacheSeconds: 0, metricsToken: METRICS_TOKEN, docsPublic: false },
      logFormat: 'pretty',

      // The prefix keeps its trailing space (it separates the prefix from the path).
      shopify: {
        categoryTagPrefix: 'tm: ',
        categoryMetafield: { namespace: 'shop_data', key: 'tm-categories', label: 'Categories' },
      },
      queue: { leaseSeconds: 45 },
      jobs: { runner: true, batchSize: 10_000, pollMs: 1000, staleSeconds: 60 },
      webhooks: {
        worker: true,
        allowPrivate: false,
        pollMs: 1000,
        timeoutMs: 10_000,
        retryBaseMs: 10_000,
        retryMaxMs: 3_600_000,
        maxAttempts: 12,
        disableAfterFailures: 10,
        maxWebhooks: 20,
        concurrency: 4,
      },
      events: { heartbeatMs: 5000, maxStreamsPerClient: 4, maxStreams: 200, replayMax: 500 },
    });
  });

  it('reads the Shopify file settings: metafield off, bad prefix and bad metafield refused', () => {
    expect(loadConfig({ SHOPIFY_CATEGORY_METAFIELD: 'OFF' }).shopify.categoryMetafield).toBeNull();
    const error = configError({
      SHOPIFY_CATEGORY_TAG_PREFIX: 'a, b',
      SHOPIFY_CATEGORY_METAFIELD: 'custom',
    });
    expect(error.message).toContain('SHOPIFY_CATEGORY_TAG_PREFIX');
    expect(error.message).toContain('SHOPIFY_CATEGORY_METAFIELD');
    expect(configError({ SHOPIFY_CATEGORY_METAFIELD: 'ab.key' }).message).toContain(
      'SHOPIFY_CATEGORY_METAFIELD',
    );
  });

  it('refuses a REDIS_URL that is not a redis:// URL', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://127.0.0.1:6379' })).toThrow(/REDIS_URL/);
  });

  it.each(['postgres://user:secret@db.internal:5432/tags', 'postgresql://localhost/tags'])(
    'DATABASE_URL=%s selects PostgreSQL with the pool defaults',
    (url) => {
      const config = loadConfig({ DATABASE_URL: url });
      expect(config.database).toEqual({
        driver: 'postgres',
        url,
        poolSize: 10,
        connectionTimeoutMs: 5000,
        idleTimeoutMs: 30_000,
        maxLifetimeSeconds: 3600,
        statementTimeoutMs: 30_000,
      });
    },
  );

  it('reads the pool settings next to DATABASE_URL', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://localhost/tags',
      DB_POOL_SIZE: '25',
      DB_CONNECTION_TIMEOUT_MS: '8000',
      DB_IDLE_TIMEOUT_MS: '0',
      DB_MAX_LIFETIME_SECONDS: '600',
      DB_STATEMENT_TIMEOUT_MS: '15000',
    });
    expect(config.database).toEqual({
      driver: 'postgres',
      url: 'postgres://localhost/tags',
      poolSize: 25,
      connectionTimeoutMs: 8000,
      idleTimeoutMs: 0,
      maxLifetimeSeconds: 600,
      statementTimeoutMs: 15_000,
    });
  });

  it('ignores the pool settings without DATABASE_URL (DATA_DIR is used)', () => {
    const config = loadConfig({ DB_POOL_SIZE: '25', DATA_DIR: './other' });
    expect(config.database).toEqual({
      driver: 'pglite',
      dataDir: './other',
      statementTimeoutMs: 30_000,
    });
  });

  it('applies DB_STATEMENT_TIMEOUT_MS to the embedded database too, and checks it', () => {
    expect(loadConfig({ DB_STATEMENT_TIMEOUT_MS: '0' }).database).toMatchObject({
      driver: 'pglite',
      statementTimeoutMs: 0,
    });
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: 'soon' })).toThrow(
      /DB_STATEMENT_TIMEOUT_MS must be an integer/,
    );
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '65536'],
    ['PORT', '80.5'],
    ['LOG_LEVEL', 'verbose'],
    ['LOG_FORMAT', 'text'],
    ['SEED_PRODUCTS_ON_EMPTY', '-5'],
    ['BODY_LIMIT_BYTES', '1023'],
    ['BODY_LIMIT_BYTES', '1mb'],
    ['IMPORT_MAX_BYTES', '0'],
    ['BULK_MAX_PRODUCTS', '0'],
    ['BULK_MAX_PRODUCTS', '1e9'],
    ['DATABASE_URL', 'mysql://localhost/tags'],
    ['DATABASE_URL', 'localhost:5432'],
    ['AUTH_MODE', 'tokens'],
    ['AUTH_MODE', 'TOKEN'],
    ['AUTH_MODE', 'basic'],
    ['AUTH_CACHE_SECONDS', '-1'],
    ['AUTH_CACHE_SECONDS', '301'],
    ['AUTH_CACHE_SECONDS', '0.5'],
  ])('%s=%s is refused with a ConfigError naming it', (name, value) => {
    const error = configError({ [name]: value });
    expect(error.name).toBe('ConfigError');
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]!.startsWith(`${name} `)).toBe(true);
    expect(error.message).toContain(name);
  });

  it.each([
    ['DB_POOL_SIZE', '0'],
    ['DB_POOL_SIZE', 'ten'],
    ['DB_CONNECTION_TIMEOUT_MS', '50'],
    ['DB_IDLE_TIMEOUT_MS', '-1'],
    ['DB_MAX_LIFETIME_SECONDS', '1.5'],
    ['DB_STATEMENT_TIMEOUT_MS', 'forever'],
  ])('%s=%s is refused when PostgreSQL is configured', (name, value) => {
    const error = configError({ DATABASE_URL: 'postgres://localhost/tags', [name]: value });
    expect(error.problems).toHaveLength(1);
    expect(error.message).toContain(name);
  });

  it('refuses TRUST_PROXY=true (any client could pick its address) and says what to set', () => {
    for (const value of ['true', 'TRUE', 'yes']) {
      const error = configError({ TRUST_PROXY: value });
      expect(error.problems).toHaveLength(1);
      expect(error.message).toContain('TRUST_PROXY=true would believe the X-Forwarded-For');
      expect(error.message).toContain('TRUST_PROXY=127.0.0.1');
    }
  });

  it('refuses TRUST_PROXY entries that are not addresses, ranges or hop counts', () => {
    const error = configError({ TRUST_PROXY: '127.0.0.1, nginx.local, 10.0.0.0/33' });
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('"nginx.local" is not an IP address');
    expect(error.message).toContain('"10.0.0.0/33"');
    expect(configError({ TRUST_PROXY: '11' }).message).toContain('hop count must be 1 to 10');
  });

  it('refuses a short or spaced METRICS_TOKEN', () => {
    for (const value of ['short', `${'a'.repeat(20)} ${'b'.repeat(20)}`]) {
      expect(configError({ METRICS_TOKEN: value }).message).toContain('METRICS_TOKEN must be');
    }
    expect(configError({ DOCS_PUBLIC: 'sometimes' }).message).toContain('DOCS_PUBLIC');
  });

  it('AUTH_MODE=token turns access control on; a blank AUTH_MODE means none', () => {
    expect(loadConfig({ AUTH_MODE: 'token' }).auth).toEqual({
      mode: 'token',
      cacheSeconds: 30,
      metricsToken: undefined,
      docsPublic: true,
    });
    expect(loadConfig({ AUTH_MODE: 'none', AUTH_CACHE_SECONDS: '5' }).auth).toMatchObject({
      mode: 'none',
      cacheSeconds: 5,
    });
    expect(loadConfig({ AUTH_MODE: '  ' }).auth.mode).toBe('none');
  });

  it('names the value it refused', () => {
    const error = configError({ PORT: 'eighty' });
    expect(error.message).toContain('"eighty"');
  });

  it('lists every bad variable at once, one per line', () => {
    const bad = {
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      BODY_LIMIT_BYTES: '10',
      IMPORT_MAX_BYTES: 'lots',
      BULK_MAX_PRODUCTS: '-1',
      SEED_PRODUCTS_ON_EMPTY: 'many',
      DATABASE_URL: 'postgres://localhost/tags',
      DB_POOL_SIZE: '0',
      DB_CONNECTION_TIMEOUT_MS: 'soon',
    };
    const error = configError(bad);
    expect(error.problems).toHaveLength(Object.keys(bad).length - 1);
    for (const name of Object.keys(bad).filter((key) => key !== 'DATABASE_URL')) {
      expect(error.message).toContain(name);
      expect(error.problems.filter((problem) => problem.startsWith(`${name} `))).toHaveLength(1);
    }
    expect(error.message.split('\n')).toHaveLength(error.problems.length + 1);
    expect(error.message.startsWith('Invalid configuration:')).toBe(true);
  });

  it('does not read process.env when given an environment', () => {
    const previous = process.env.PORT;
    process.env.PORT = 'not-a-port';
    try {
      expect(loadConfig({}).port).toBe(3000);
    } finally {
      if (previous === undefined) delete process.env.PORT;
      else process.env.PORT = previous;
    }
  });
});

describe('QUEUE_LEASE_SECONDS', () => {
  it('is refused outside 5-3600 seconds', () => {
    for (const value of ['4', '3601', 'two', '1.5']) {
      expect(() => loadConfig({ QUEUE_LEASE_SECONDS: value }), value).toThrow(
        /QUEUE_LEASE_SECONDS/,
      );
    }
  });
});
