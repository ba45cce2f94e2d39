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
 * - A found key carries its version (how many keys.v1 events the keys service published for it;
 *   the cache counts the ones it applied the same way). The cache's copy is used only once it is
 *   at least that version: a cache that heard the key's ApiKeyCreated but not yet the disable or
 *   the spend limit the lookup already answered must not lift them. Until then the lookup's
 *   answer is used for up to `positiveTtlMs`, and the keys service asked again after that (or
 *   when it cannot answer, 503: never the older copy).
 * - Every change the cache applies to a key forgets both answers about it (a deletion leaves the
 *   cache without the key, so only forgetting keeps a deleted key from working), and a lookup
 *   that ran while the cache changed is not remembered; what a lookup taught of the key's version
 *   is kept, so an older copy is still not preferred.
 */
export class KeyResolver {
  private readonly negative: ExpiringMap<typeof NOT_FOUND>;
  private readonly positive: ExpiringMap<CachedKey>;
  /** The highest version the keys service answered for a hash the cache has not caught up with. */
  private readonly floor: ExpiringMap<number>;
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
    this.floor = new ExpiringMap(maxEntries, clock);
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
   * @throws KeyLookupUnavailable when the cache misses (or is behind) and the keys service cannot
   * answer.
   */
  async resolve(hash: string): Promise<CachedKey | undefined> {
    const cached = this.store.lookup(hash);
    if (cached !== undefined) {
      const floor = this.floor.get(hash);
      if (floor === undefined) return cached;
      if (cached.version >= floor) {
        this.floor.delete(hash);
        this.positive.delete(hash);
        return cached;
      }
    }
    if (this.client === undefined) {
      if (cached !== undefined) return cached;
      // Never decide "no such key" on a cache that has not been read yet.
      if (!this.store.isLoaded) throw new KeyLookupUnavailable('the key cache is not loaded yet');
      return undefined;
    }
    const found = this.positive.get(hash);
    if (found !== undefined) return found;
    if (cached === undefined && this.negative.get(hash) !== undefined) return undefined;
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
    const now = this.store.lookup(hash);
    if (found === undefined) {
      // The cache may have heard of the key meanwhile (created after the lookup read).
      if (now !== undefined) return now;
      if (this.changes === changesBefore) this.negative.set(hash, NOT_FOUND, this.negativeTtlMs);
      return undefined;
    }
    // Whichever copy has seen more of the key's events is the newer one.
    if (now !== undefined && now.version >= found.version) return now;
    this.floor.set(hash, Math.max(found.version, this.floor.get(hash) ?? 0), Infinity);
    // Not remembered when the cache changed meanwhile (a deletion it applied may be newer).
    if (this.changes === changesBefore) this.positive.set(hash, found, this.positiveTtlMs);
    return found;
  }
}
