// The gateway's copy of the API keys, fed by `keys.v1`: what a key row becomes after each event
// (evolve), the in-memory index the hot path reads, and the authentication decision.
import type { ApiKeyPlan, KeysEvent } from '@billing/contracts';
import { hasValidChecksum, lookupHash } from '@billing/api-keys';
import { fail, failures, ok, type Result } from './errors.js';
import {
  NO_SPEND_LIMITS,
  sameSpendLimits,
  spendLimitsOfEvent,
  type KeySpendLimits,
} from './key-spend-limits.js';

/** `deleted` is kept as a tombstone so that a replayed ApiKeyCreated cannot bring a key back. */
export type CachedKeyStatus = 'enabled' | 'disabled' | 'deleted';

export interface KeyRow {
  readonly apiKeyId: string;
  readonly accountId: string;
  readonly lookupHash: string;
  readonly status: CachedKeyStatus;
  /** When the key stops working (epoch ms); null, never. */
  readonly expiresAtMs: number | null;
  /** Its spend limits, sent with every hold (key-spend-limits.ts). */
  readonly spendLimits: KeySpendLimits;
  /** Set at creation, never changed: `builder` keys are limited (builder-plan.ts). */
  readonly plan: ApiKeyPlan;
  /**
   * Whether the Builder subscription paying for a builder key is active (ApiKeySubscriptionChanged;
   * true from creation, which needs one). Always true for a pay-as-you-go key.
   */
  readonly subscriptionActive: boolean;
  /**
   * How many keys.v1 events were applied to the key (its ApiKeyCreated is 1), which the keys
   * service counts the same way: the newer of two copies of a key is the one with the higher.
   */
  readonly version: number;
}

/**
 * The row after `event`, counted in its version, or undefined for an event that cannot apply: a
 * creation of a key already known (a replay: its later updates must not be undone), or anything
 * about a key never seen. An event that changes nothing else (a rename, anything after a deletion)
 * still counts, as the keys service counted it when it published it.
 */
export function evolveKey(row: KeyRow | undefined, event: KeysEvent): KeyRow | undefined {
  if (event.type === 'ApiKeyCreated') return row === undefined ? created(event) : undefined;
  if (row === undefined) return undefined;
  return { ...(changedKey(row, event) ?? row), version: row.version + 1 };
}

function created(event: Extract<KeysEvent, { type: 'ApiKeyCreated' }>): KeyRow {
  return {
    apiKeyId: event.data.apiKeyId,
    accountId: event.accountId,
    lookupHash: event.data.lookupHash,
    status: event.data.status,
    expiresAtMs: msOf(event.data.expiresAt),
    spendLimits: NO_SPEND_LIMITS,
    plan: event.data.plan,
    subscriptionActive: true,
    version: 1,
  };
}

/** The key's row after an event of a key already known, or undefined when nothing changes. */
function changedKey(row: KeyRow, event: KeysEvent): KeyRow | undefined {
  switch (event.type) {
    case 'ApiKeyCreated':
      return undefined;
    case 'ApiKeyUpdated':
      if (row.status === 'deleted') return undefined;
      if (event.data.status === undefined || event.data.status === row.status) return undefined;
      return { ...row, status: event.data.status };
    case 'ApiKeyDeleted':
      if (row.status === 'deleted') return undefined;
      return { ...row, status: 'deleted' };
    case 'ApiKeyExpiryChanged': {
      if (row.status === 'deleted') return undefined;
      const expiresAtMs = msOf(event.data.expiresAt);
      if (expiresAtMs === row.expiresAtMs) return undefined;
      return { ...row, expiresAtMs };
    }
    case 'ApiKeySpendLimitChanged': {
      if (row.status === 'deleted') return undefined;
      const spendLimits = spendLimitsOfEvent(event.data);
      if (sameSpendLimits(spendLimits, row.spendLimits)) return undefined;
      return { ...row, spendLimits };
    }
    case 'ApiKeySubscriptionChanged':
      if (row.status === 'deleted' || row.plan !== 'builder') return undefined;
      if (event.data.active === row.subscriptionActive) return undefined;
      return { ...row, subscriptionActive: event.data.active };
  }
}

/** A contract timestamp (validated by the decoder) in epoch ms; absent, null. */
function msOf(iso: string | undefined): number | null {
  return iso === undefined ? null : Date.parse(iso);
}

export interface CachedKey {
  readonly apiKeyId: string;
  readonly accountId: string;
  readonly status: 'enabled' | 'disabled';
  /** When the key stops working (epoch ms); null, never. */
  readonly expiresAtMs: number | null;
  readonly spendLimits: KeySpendLimits;
  readonly plan: ApiKeyPlan;
  /** Whether a builder key's subscription is active (KeyRow.subscriptionActive). */
  readonly subscriptionActive: boolean;
  /** The keys.v1 events this copy reflects (KeyRow.version; 0 from a keys service without it). */
  readonly version: number;
}

/** The in-memory index by lookup hash: what every request reads, with no I/O. */
export class KeyIndex {
  private readonly byHash = new Map<string, CachedKey>();
  private readonly hashById = new Map<string, string>();

  get size(): number {
    return this.byHash.size;
  }

  lookup(hash: string): CachedKey | undefined {
    return this.byHash.get(hash);
  }

  /** Puts a row's latest state in the index (a deleted key leaves it). */
  apply(row: KeyRow): void {
    const previousHash = this.hashById.get(row.apiKeyId);
    if (previousHash !== undefined) this.byHash.delete(previousHash);
    if (row.status === 'deleted') {
      this.hashById.delete(row.apiKeyId);
      return;
    }
    this.byHash.set(row.lookupHash, {
      apiKeyId: row.apiKeyId,
      accountId: row.accountId,
      status: row.status,
      expiresAtMs: row.expiresAtMs,
      spendLimits: row.spendLimits,
      plan: row.plan,
      subscriptionActive: row.subscriptionActive,
      version: row.version,
    });
    this.hashById.set(row.apiKeyId, row.lookupHash);
  }

  replaceAll(rows: Iterable<KeyRow>): void {
    this.byHash.clear();
    this.hashById.clear();
    for (const row of rows) this.apply(row);
  }
}

export interface Caller {
  readonly apiKeyId: string;
  readonly accountId: string;
  /** The key's spend limits, which the ledger checks with the hold. */
  readonly spendLimits: KeySpendLimits;
  readonly plan: ApiKeyPlan;
}

/** The bearer token of an `Authorization` header, or undefined. */
export function bearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  return match?.[1];
}

/**
 * The lookup hash of a presented key, or the 401 it earns without any lookup: no key, or a key
 * whose checksum is wrong (a typo or a made-up key costs neither a hash nor a cache probe).
 * Messages never repeat the key.
 */
export function presentedKeyHash(key: string | undefined, pepper: string): Result<string> {
  if (key === undefined) {
    return fail(
      failures.invalidApiKey(
        'You did not provide an API key: send it as `Authorization: Bearer <key>`.',
      ),
    );
  }
  if (!hasValidChecksum(key)) return fail(failures.invalidApiKey());
  return ok(lookupHash(key, pepper));
}

/**
 * The decision on a found (or not found) key at `nowMs`, the gateway's clock when the request
 * arrived. The expiry is compared here, on every request, not when a cache is refreshed: a key is
 * refused from its expiry instant on (`nowMs >= expiresAtMs`) whichever copy of it (the key cache,
 * the resolver's memory of a lookup) is read, with no event having to arrive first.
 */
export function callerOf(found: CachedKey | undefined, nowMs: number): Result<Caller> {
  if (found === undefined) return fail(failures.invalidApiKey());
  if (found.status !== 'enabled') {
    return fail(failures.invalidApiKey('This API key is disabled.'));
  }
  if (found.expiresAtMs !== null && nowMs >= found.expiresAtMs) {
    return fail(failures.keyExpired(found.expiresAtMs));
  }
  // A builder key is paid for by its account's Builder subscription, never by the balance: once
  // that subscription ended, the key is refused (403), whatever else it may do.
  if (found.plan === 'builder' && !found.subscriptionActive) {
    return fail(failures.builderSubscriptionInactive());
  }
  return ok({
    apiKeyId: found.apiKeyId,
    accountId: found.accountId,
    spendLimits: found.spendLimits,
    plan: found.plan,
  });
}

/** Who is calling, from `index` alone (no authoritative lookup on a miss). */
export function authenticateKey(
  key: string | undefined,
  pepper: string,
  index: Pick<KeyIndex, 'lookup'>,
  nowMs: number,
): Result<Caller> {
  const hash = presentedKeyHash(key, pepper);
  return hash.ok ? callerOf(index.lookup(hash.value), nowMs) : hash;
}
