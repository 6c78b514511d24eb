/** Where cached values and namespace versions live: in this process, or in Redis. */
export interface CacheBackend {
  readonly kind: 'memory' | 'redis';
  getValue(key: string): Promise<string | undefined>;
  /** Several values at once (one round trip to a shared store); undefined where absent. */
  getValues(keys: readonly string[]): Promise<(string | undefined)[]>;
  setValue(key: string, value: string, ttlSeconds: number): Promise<void>;
  /**
   * What identifies the current state of these namespaces (their versions, and whatever else
   * the store needs, such as its own identity): part of every cache key.
   */
  getVersions(namespaces: readonly string[]): Promise<(number | string)[]>;
  bumpVersions(namespaces: readonly string[]): Promise<void>;
  /** Whether the shared store answers; the memory backend always does. */
  healthy(): boolean;
  close(): Promise<void>;
}
