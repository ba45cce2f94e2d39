import type { CachedKey } from '../domain/index.js';
import type { KeyStore } from './key-store.js';
import { KeyLookupUnavailable, type KeysClient } from './keys-client.js';

export interface KeyResolverOptions {
  /** How long "no such key" from the keys service is believed (default 2 s). */
  readonly negativeTtlMs?: number;
  /** How long a key found by the keys service is used until the cache hears of it (60 s). */
  readonly positiveTtlMs?: number;
  /** Entries per cache, the oldest dropped first (10,000). */
  readonly maxEntries?: number;
  /** Lookups in flight at once; beyond, a miss answers 503 (64). */
  readonly maxInFlight?: number;
  readonly clock?: () => number;
}

/** A map with a size cap and an expiry per entry. */
class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; expiresAtMs: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly clock: () => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.clock()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { value, expiresAtMs: this.clock() + ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}

const NOT_FOUND = Symbol('not found');

/**
 * Finds the key of a lookup hash: the key cache first (memory, fed by keys.v1), and on a miss the
 * keys service, authoritatively (issue #10, item 7), so a key works on its very first call even
 * before its ApiKeyCreated reached this gateway (or while this gateway's consumer is still
 * rejoining its group after a restart).
 *
 * - A "no such key" answer is remembered for a short while, so unknown keys (a leaked list, a
 *   brute force with valid checksums) cost the keys service at most one call per key and TTL;
 *   concurrent misses of one hash share one call; at most `maxInFlight` calls run at once.
 * - A found key is used for up to `positiveTtlMs`, unless the key cache hears of that key first:
 *   every change the cache applies (a disable, a delete) drops the entry, and a lookup that was
 *   running while any key changed is not remembered at all, so it cannot outlive a change.
 */
export class KeyResolver {
  private readonly negative: ExpiringMap<typeof NOT_FOUND>;
  private readonly positive: ExpiringMap<CachedKey>;
  private readonly inFlight = new Map<string, Promise<CachedKey | undefined>>();
  private readonly negativeTtlMs: number;
  private readonly positiveTtlMs: number;
  private readonly maxInFlight: number;
  /** Bumped on every change the key cache applies. */
  private changes = 0;
  /** Calls made to the keys service (tests and metrics read it). */
  lookups = 0;

  constructor(
    private readonly store: Pick<KeyStore, 'lookup' | 'isLoaded' | 'onChange'>,
    private readonly client: Pick<KeysClient, 'byLookupHash'> | undefined,
    options: KeyResolverOptions = {},
  ) {
    const clock = options.clock ?? Date.now;
    const maxEntries = options.maxEntries ?? 10_000;
    this.negative = new ExpiringMap(maxEntries, clock);
    this.positive = new ExpiringMap(maxEntries, clock);
    this.negativeTtlMs = options.negativeTtlMs ?? 2_000;
    this.positiveTtlMs = options.positiveTtlMs ?? 60_000;
    this.maxInFlight = options.maxInFlight ?? 64;
    store.onChange((hash) => {
      this.changes += 1;
      if (hash === undefined) {
        this.negative.clear();
        this.positive.clear();
      } else {
        this.negative.delete(hash);
        this.positive.delete(hash);
      }
    });
  }

  /**
   * The key of `hash`, or undefined when there is none.
   * @throws KeyLookupUnavailable when the cache misses and the keys service cannot answer.
   */
  async resolve(hash: string): Promise<CachedKey | undefined> {
    const cached = this.store.lookup(hash);
    if (cached !== undefined) return cached;
    if (this.client === undefined) {
      // Never decide "no such key" on a cache that has not been read yet.
      if (!this.store.isLoaded) throw new KeyLookupUnavailable('the key cache is not loaded yet');
      return undefined;
    }
    if (this.negative.get(hash) !== undefined) return undefined;
    const found = this.positive.get(hash);
    if (found !== undefined) return found;
    const running = this.inFlight.get(hash);
    if (running !== undefined) return running;
    if (this.inFlight.size >= this.maxInFlight) {
      throw new KeyLookupUnavailable('too many key lookups in flight');
    }
    const lookup = this.ask(this.client, hash).finally(() => this.inFlight.delete(hash));
    this.inFlight.set(hash, lookup);
    return lookup;
  }

  private async ask(
    client: Pick<KeysClient, 'byLookupHash'>,
    hash: string,
  ): Promise<CachedKey | undefined> {
    const changesBefore = this.changes;
    this.lookups += 1;
    const found = await client.byLookupHash(hash);
    // The cache may have heard of the key meanwhile: it is the fresher source.
    const now = this.store.lookup(hash);
    if (now !== undefined) return now;
    if (this.changes === changesBefore) {
      if (found === undefined) this.negative.set(hash, NOT_FOUND, this.negativeTtlMs);
      else this.positive.set(hash, found, this.positiveTtlMs);
    }
    return found;
  }
}
