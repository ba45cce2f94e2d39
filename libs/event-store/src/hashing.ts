import { hash } from 'node:crypto';

/** The `prevHash` of a stream's first event, and the head of a stream that has none. */
export const GENESIS_HASH = '0'.repeat(64);

export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');

/** What the hash of one event covers. JSON members are already canonical (see canonical-json). */
export interface HashInput {
  readonly streamId: string;
  readonly version: number;
  readonly eventId: string;
  readonly type: string;
  readonly dataJson: string;
  readonly metadataJson: string;
  /** `Date.prototype.toISOString()`: millisecond precision, UTC, `Z`. */
  readonly occurredAtIso: string;
  readonly prevHash: string;
}

/**
 * sha-256 (hex) of the canonical JSON of
 * `{data, eventId, metadata, occurredAt, prevHash, streamId, type, version}`.
 *
 * The text is assembled by hand, keys already in canonical order, because this runs once per
 * appended event and once per verified event; `hashing.spec.ts` proves it is byte for byte what
 * `canonicalJson` writes for the same object, so an auditor can recompute it with any JCS library.
 */
export function eventHash(input: HashInput): string {
  return sha256Hex(
    `{"data":${input.dataJson},"eventId":${str(input.eventId)},` +
      `"metadata":${input.metadataJson},"occurredAt":${str(input.occurredAtIso)},` +
      `"prevHash":${str(input.prevHash)},"streamId":${str(input.streamId)},` +
      `"type":${str(input.type)},"version":${input.version}}`,
  );
}

/** What JSON.stringify escapes in a string: quote, backslash, controls, (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify for a string, skipping the call for the usual id, hash or timestamp. */
const str = (text: string): string =>
  NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;

/** What makes two appends "the same request" for an idempotency key. */
export interface RequestHashInput {
  readonly streamId: string;
  readonly events: readonly {
    readonly type: string;
    readonly dataJson: string;
    readonly metadataJson: string;
  }[];
}

/**
 * sha-256 (hex) of the canonical JSON of `{events: [{data, metadata, type}], streamId}`.
 *
 * Event ids and occurredAt are left out on purpose: an adapter that defaults them (random UUID,
 * clock) on each attempt must still see its retry recognised as a duplicate. The expected version
 * is left out too: a retry re-reads the stream, which by then includes its own first attempt.
 */
export function requestHash(input: RequestHashInput): string {
  let events = '';
  for (const e of input.events) {
    if (events !== '') events += ',';
    events += `{"data":${e.dataJson},"metadata":${e.metadataJson},"type":${JSON.stringify(e.type)}}`;
  }
  return sha256Hex(`{"events":[${events}],"streamId":${JSON.stringify(input.streamId)}}`);
}
