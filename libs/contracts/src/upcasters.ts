import type { EventType } from './events.js';

/** What an upcaster may know about the event besides its data. */
export interface UpcastContext {
  readonly type: EventType;
  /** The version of the `data` handed to the upcaster; it returns version `fromVersion + 1`. */
  readonly fromVersion: number;
  readonly occurredAt: string;
  readonly accountId: string;
}

/**
 * Turns the `data` of version N of an event into the `data` of version N + 1. It receives parsed
 * but unvalidated JSON (only the final result is validated), must not mutate its input and must
 * return a new object. It may throw; the decoder turns that into an INVALID_DATA result.
 */
export type Upcaster = (
  data: Readonly<Record<string, unknown>>,
  context: UpcastContext,
) => Record<string, unknown>;

/** `upcasters[type][fromVersion]` lifts `type` from `fromVersion` to `fromVersion + 1`. */
export type UpcasterRegistry = {
  readonly [T in EventType]?: Readonly<Record<number, Upcaster>>;
};

/**
 * The upcasters of the contract. Empty: every event is at version 1. When `XxxV2` lands, its
 * `Xxx: { 1: (v1) => v2 }` goes here, with a test on stored V1 JSON (docs/CONVENTIONS.md 6).
 */
export const upcasters: UpcasterRegistry = Object.freeze({});

export function upcasterFor(
  registry: UpcasterRegistry,
  type: EventType,
  fromVersion: number,
): Upcaster | undefined {
  const forType = Object.hasOwn(registry, type) ? registry[type] : undefined;
  if (forType === undefined || !Object.hasOwn(forType, fromVersion)) return undefined;
  return forType[fromVersion];
}
