import { canonicalJson } from './canonical-json.js';
import { IdempotencyConflictError, WrongExpectedVersionError } from './errors.js';
import { GENESIS_HASH, eventHash, requestHash } from './hashing.js';
import type { AppendBatchItem, AppendResult, ExpectedVersion } from './types.js';

/**
 * The decisions of an append, kept free of I/O so they can be tested without a database: what the
 * caller asked for (prepared and validated), what the database said (stream heads, keys already
 * used), and from those two, what to write or which typed error to raise.
 */

/** Where ids and times come from when a caller leaves them out: the adapter edge, never the plan. */
export interface EdgeDefaults {
  newEventId(): string;
  now(): Date;
}

export interface PreparedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
  readonly occurredAtIso: string;
}

export interface PreparedItem {
  readonly streamId: string;
  readonly expectedVersion: ExpectedVersion;
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly events: readonly PreparedEvent[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validates and canonicalises a batch. Everything rejected here is a programming error in the
 * caller (an empty append, a bigint in a payload, a key used twice in one batch), so it throws a
 * plain Error rather than a typed, expected failure.
 */
export function prepareBatch(
  items: readonly AppendBatchItem[],
  edge: EdgeDefaults,
): PreparedItem[] {
  checkBatch(items);
  const eventIds = new Set<string>();
  // One clock reading per batch: events appended together happened together.
  let now: Date | undefined;
  const prepared: PreparedItem[] = [];
  for (const item of items) {
    const events: PreparedEvent[] = [];
    for (const e of item.events) {
      assertNonEmpty(e.type, 'event type');
      const eventId = e.eventId ?? edge.newEventId();
      if (!UUID.test(eventId)) throw new Error(`event id ${eventId} is not a UUID`);
      const normalisedId = eventId.toLowerCase();
      if (eventIds.has(normalisedId)) throw new Error(`event id ${eventId} appears twice`);
      eventIds.add(normalisedId);
      const occurredAt = e.occurredAt ?? (now ??= edge.now());
      if (!(occurredAt instanceof Date) || Number.isNaN(occurredAt.getTime())) {
        throw new Error(`occurredAt of a ${e.type} event is not a valid Date`);
      }
      events.push({
        // PostgreSQL prints uuids in lower case; hashing the same spelling keeps verify exact.
        eventId: normalisedId,
        type: e.type,
        dataJson: canonicalJson(e.data),
        metadataJson: canonicalJson(e.metadata ?? {}),
        occurredAtIso: occurredAt.toISOString(),
      });
    }
    prepared.push({
      streamId: item.streamId,
      expectedVersion: item.expectedVersion,
      idempotencyKey: item.idempotencyKey,
      requestHash: requestHash({ streamId: item.streamId, events }),
      events,
    });
  }
  return prepared;
}

/** The cheap checks of a batch's shape: enough to lock its streams and look up its keys. */
export function checkBatch(items: readonly AppendBatchItem[]): void {
  if (items.length === 0) throw new Error('appendBatch needs at least one item');
  const keys = new Set<string>();
  for (const item of items) {
    assertNonEmpty(item.streamId, 'streamId');
    assertNonEmpty(item.idempotencyKey, 'idempotencyKey');
    assertExpectedVersion(item.expectedVersion);
    if (keys.has(item.idempotencyKey)) {
      throw new Error(`idempotency key ${item.idempotencyKey} appears twice in one batch`);
    }
    keys.add(item.idempotencyKey);
    if (item.events.length === 0) throw new Error(`append to ${item.streamId} has no events`);
  }
}

function assertNonEmpty(value: unknown, what: string): void {
  if (typeof value !== 'string' || value.length === 0) {
    throw new Error(`${what} must be a non-empty string`);
  }
}

function assertExpectedVersion(v: unknown): void {
  if (v === 'any' || v === 'no_stream') return;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return;
  throw new Error(`expectedVersion must be a version >= 0, 'no_stream' or 'any', got ${String(v)}`);
}

export interface StreamHead {
  readonly version: number;
  readonly headHash: string;
}

/** A row of `idempotency_keys`: the first result of the request that used the key. */
export interface RecordedKey extends Omit<AppendResult, 'duplicate'> {
  readonly requestHash: string;
}

export type ItemOutcome =
  | { readonly kind: 'duplicate'; readonly result: AppendResult }
  | {
      readonly kind: 'write';
      readonly streamId: string;
      readonly firstVersion: number;
      readonly lastVersion: number;
    };

/** Column arrays, ready to be `unnest`ed by one multi-row INSERT. */
export interface BatchPlan {
  readonly outcomes: readonly ItemOutcome[];
  readonly events: {
    readonly streamIds: string[];
    readonly versions: number[];
    readonly eventIds: string[];
    readonly types: string[];
    readonly data: string[];
    readonly metadata: string[];
    readonly occurredAt: string[];
    readonly prevHashes: string[];
    readonly hashes: string[];
  };
  readonly heads: {
    readonly streamIds: string[];
    readonly versions: number[];
    readonly hashes: string[];
  };
  readonly keys: {
    readonly keys: string[];
    readonly requestHashes: string[];
    readonly streamIds: string[];
    readonly firstVersions: number[];
    readonly lastVersions: number[];
  };
}

export function versionMatches(expected: ExpectedVersion, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === 0;
  return expected === actual;
}

/**
 * Decides a batch against the locked stream heads and the keys already recorded. Items are taken
 * in order, so two items for the same stream chain onto each other: the second one's expected
 * version is checked against the version the first one leaves behind.
 */
export function planBatch(
  items: readonly PreparedItem[],
  lockedHeads: ReadonlyMap<string, StreamHead>,
  recordedKeys: ReadonlyMap<string, RecordedKey>,
): BatchPlan {
  const heads = new Map<string, StreamHead>();
  const outcomes: ItemOutcome[] = [];
  const plan: BatchPlan = {
    outcomes,
    events: {
      streamIds: [],
      versions: [],
      eventIds: [],
      types: [],
      data: [],
      metadata: [],
      occurredAt: [],
      prevHashes: [],
      hashes: [],
    },
    heads: { streamIds: [], versions: [], hashes: [] },
    keys: { keys: [], requestHashes: [], streamIds: [], firstVersions: [], lastVersions: [] },
  };
  const ev = plan.events;
  for (const item of items) {
    const recorded = recordedKeys.get(item.idempotencyKey);
    if (recorded !== undefined) {
      if (recorded.requestHash !== item.requestHash) {
        throw new IdempotencyConflictError(item.idempotencyKey, recorded.streamId);
      }
      outcomes.push({
        kind: 'duplicate',
        result: {
          streamId: recorded.streamId,
          firstVersion: recorded.firstVersion,
          lastVersion: recorded.lastVersion,
          firstPosition: recorded.firstPosition,
          lastPosition: recorded.lastPosition,
          transactionId: recorded.transactionId,
          duplicate: true,
        },
      });
      continue;
    }
    const head = heads.get(item.streamId) ??
      lockedHeads.get(item.streamId) ?? { version: 0, headHash: GENESIS_HASH };
    if (!versionMatches(item.expectedVersion, head.version)) {
      throw new WrongExpectedVersionError(item.streamId, item.expectedVersion, head.version);
    }
    let version = head.version;
    let prevHash = head.headHash;
    for (const e of item.events) {
      version += 1;
      const hash = eventHash({
        streamId: item.streamId,
        version,
        eventId: e.eventId,
        type: e.type,
        dataJson: e.dataJson,
        metadataJson: e.metadataJson,
        occurredAtIso: e.occurredAtIso,
        prevHash,
      });
      ev.streamIds.push(item.streamId);
      ev.versions.push(version);
      ev.eventIds.push(e.eventId);
      ev.types.push(e.type);
      ev.data.push(e.dataJson);
      ev.metadata.push(e.metadataJson);
      ev.occurredAt.push(e.occurredAtIso);
      ev.prevHashes.push(prevHash);
      ev.hashes.push(hash);
      prevHash = hash;
    }
    heads.set(item.streamId, { version, headHash: prevHash });
    plan.keys.keys.push(item.idempotencyKey);
    plan.keys.requestHashes.push(item.requestHash);
    plan.keys.streamIds.push(item.streamId);
    plan.keys.firstVersions.push(head.version + 1);
    plan.keys.lastVersions.push(version);
    outcomes.push({
      kind: 'write',
      streamId: item.streamId,
      firstVersion: head.version + 1,
      lastVersion: version,
    });
  }
  for (const [streamId, head] of heads) {
    plan.heads.streamIds.push(streamId);
    plan.heads.versions.push(head.version);
    plan.heads.hashes.push(head.headHash);
  }
  return plan;
}
