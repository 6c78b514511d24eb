/**
 * The Redis backend's version reads: those of all requests in flight go to Redis in one round
 * trip per turn of the event loop, and each is still exact (a read issued after a bump sees it).
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackend } from './redis-backend.js';

const URL = 'redis://127.0.0.1:6379';
const PREFIX = `test-${randomBytes(6).toString('hex')}`;

let backend: RedisBackend;
/** MGET commands sent by the backend. */
let mgets = 0;

beforeAll(async () => {
  backend = new RedisBackend(URL, PREFIX, 10, () => {});
  const redis = (backend as unknown as { redis: Redis }).redis;
  const mget = redis.mget.bind(redis) as (keys: string[]) => Promise<(string | null)[]>;
  (redis as unknown as { mget: typeof mget }).mget = (keys: string[]) => {
    mgets += 1;
    return mget(keys);
  };
  // Ready once Redis answered INFO (its run id is part of every version read).
  for (let round = 0; !backend.healthy(); round += 1) {
    if (round === 100) throw new Error('Redis did not become ready');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});
afterAll(async () => {
  await backend?.close();
  const redis = new Redis(URL);
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

describe('RedisBackend version reads', () => {
  it('coalesces the reads of one turn into one MGET, each answered with its own namespaces', async () => {
    await backend.bumpVersions(['a', 'b', 'b']);
    await backend.bumpVersions(['b', 'c']);
    const shared = ['a', 'b'];
    const before = mgets;
    const [first, second, third, fourth] = await Promise.all([
      backend.getVersions(shared),
      backend.getVersions(shared),
      backend.getVersions(['c', 'a', 'unknown']),
      backend.getVersions([]),
    ]);
    expect(mgets - before).toBe(1);
    const [runId, epoch] = first!;
    expect(typeof runId).toBe('string');
    expect(first).toEqual([runId, epoch, 1, 2]);
    expect(second).toEqual([runId, epoch, 1, 2]);
    expect(third).toEqual([runId, epoch, 1, 1, 0]);
    expect(fourth).toEqual([runId, epoch]);
  });

  it('a read issued after a bump sees it; reads of later turns make their own round trips', async () => {
    const before = mgets;
    const [, , c] = await backend.getVersions(['c']);
    await backend.bumpVersions(['c']);
    const [, , after] = await backend.getVersions(['c']);
    expect(after).toBe((c as number) + 1);
    expect(mgets - before).toBe(2);
  });

  it('asks for the run id again when INFO failed, instead of skipping the cache for good', async () => {
    const other = new RedisBackend(URL, PREFIX, 10, () => {});
    try {
      const redis = (other as unknown as { redis: { info: (...args: unknown[]) => unknown } })
        .redis;
      const info = redis.info.bind(redis);
      // The backend's own INFO (section "server"; ioredis's ready check asks without one).
      let failures = 0;
      redis.info = (...args: unknown[]) =>
        args[0] === 'server' && failures++ === 0
          ? Promise.reject(new Error('Command timed out'))
          : info(...args);
      for (let round = 0; !other.healthy(); round += 1) {
        if (round === 100) throw new Error('The run id was never learnt');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(failures).toBeGreaterThanOrEqual(2);
      expect((await other.getVersions(['a']))[0]).toBe((await backend.getVersions(['a']))[0]);
    } finally {
      await other.close();
    }
  });

  it('a failed round trip fails every read it carried', async () => {
    const redis = (backend as unknown as { redis: { mget: unknown } }).redis;
    const working = redis.mget;
    redis.mget = () => Promise.reject(new Error('Redis refused'));
    try {
      const reads = [backend.getVersions(['a']), backend.getVersions(['b'])];
      for (const read of reads) await expect(read).rejects.toThrow('Redis refused');
    } finally {
      redis.mget = working;
    }
    expect((await backend.getVersions(['a'])).length).toBe(3);
  });
});
