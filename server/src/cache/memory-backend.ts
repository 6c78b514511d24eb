import { LRUCache } from 'lru-cache';
import type { CacheBackend } from './backend.js';

/** One process, no Redis: values in an LRU, versions in a map. */
export class MemoryBackend implements CacheBackend {
  readonly kind = 'memory' as const;
  private readonly values: LRUCache<string, string>;
  private readonly versions = new Map<string, number>();

  constructor(maxEntries: number) {
    this.values = new LRUCache({ max: Math.max(maxEntries, 1) });
  }

  async getValue(key: string) {
    return this.values.get(key);
  }

  async getValues(keys: readonly string[]) {
    return keys.map((key) => this.values.get(key));
  }

  async setValue(key: string, value: string, ttlSeconds: number) {
    this.values.set(key, value, { ttl: ttlSeconds * 1000 });
  }

  async getVersions(namespaces: readonly string[]) {
    return namespaces.map((namespace) => this.versions.get(namespace) ?? 0);
  }

  async bumpVersions(namespaces: readonly string[]) {
    for (const namespace of namespaces) {
      this.versions.set(namespace, (this.versions.get(namespace) ?? 0) + 1);
    }
  }

  healthy() {
    return true;
  }

  async close() {
    this.values.clear();
  }
}
