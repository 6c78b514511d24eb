/**
 * Token management (create, list, revoke) with AUTH_MODE=none, where it is open like the rest of
 * the API; how tokens are stored; and the verification cache and its revocation window.
 */
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryOne, queryRows } from '../../db/client.js';
import { expectErrorEnvelope } from '../../../test/helpers/envelope.js';
import {
  createTestApp,
  invariantViolations,
  snapshot,
  type TestApp,
} from '../../../test/helpers/test-app.js';
import { generateToken, hashToken, TOKEN_PATTERN, tokenPrefix } from './access.js';
import { LAST_USED_RESOLUTION_MS, NEGATIVE_CACHE_MS, TokenService } from './tokens.service.js';

const SYSTEM = { actor: 'test', source: 'system' as const };

/** A clock the test moves by hand (the services' `now` option), so no test waits in real time. */
function manualClock(start = Date.now()) {
  let time = start;
  return {
    now: () => time,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

let test: TestApp;
beforeAll(async () => {
  test = await createTestApp();
});
afterAll(async () => {
  expect(await invariantViolations(test.db)).toEqual([]);
  await test.close();
});

async function createToken(body: { name: string; role: string }) {
  const response = await test.request({ method: 'POST', url: '/api/tokens', payload: body });
  expect(response.statusCode, response.body).toBe(201);
  return { response, token: response.json().data };
}

describe('the token API (AUTH_MODE=none: open like every other endpoint)', () => {
  it('creates a token and shows its secret once, not to be cached', async () => {
    const { response, token } = await createToken({ name: '  CI   pipeline ', role: 'editor' });
    expect(response.headers['cache-control']).toBe('no-store');
    expect(token).toEqual({
      id: expect.any(Number),
      name: 'CI pipeline',
      role: 'editor',
      prefix: token.secret.slice(0, 8),
      created_at: expect.any(String),
      last_used_at: null,
      revoked_at: null,
      secret: expect.stringMatching(TOKEN_PATTERN),
    });

    const list = await test.request('/api/tokens');
    expect(list.statusCode).toBe(200);
    const listed = list.json().data.find((entry: { id: number }) => entry.id === token.id);
    const { secret, ...withoutSecret } = token;
    expect(listed).toEqual(withoutSecret);
    expect(list.body).not.toContain(secret);
    expect(list.json().metadata.total_tokens).toBeGreaterThanOrEqual(1);
  });

  it('stores only the SHA-256 of the secret and its first 8 characters', async () => {
    const { token } = await createToken({ name: 'hash check', role: 'viewer' });
    const row = await queryOne<{ token_hash: string; token_prefix: string; everything: string }>(
      test.db,
      sql`select token_hash, token_prefix, t::text as everything from api_tokens t where id = ${token.id}`,
    );
    expect(row!.token_hash).toBe(hashToken(token.secret));
    expect(row!.token_prefix).toBe(token.secret.slice(0, 8));
    expect(row!.everything).not.toContain(token.secret);
    expect(row!.everything).not.toContain(token.secret.slice(8));
    // Nor anywhere else: the change log records the token without its secret.
    const changes = await queryRows<{ text: string }>(
      test.db,
      sql`select c::text as text from change_sets c`,
    );
    for (const change of changes) expect(change.text).not.toContain(token.secret.slice(8));
  });

  it('revokes a token; revoking it again answers the same and records nothing new', async () => {
    const { token } = await createToken({ name: 'to revoke', role: 'admin' });
    const first = await test.request({ method: 'DELETE', url: `/api/tokens/${token.id}` });
    expect(first.statusCode).toBe(200);
    expect(first.json().data.revoked_at).toEqual(expect.any(String));
    const before = await snapshot(test.db);
    const again = await test.request({ method: 'DELETE', url: `/api/tokens/${token.id}` });
    expect(again.statusCode).toBe(200);
    expect(again.json().data).toEqual(first.json().data);
    expect(await snapshot(test.db)).toEqual(before);

    const changes = await test.request('/api/changes?limit=2');
    expect(changes.json().data.map((change: { kind: string }) => change.kind)).toEqual([
      'token.revoke',
      'token.create',
    ]);
    const list = await test.request('/api/tokens');
    const { metadata } = list.json();
    expect(metadata.active_tokens).toBe(metadata.total_tokens - 1);
  });

  it('answers 404 for an unknown token', async () => {
    const before = await snapshot(test.db);
    const response = await test.request({ method: 'DELETE', url: '/api/tokens/999999' });
    expectErrorEnvelope(response, 404, 'NOT_FOUND');
    expect(await snapshot(test.db)).toEqual(before);
  });

  it.each([
    [{ name: '', role: 'viewer' }, 'name'],
    [{ name: '   ', role: 'viewer' }, 'name'],
    [{ name: 'tab\there', role: 'viewer' }, 'name'],
    [{ name: 'x'.repeat(101), role: 'viewer' }, 'name'],
    [{ name: 'owner', role: 'owner' }, 'role'],
    [{ name: 'no role' }, 'role'],
    [{ name: 'extra', role: 'viewer', secret: 'tm_mine' }, 'secret'],
  ])('refuses %j with 422 on %s and stores nothing', async (payload, field) => {
    const before = await snapshot(test.db);
    const response = await test.request({ method: 'POST', url: '/api/tokens', payload });
    expectErrorEnvelope(response, 422, 'VALIDATION_ERROR', field);
    expect(await snapshot(test.db)).toEqual(before);
  });

  it('checks nothing in AUTH_MODE=none, whatever Authorization says', async () => {
    const response = await test.request({
      method: 'GET',
      url: '/api/stats',
      headers: { authorization: 'Bearer not-a-token' },
    });
    expect(response.statusCode).toBe(200);
    const changes = await test.request({
      method: 'POST',
      url: '/api/categories',
      headers: { authorization: 'Basic nonsense' },
      payload: { name: 'Open mode' },
    });
    expect(changes.statusCode).toBe(201);
    const latest = (await test.request('/api/changes?limit=1')).json().data[0];
    expect(latest.actor).toBe('api');
  });

  it('documents the role each operation needs, with the bearer scheme optional', async () => {
    const document = (await test.app.inject('/openapi.json')).json();
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.paths['/api/tokens'].post['x-required-role']).toBe('admin');
    expect(document.paths['/api/categories'].post['x-required-role']).toBe('editor');
    expect(document.paths['/api/categories'].get['x-required-role']).toBe('viewer');
    // Issue 10: open with AUTH_MODE=none, said per operation (a token is accepted, not needed).
    expect(document.paths['/api/categories'].get.security).toEqual([{ bearerAuth: [] }, {}]);
    expect(document.paths['/api/categories'].get.description).toMatch(/needs a viewer token/);
    expect(document.paths['/health/live'].get['x-required-role']).toBeUndefined();
  });
});

describe('tokens made while the API was open (listed at start-up in token mode)', () => {
  it('names the active ones the open API made, or whose creation is not in the change log', async () => {
    const open = (await createToken({ name: 'made while open', role: 'admin' })).token;
    const openRevoked = (await createToken({ name: 'open then revoked', role: 'viewer' })).token;
    await test.request({ method: 'DELETE', url: `/api/tokens/${openRevoked.id}` });
    const cli = await test.app.tokens.create(
      { name: 'from the CLI', role: 'admin' },
      { actor: 'cli', source: 'cli' },
    );
    const byToken = await test.app.tokens.create(
      { name: 'by an admin token', role: 'viewer' },
      { actor: 'token:1:admin', source: 'api' },
    );
    const unrecorded = await test.app.tokens.create({ name: 'log pruned', role: 'editor' }, SYSTEM);
    await test.db.execute(
      sql`delete from change_sets where kind = 'token.create' and after ->> 'id' = ${String(unrecorded.id)}`,
    );

    const listed = await test.app.tokens.untrustedTokens();
    const byId = new Map(listed.map((token) => [token.id, token.origin]));
    expect(byId.get(open.id)).toBe('open_api');
    expect(byId.get(unrecorded.id)).toBe('unrecorded');
    for (const trusted of [openRevoked.id, cli.id, byToken.id])
      expect(byId.has(trusted)).toBe(false);
    expect(listed.find((token) => token.id === open.id)).toMatchObject({
      name: 'made while open',
      role: 'admin',
      prefix: open.prefix,
    });
  });
});

describe('TokenService.resolve (the command line names tokens by id, prefix or secret)', () => {
  it('finds a token by id, by prefix and by its secret', async () => {
    const service = new TokenService(test.db, { cacheSeconds: 0 });
    const created = await service.create({ name: 'resolve me', role: 'viewer' }, SYSTEM);
    const { secret, ...token } = created;
    expect(await service.resolve(String(created.id))).toEqual(token);
    expect(await service.resolve(created.prefix)).toEqual(token);
    expect(await service.resolve(secret)).toEqual(token);
  });

  it('refuses a reference that is neither, an unknown one and an ambiguous prefix', async () => {
    const service = new TokenService(test.db, { cacheSeconds: 0 });
    await expect(service.resolve('abc')).rejects.toMatchObject({ statusCode: 422 });
    await expect(service.resolve('999999')).rejects.toMatchObject({ statusCode: 404 });
    await expect(service.resolve('tm_zzzzz')).rejects.toMatchObject({ statusCode: 404 });
    const first = await service.create({ name: 'twin 1', role: 'viewer' }, SYSTEM);
    const second = await service.create({ name: 'twin 2', role: 'viewer' }, SYSTEM);
    await test.db.execute(
      sql`update api_tokens set token_prefix = ${first.prefix} where id = ${second.id}`,
    );
    await expect(service.resolve(first.prefix)).rejects.toMatchObject({
      statusCode: 409,
      details: { reason: 'ambiguous_prefix', ids: [first.id, second.id] },
    });
  });
});

describe('verification', () => {
  const lastUsed = async (id: number) =>
    (
      await queryOne<{ last_used_at: string | null }>(
        test.db,
        sql`select last_used_at::text from api_tokens where id = ${id}`,
      )
    )?.last_used_at;

  it('refuses unknown, malformed and revoked secrets', async () => {
    const service = new TokenService(test.db, { cacheSeconds: 30 });
    const created = await service.create({ name: 'verify', role: 'editor' }, SYSTEM);
    expect(await service.authenticate(created.secret)).toEqual({
      ok: true,
      token: { id: created.id, name: 'verify', role: 'editor', prefix: created.prefix },
    });
    expect(await service.authenticate('tm_short')).toEqual({ ok: false, reason: 'invalid_token' });
    expect(await service.authenticate(`${created.secret.slice(0, -1)}_`)).toMatchObject({
      ok: false,
    });
    await service.revoke(created.id, SYSTEM);
    // The instance that revoked it forgets it at once, cache or not.
    expect(await service.authenticate(created.secret)).toEqual({
      ok: false,
      reason: 'revoked_token',
    });
  });

  it('another instance keeps trusting a revoked token for AUTH_CACHE_SECONDS at most', async () => {
    const clock = manualClock();
    const revoker = new TokenService(test.db, { cacheSeconds: 30 });
    const other = new TokenService(test.db, { cacheSeconds: 30, now: clock.now });
    const created = await revoker.create({ name: 'window', role: 'viewer' }, SYSTEM);
    expect((await other.authenticate(created.secret)).ok).toBe(true);
    await revoker.revoke(created.id, SYSTEM);
    expect((await revoker.authenticate(created.secret)).ok).toBe(false);
    // Within the window (to its last millisecond) the other instance still has it verified…
    expect((await other.authenticate(created.secret)).ok).toBe(true);
    clock.advance(30_000);
    expect((await other.authenticate(created.secret)).ok).toBe(true);
    clock.advance(1);
    // …and after it, asks the database again.
    expect(await other.authenticate(created.secret)).toEqual({
      ok: false,
      reason: 'revoked_token',
    });
  });

  it('without a cache (AUTH_CACHE_SECONDS=0) a revocation elsewhere counts at once', async () => {
    const revoker = new TokenService(test.db, { cacheSeconds: 0 });
    const other = new TokenService(test.db, { cacheSeconds: 0 });
    const created = await revoker.create({ name: 'no cache', role: 'viewer' }, SYSTEM);
    expect((await other.authenticate(created.secret)).ok).toBe(true);
    await revoker.revoke(created.id, SYSTEM);
    expect((await other.authenticate(created.secret)).ok).toBe(false);
  });

  it('records the last use at most once a minute per token', async () => {
    const service = new TokenService(test.db, { cacheSeconds: 30 });
    const created = await service.create({ name: 'last use', role: 'viewer' }, SYSTEM);
    const start = Date.now();
    await service.authenticate(created.secret, start);
    const recorded = await lastUsed(created.id);
    expect(recorded).not.toBeNull();

    // A mark that shows whether anything writes again.
    await test.db.execute(
      sql`update api_tokens set last_used_at = '2000-01-01T00:00:00Z' where id = ${created.id}`,
    );
    const mark = await lastUsed(created.id);
    for (let second = 1; second < 60; second += 10) {
      await service.authenticate(created.secret, start + second * 1000);
    }
    expect(await lastUsed(created.id)).toBe(mark);

    await service.authenticate(created.secret, start + LAST_USED_RESOLUTION_MS);
    expect(await lastUsed(created.id)).not.toBe(mark);
  });

  it('without a cache, reads the last use from the database to keep the same pace', async () => {
    const service = new TokenService(test.db, { cacheSeconds: 0 });
    const created = await service.create({ name: 'paced', role: 'viewer' }, SYSTEM);
    await test.db.execute(
      sql`update api_tokens set last_used_at = now() - interval '30 seconds' where id = ${created.id}`,
    );
    const before = await lastUsed(created.id);
    await service.authenticate(created.secret);
    await service.authenticate(created.secret);
    expect(await lastUsed(created.id)).toBe(before);
    await test.db.execute(
      sql`update api_tokens set last_used_at = now() - interval '2 minutes' where id = ${created.id}`,
    );
    const old = await lastUsed(created.id);
    await service.authenticate(created.secret);
    expect(await lastUsed(created.id)).not.toBe(old);
  });
});

describe('refusals remembered by hash (negative cache)', () => {
  /** A token stored behind the service's back, as another instance or the CLI would. */
  const insertBehindItsBack = (secret: string) =>
    test.db.execute(
      sql`insert into api_tokens (name, role, token_hash, token_prefix)
          values ('elsewhere', 'viewer', ${hashToken(secret)}, ${tokenPrefix(secret)})`,
    );

  it.runIf(process.env.TEST_DATABASE !== 'pglite')(
    'asks the database once per bad secret, not once per attempt',
    async () => {
      // The service's own statements are counted (the pool's acquisitions also counted the
      // app's background readers, e.g. the webhook worker's poll: 6 in one CI run).
      let trips = 0;
      const counted = new Proxy(test.db, {
        get(target, property) {
          const value = Reflect.get(target, property, target) as unknown;
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (property === 'execute') trips += 1;
            return (value as (...inner: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      const service = new TokenService(counted, { cacheSeconds: 30 });
      const secrets = Array.from({ length: 5 }, () => generateToken());
      for (let round = 0; round < 20; round += 1) {
        for (const secret of secrets) {
          expect(await service.authenticate(secret)).toEqual({
            ok: false,
            reason: 'invalid_token',
          });
        }
      }
      expect(trips).toBe(5);
    },
  );

  it('a token created after a flood of bad secrets works at once', async () => {
    const service = new TokenService(test.db, { cacheSeconds: 0 });
    for (let i = 0; i < 50; i += 1) await service.authenticate(generateToken());
    const created = await service.create({ name: 'after the flood', role: 'viewer' }, SYSTEM);
    expect((await service.authenticate(created.secret)).ok).toBe(true);
  });

  it('a secret refused before its token existed elsewhere is refused for the window only', async () => {
    const clock = manualClock();
    const service = new TokenService(test.db, { cacheSeconds: 0, now: clock.now });
    const secret = generateToken();
    expect((await service.authenticate(secret)).ok).toBe(false);
    await insertBehindItsBack(secret);
    expect(await service.authenticate(secret)).toEqual({ ok: false, reason: 'invalid_token' });
    clock.advance(NEGATIVE_CACHE_MS);
    expect(await service.authenticate(secret)).toEqual({ ok: false, reason: 'invalid_token' });
    clock.advance(1);
    expect((await service.authenticate(secret)).ok).toBe(true);
  });

  it('remembers a revocation made here, and a revoked token seen in the database', async () => {
    const service = new TokenService(test.db, { cacheSeconds: 30 });
    const created = await service.create({ name: 'revoked twice', role: 'viewer' }, SYSTEM);
    expect((await service.authenticate(created.secret)).ok).toBe(true);
    await service.revoke(created.id, SYSTEM);
    expect(await service.authenticate(created.secret)).toEqual({
      ok: false,
      reason: 'revoked_token',
    });
    const other = new TokenService(test.db, { cacheSeconds: 30 });
    expect(await other.authenticate(created.secret)).toEqual({
      ok: false,
      reason: 'revoked_token',
    });
    expect(await other.authenticate(created.secret)).toEqual({
      ok: false,
      reason: 'revoked_token',
    });
  });
});

describe.runIf(process.env.TEST_DATABASE !== 'pglite')('two app instances (PostgreSQL)', () => {
  it('a revocation on one reaches the other within its AUTH_CACHE_SECONDS', async () => {
    const clock = manualClock();
    const first = await test.peer({ AUTH_MODE: 'token', AUTH_CACHE_SECONDS: '30' });
    const second = await test.peer(
      { AUTH_MODE: 'token', AUTH_CACHE_SECONDS: '5' },
      { now: clock.now },
    );
    try {
      const admin = await first.app.tokens.create({ name: 'peer admin', role: 'admin' }, SYSTEM);
      const victim = await first.app.tokens.create({ name: 'peer victim', role: 'viewer' }, SYSTEM);
      const as = (secret: string) => ({ authorization: `Bearer ${secret}` });
      const read = (instance: TestApp) =>
        instance.request({ method: 'GET', url: '/api/stats', headers: as(victim.secret) });

      expect((await read(second)).statusCode).toBe(200);
      const revoked = await first.request({
        method: 'DELETE',
        url: `/api/tokens/${victim.id}`,
        headers: as(admin.secret),
      });
      expect(revoked.statusCode).toBe(200);
      expect((await read(first)).statusCode).toBe(401);
      expect((await read(second)).statusCode).toBe(200);
      clock.advance(5_000); // the window's last millisecond: still trusted
      expect((await read(second)).statusCode).toBe(200);
      clock.advance(1);
      expect((await read(second)).statusCode).toBe(401);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
