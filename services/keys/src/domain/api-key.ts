// The lifecycle of one API key as decide/evolve: `decide(command, state)` says what happens (events,
// or an expected failure with a stable code) and `evolve(state, event)` folds an event into the
// state. No clock, no ids, no storage: the command carries `now` and the ids, the adapter loads
// the state, stores the new one and writes the events to the outbox in one transaction.
//
//   (none) --create--> enabled <--update(status)--> disabled
//                         \                            /
//                          `--------delete------------'--> deleted (final: everything is NOT_FOUND)
//
// An expiry (`expiresAt`) is orthogonal to the status: it is set at creation or by an update and
// never changes the status. The key simply stops working at that instant; the gateway compares it
// with its own clock on every request (services/gateway/src/domain/key-cache.ts).
import { API_KEY_PREFIX, SHOWN_PREFIX_LENGTH } from '@billing/api-keys';
import { validateApiKeyName } from './api-key-name.js';
import { validateKeyExpiry } from './api-key-expiry.js';
import {
  applySpendLimitsChange,
  NO_SPEND_LIMITS,
  sameSpendLimits,
  type KeySpendLimits,
  type SpendLimitsChange,
} from './api-key-spend-limits.js';
import { fail, ok, type Result } from './errors.js';

export type ApiKeyStatus = 'enabled' | 'disabled';

/** The row of one key. `undefined` stands for "no such key". Holds no secret. */
export interface ApiKeyState {
  readonly apiKeyId: string;
  readonly accountId: string;
  readonly name: string;
  /** The shown start of the key (see `shownPrefix`). */
  readonly prefix: string;
  /** HMAC of the full key (see `lookupHash`). */
  readonly lookupHash: string;
  /** `deleted` is a tombstone: kept so that the id is never reused and every later command fails. */
  readonly status: ApiKeyStatus | 'deleted';
  /** When the key stops working; null, never. */
  readonly expiresAt: Date | null;
  /** The most it may spend a UTC day and a UTC month (issue #17); null, no limit. */
  readonly spendLimits: KeySpendLimits;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface KeyCommand {
  readonly apiKeyId: string;
  /** The account the caller acts for (from the route, already authorised for the caller). */
  readonly accountId: string;
  readonly now: Date;
}

/**
 * Create a key. The adapter generates the key (`generateApiKey`), hashes and encrypts it, and
 * passes only the hash and the shown prefix here: the secret never enters the domain's events.
 */
export interface CreateApiKey extends KeyCommand {
  readonly type: 'CreateApiKey';
  readonly name: string;
  readonly prefix: string;
  readonly lookupHash: string;
  /** As the caller wrote it (ISO-8601 UTC, in the future); absent or null, never expires. */
  readonly expiresAt?: string | null;
}

/**
 * PATCH: rename, enable/disable, and/or set (a time) or remove (null) the expiry. Fields left out
 * are unchanged.
 */
export interface UpdateApiKey extends KeyCommand {
  readonly type: 'UpdateApiKey';
  readonly name?: string;
  readonly status?: ApiKeyStatus;
  readonly expiresAt?: string | null;
  /** Each period absent (unchanged), null (removed) or a decimal USD string. */
  readonly spendLimits?: SpendLimitsChange;
}

export interface DeleteApiKey extends KeyCommand {
  readonly type: 'DeleteApiKey';
}

/** "Click to copy the full key": allowed while the key exists, and always recorded. */
export interface RevealApiKey extends KeyCommand {
  readonly type: 'RevealApiKey';
}

export type ApiKeyCommand = CreateApiKey | UpdateApiKey | DeleteApiKey | RevealApiKey;

interface KeyEvent {
  readonly apiKeyId: string;
  readonly accountId: string;
  readonly occurredAt: Date;
}

export interface ApiKeyCreated extends KeyEvent {
  readonly type: 'ApiKeyCreated';
  readonly name: string;
  readonly plan: 'payg';
  readonly status: 'enabled';
  readonly prefix: string;
  readonly lookupHash: string;
  readonly expiresAt: Date | null;
}

/** Carries only what changed, like the `keys.v1` event of the same name. */
export interface ApiKeyUpdated extends KeyEvent {
  readonly type: 'ApiKeyUpdated';
  readonly name?: string;
  readonly status?: ApiKeyStatus;
}

export interface ApiKeyDeleted extends KeyEvent {
  readonly type: 'ApiKeyDeleted';
}

/** The whole new expiry: a time, or null for "never" (`keys.v1` ApiKeyExpiryChanged). */
export interface ApiKeyExpiryChanged extends KeyEvent {
  readonly type: 'ApiKeyExpiryChanged';
  readonly expiresAt: Date | null;
}

/** The whole new spend limits (`keys.v1` ApiKeySpendLimitChanged). */
export interface ApiKeySpendLimitChanged extends KeyEvent {
  readonly type: 'ApiKeySpendLimitChanged';
  readonly spendLimits: KeySpendLimits;
}

/** An audit record of a reveal. Not published on `keys.v1`: the gateway has no use for it. */
export interface ApiKeyRevealed extends KeyEvent {
  readonly type: 'ApiKeyRevealed';
}

export type ApiKeyEvent =
  | ApiKeyCreated
  | ApiKeyUpdated
  | ApiKeyDeleted
  | ApiKeyExpiryChanged
  | ApiKeySpendLimitChanged
  | ApiKeyRevealed;

/** The events the gateway must see on `keys.v1` (through the outbox) to refuse a key in time. */
export function isPublishedOnKeysTopic(
  event: ApiKeyEvent,
): event is Exclude<ApiKeyEvent, ApiKeyRevealed> {
  return event.type !== 'ApiKeyRevealed';
}

const NOT_FOUND_MESSAGE = 'API key not found';

/**
 * Decides what a command does to a key. An empty list means "accepted, nothing changed" (an
 * update to the current name and status), so the adapter writes and publishes nothing.
 *
 * @throws Error when the command contradicts the state it was given (a create for an existing
 *   key, a state loaded for another key id): a bug in the caller, not a user mistake.
 */
export function decide(
  command: ApiKeyCommand,
  state: ApiKeyState | undefined,
): Result<readonly ApiKeyEvent[]> {
  if (state !== undefined && state.apiKeyId !== command.apiKeyId) {
    throw new Error(`state of key ${state.apiKeyId} given for a command on ${command.apiKeyId}`);
  }
  const base = {
    apiKeyId: command.apiKeyId,
    accountId: command.accountId,
    occurredAt: command.now,
  };

  if (command.type === 'CreateApiKey') {
    // Key ids are generated fresh by the adapter, so an existing one is a bug, not a conflict.
    if (state !== undefined) throw new Error(`API key ${command.apiKeyId} already exists`);
    assertNoSecret(command);
    const name = validateApiKeyName(command.name);
    if (!name.ok) return name;
    const expiresAt = validateKeyExpiry(command.expiresAt ?? null, command.now);
    if (!expiresAt.ok) return expiresAt;
    return ok([
      {
        ...base,
        type: 'ApiKeyCreated',
        name: name.value,
        plan: 'payg',
        status: 'enabled',
        prefix: command.prefix,
        lookupHash: command.lookupHash,
        expiresAt: expiresAt.value,
      },
    ]);
  }

  // Deleted, never created, or another tenant's: the same answer, so nothing leaks.
  if (state === undefined || state.status === 'deleted' || state.accountId !== command.accountId) {
    return fail('KEYS.NOT_FOUND', NOT_FOUND_MESSAGE);
  }

  switch (command.type) {
    case 'UpdateApiKey': {
      let name: string | undefined;
      if (command.name !== undefined) {
        const validated = validateApiKeyName(command.name);
        if (!validated.ok) return validated;
        if (validated.value !== state.name) name = validated.value;
      }
      const status =
        command.status !== undefined && command.status !== state.status
          ? command.status
          : undefined;
      let expiry: ApiKeyExpiryChanged | undefined;
      if (command.expiresAt !== undefined) {
        const validated = validateKeyExpiry(command.expiresAt, command.now);
        if (!validated.ok) return validated;
        if (validated.value?.getTime() !== state.expiresAt?.getTime()) {
          expiry = { ...base, type: 'ApiKeyExpiryChanged', expiresAt: validated.value };
        }
      }
      const events: ApiKeyEvent[] = [];
      if (name !== undefined || status !== undefined) {
        events.push({
          ...base,
          type: 'ApiKeyUpdated',
          ...(name !== undefined && { name }),
          ...(status !== undefined && { status }),
        });
      }
      if (expiry !== undefined) events.push(expiry);
      if (command.spendLimits !== undefined) {
        const limits = applySpendLimitsChange(state.spendLimits, command.spendLimits);
        if (!limits.ok) return limits;
        if (!sameSpendLimits(limits.value, state.spendLimits)) {
          events.push({ ...base, type: 'ApiKeySpendLimitChanged', spendLimits: limits.value });
        }
      }
      return ok(events);
    }
    case 'DeleteApiKey':
      return ok([{ ...base, type: 'ApiKeyDeleted' }]);
    case 'RevealApiKey':
      // A disabled key may be revealed: its owner may want to copy it before enabling it again.
      return ok([{ ...base, type: 'ApiKeyRevealed' }]);
  }
}

/**
 * Folds one event into the state.
 *
 * @throws Error when the event cannot follow the state (an update of a key that does not exist):
 *   the event log or the table is corrupt.
 */
export function evolve(state: ApiKeyState | undefined, event: ApiKeyEvent): ApiKeyState {
  if (event.type === 'ApiKeyCreated') {
    if (state !== undefined) throw new Error(`API key ${event.apiKeyId} created twice`);
    return {
      apiKeyId: event.apiKeyId,
      accountId: event.accountId,
      name: event.name,
      prefix: event.prefix,
      lookupHash: event.lookupHash,
      status: event.status,
      expiresAt: event.expiresAt,
      spendLimits: NO_SPEND_LIMITS,
      createdAt: event.occurredAt,
      updatedAt: event.occurredAt,
    };
  }
  if (state === undefined || state.apiKeyId !== event.apiKeyId) {
    throw new Error(`${event.type} for API key ${event.apiKeyId}, which is not this state`);
  }
  if (state.status === 'deleted') {
    throw new Error(`${event.type} for API key ${event.apiKeyId}, which is deleted`);
  }
  switch (event.type) {
    case 'ApiKeyUpdated':
      return {
        ...state,
        name: event.name ?? state.name,
        status: event.status ?? state.status,
        updatedAt: event.occurredAt,
      };
    case 'ApiKeyDeleted':
      return { ...state, status: 'deleted', updatedAt: event.occurredAt };
    case 'ApiKeyExpiryChanged':
      return { ...state, expiresAt: event.expiresAt, updatedAt: event.occurredAt };
    case 'ApiKeySpendLimitChanged':
      return { ...state, spendLimits: event.spendLimits, updatedAt: event.occurredAt };
    case 'ApiKeyRevealed':
      // An audit fact only: the key itself does not change.
      return state;
  }
}

/**
 * The prefix and hash end up in events and listings, so a caller that passes the full key (or
 * anything longer than the shown prefix) by mistake must fail loudly, before it is published.
 * The message does not repeat the values.
 */
function assertNoSecret(command: CreateApiKey): void {
  if (command.prefix.length !== SHOWN_PREFIX_LENGTH || !command.prefix.startsWith(API_KEY_PREFIX)) {
    throw new Error(`prefix must be the ${SHOWN_PREFIX_LENGTH}-character shown prefix of the key`);
  }
  if (!/^[0-9a-f]{64}$/.test(command.lookupHash)) {
    throw new Error('lookupHash must be the 64-character hex HMAC of the key');
  }
}

/** Applies events in order, from `state`. */
export function fold(
  events: readonly ApiKeyEvent[],
  state: ApiKeyState | undefined = undefined,
): ApiKeyState | undefined {
  return events.reduce<ApiKeyState | undefined>(evolve, state);
}
