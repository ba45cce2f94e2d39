import { describe, expect, it } from '@jest/globals';
import type { CachedKey } from '../domain/index.js';
import { KeyResolver } from './key-resolver.js';
import { KeyLookupUnavailable } from './keys-client.js';

const HASH = 'a'.repeat(64);
const KEY: CachedKey = {
  apiKeyId: 'key_1',
  accountId: 'acct_1',
  status: 'enabled',
  expiresAtMs: null,
  spendLimits: { dailyNanos: null, monthlyNanos: null },
  plan: 'payg',
  subscriptionActive: true,
  version: 1,
};

function setup(options: { loaded?: boolean; answer?: () => Promise<CachedKey | undefined> } = {}) {
  let now = 1_000_000;
  const index = new Map<string, CachedKey>();
  let listener: (hash: string | undefined) => void = () => undefined;
  const store = {
    lookup: (h: string) => index.get(h),
    isLoaded: options.loaded ?? true,
    onChange: (l: (hash: string | undefined) => void) => {
      listener = l;
    },
  };
  const calls: string[] = [];
  const client = {
    byLookupHash: (h: string) => {
      calls.push(h);
      return (options.answer ?? (() => Promise.resolve(undefined)))();
    },
  };
  const resolver = new KeyResolver(store, client, {
    negativeTtlMs: 2_000,
    positiveTtlMs: 60_000,
    maxInFlight: 2,
    clock: () => now,
  });
  return {
    resolver,
    index,
    calls,
    changed: (h: string | undefined) => listener(h),
    advance: (ms: number) => (now += ms),
  };
}

describe('KeyResolver', () => {
  it('answers from the cache without asking the keys service', async () => {
    const s = setup();
    s.index.set(HASH, KEY);
    expect(await s.resolver.resolve(HASH)).toEqual(KEY);
    expect(s.calls).toHaveLength(0);
  });

  it('remembers "no such key" for the negative TTL only, and forgets it when the cache hears of the key', async () => {
    const s = setup();
    expect(await s.resolver.resolve(HASH)).toBeUndefined();
    expect(await s.resolver.resolve(HASH)).toBeUndefined();
    expect(s.calls).toHaveLength(1);
    s.advance(2_001);
    expect(await s.resolver.resolve(HASH)).toBeUndefined();
    expect(s.calls).toHaveLength(2);
    // The key is created: the cache applies it and the negative entry is dropped.
    s.index.set(HASH, KEY);
    s.changed(HASH);
    expect(await s.resolver.resolve(HASH)).toEqual(KEY);
  });

  it('shares one lookup among concurrent misses of one hash, and refuses beyond the in-flight cap', async () => {
    const releases: ((k: CachedKey | undefined) => void)[] = [];
    const s = setup({ answer: () => new Promise((r) => releases.push(r)) });
    const a = s.resolver.resolve(HASH);
    const b = s.resolver.resolve(HASH);
    const other = s.resolver.resolve('b'.repeat(64));
    await expect(s.resolver.resolve('c'.repeat(64))).rejects.toBeInstanceOf(KeyLookupUnavailable);
    expect(s.calls).toEqual([HASH, 'b'.repeat(64)]);
    for (const release of releases) release(KEY);
    expect(await a).toEqual(KEY);
    expect(await b).toEqual(KEY);
    expect(await other).toEqual(KEY);
  });

  it('drops a found key as soon as the cache applies a change to it (a disable, a delete)', async () => {
    const s = setup({ answer: () => Promise.resolve(KEY) });
    expect(await s.resolver.resolve(HASH)).toEqual(KEY);
    expect(await s.resolver.resolve(HASH)).toEqual(KEY);
    expect(s.calls).toHaveLength(1);
    s.changed(HASH); // e.g. ApiKeyDeleted applied: the index no longer has it
    await s.resolver.resolve(HASH);
    expect(s.calls).toHaveLength(2);
  });

  it('does not remember a lookup that ran while the cache changed', async () => {
    const releases: ((k: CachedKey | undefined) => void)[] = [];
    const s = setup({ answer: () => new Promise((r) => releases.push(r)) });
    const pending = s.resolver.resolve(HASH);
    s.changed(undefined);
    releases[0]?.(KEY);
    expect(await pending).toEqual(KEY);
    const again = s.resolver.resolve(HASH);
    expect(s.calls).toHaveLength(2);
    releases[1]?.(undefined);
    expect(await again).toBeUndefined();
  });

  it('given a lookup newer than the cache, when a stale ApiKeyCreated reaches the cache, then the limit and the disable the lookup answered still hold', async () => {
    // The keys service: created (1), spend limit set (2), disabled (3).
    const newest: CachedKey = {
      ...KEY,
      status: 'disabled',
      spendLimits: { dailyNanos: 10_000_000n, monthlyNanos: null },
      version: 3,
    };
    const s = setup({ answer: () => Promise.resolve(newest) });
    expect(await s.resolver.resolve(HASH)).toEqual(newest);
    // The cache hears the key's creation only: enabled, no limit, version 1.
    s.index.set(HASH, KEY);
    s.changed(HASH);
    expect(await s.resolver.resolve(HASH)).toEqual(newest); // asked again, not the older copy
    expect(await s.resolver.resolve(HASH)).toEqual(newest); // remembered
    expect(s.calls).toHaveLength(2);
    // Still behind once the remembered answer expired: asked again.
    s.advance(60_001);
    expect(await s.resolver.resolve(HASH)).toEqual(newest);
    expect(s.calls).toHaveLength(3);
    // The cache catches up: at version 2 it is still behind (asked again), at 3 its copy is used.
    s.index.set(HASH, { ...newest, status: 'enabled', version: 2 });
    s.changed(HASH);
    expect(await s.resolver.resolve(HASH)).toEqual(newest);
    expect(s.calls).toHaveLength(4);
    s.index.set(HASH, newest);
    s.changed(HASH);
    expect(await s.resolver.resolve(HASH)).toEqual(newest);
    expect(s.calls).toHaveLength(4);
  });

  it('given a cache behind a lookup it remembered no longer, when the keys service is down, then 503 rather than the older copy', async () => {
    let up = true;
    const newest: CachedKey = { ...KEY, status: 'disabled', version: 2 };
    const s = setup({
      answer: () =>
        up ? Promise.resolve(newest) : Promise.reject(new KeyLookupUnavailable('down')),
    });
    expect(await s.resolver.resolve(HASH)).toEqual(newest);
    s.index.set(HASH, KEY);
    s.changed(HASH);
    up = false;
    await expect(s.resolver.resolve(HASH)).rejects.toBeInstanceOf(KeyLookupUnavailable);
  });

  it('prefers a cache copy newer than the lookup that ran meanwhile, and does not remember the lookup', async () => {
    const releases: (() => void)[] = [];
    const s = setup({
      answer: () => new Promise((r) => releases.push(() => r(KEY))),
    });
    const pending = s.resolver.resolve(HASH);
    const newer: CachedKey = { ...KEY, status: 'disabled', version: 2 };
    s.index.set(HASH, newer);
    s.changed(HASH);
    releases[0]?.();
    expect(await pending).toEqual(newer);
    expect(await s.resolver.resolve(HASH)).toEqual(newer);
    expect(s.calls).toHaveLength(1);
  });

  it('never says "no such key" from a cache not loaded yet when there is no keys service', async () => {
    const index = new Map<string, CachedKey>();
    const resolver = new KeyResolver(
      { lookup: (h) => index.get(h), isLoaded: false, onChange: () => undefined },
      undefined,
    );
    await expect(resolver.resolve(HASH)).rejects.toBeInstanceOf(KeyLookupUnavailable);
  });
});
