import { EnvelopeDto } from './envelope.js';
import { EVENT_SCHEMAS, type ContractEvent, type EventSchema, type EventType } from './events.js';
import { UnsupportedContractClassError } from './compile.js';
import { isPlainObject } from './rules.js';
import { eventTypesOn, type EventOnTopic, type Topic } from './topics.js';
import { upcasterFor, upcasters as builtInUpcasters, type UpcasterRegistry } from './upcasters.js';
import { validateAs, type ValidateFn } from './validate.js';

export type DecodeErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_ENVELOPE'
  | 'UNKNOWN_TYPE'
  | 'UNSUPPORTED_VERSION'
  | 'INVALID_DATA'
  | 'WRONG_TOPIC';

export interface DecodeFailure {
  readonly ok: false;
  readonly code: DecodeErrorCode;
  /**
   * Every problem found, as `path: rule`, joined with "; ", fit for a DLQ header or a log. Field
   * values are not echoed; an unknown type or topic name is (cut short), and so is the snippet
   * that JSON.parse quotes in its own message.
   */
  readonly reason: string;
}

export type DecodeResult<TEvent extends ContractEvent = ContractEvent> =
  { readonly ok: true; readonly event: TEvent } | DecodeFailure;

export interface DecodeOptions {
  /** The topic the message came from; an event type not allowed there is WRONG_TOPIC. */
  readonly topic?: string;
  /** Replaces the built-in upcaster registry (`upcasters`). */
  readonly upcasters?: UpcasterRegistry;
  /**
   * Replaces the current version and data class of some event types. Production code passes
   * nothing; it exists so that a test can rehearse a V2 (stored V1 JSON read through a draft
   * upcaster) before the V2 is added to EVENT_SCHEMAS.
   */
  readonly schemas?: { readonly [T in EventType]?: EventSchema };
}

const MAX_ECHO_LENGTH = 64;

/**
 * Reads one Kafka message value (a Buffer, a string, or already parsed JSON) as a contract event:
 * parse, check the envelope, check the type (and the topic), upcast older versions to the current
 * one, then validate `data`. Never throws on any input: a consumer sends a failure to
 * `<topic>.dlq` with the code and reason and moves on. (It throws UnsupportedContractClassError
 * when a contract class itself is broken, which compile.spec.ts rules out.) Unknown fields are
 * dropped, not refused (see README.md).
 */
export function decodeEvent<T extends Topic>(
  raw: unknown,
  options: DecodeOptions & { readonly topic: T },
): DecodeResult<EventOnTopic<T>>;
export function decodeEvent(raw: unknown, options?: DecodeOptions): DecodeResult;
export function decodeEvent(raw: unknown, options: DecodeOptions = {}): DecodeResult {
  return decodeEventWith(raw, options, validateAs);
}

/**
 * `decodeEvent` with the validation function given; not exported by the package. Only the
 * class-validator baseline (baseline.ts, for the differential test and the bench) passes
 * another one than `validateAs`.
 */
export function decodeEventWith(
  raw: unknown,
  options: DecodeOptions,
  validate: ValidateFn,
): DecodeResult {
  try {
    return decode(raw, options, validate);
  } catch (error) {
    // A contract class the validator compiler refuses is a bug in this library, not a bad
    // message: it must not send every message of a type to the DLQ. compile.spec.ts compiles
    // every class of EVENT_SCHEMAS, so it cannot reach a release.
    if (error instanceof UnsupportedContractClassError) throw error;
    // Reached only through exotic input (a Proxy or a throwing getter passed as parsed JSON) or a
    // bug; either way the consumer loop must survive and the message must reach the DLQ.
    return fail('INVALID_ENVELOPE', `message could not be read: ${messageOf(error)}`);
  }
}

function decode(raw: unknown, options: DecodeOptions, validate: ValidateFn): DecodeResult {
  const parsed = parse(raw);
  if (!parsed.ok) return parsed;
  if (!isPlainObject(parsed.value)) {
    return fail('INVALID_ENVELOPE', 'message: must be a JSON object (the envelope)');
  }

  const checked = validate(EnvelopeDto, parsed.value, '');
  if (!checked.ok) return fail('INVALID_ENVELOPE', checked.problems.join('; '));
  const envelope = checked.value as unknown as EnvelopeDto;

  const type = envelope.type;
  const schema = schemaOf(type, options);
  if (schema === undefined) {
    return fail('UNKNOWN_TYPE', `type: ${echo(type)} is not an event type of the contract`);
  }
  const knownType = type as EventType;

  if (options.topic !== undefined) {
    const allowed = eventTypesOn(options.topic);
    if (allowed === undefined) {
      return fail('WRONG_TOPIC', `topic: ${echo(options.topic)} is not a topic of the contract`);
    }
    if (!allowed.includes(knownType)) {
      return fail(
        'WRONG_TOPIC',
        `type: ${type} is not allowed on ${options.topic} (allowed: ${allowed.join(', ')})`,
      );
    }
  }

  if (envelope.version > schema.version) {
    return fail(
      'UNSUPPORTED_VERSION',
      `version: ${type} v${envelope.version} is newer than the newest known, v${schema.version}`,
    );
  }

  let data: Record<string, unknown> = envelope.data;
  const registry = options.upcasters ?? builtInUpcasters;
  for (let from = envelope.version; from < schema.version; from += 1) {
    const upcaster = upcasterFor(registry, knownType, from);
    const step = `${type} v${from} to v${from + 1}`;
    if (upcaster === undefined) {
      return fail('UNSUPPORTED_VERSION', `version: no upcaster from ${step}`);
    }
    let next: unknown;
    try {
      next = upcaster(data, {
        type: knownType,
        fromVersion: from,
        occurredAt: envelope.occurredAt,
        accountId: envelope.accountId,
      });
    } catch (error) {
      return fail('INVALID_DATA', `data: the upcaster from ${step} failed: ${messageOf(error)}`);
    }
    if (!isPlainObject(next)) {
      return fail('INVALID_DATA', `data: the upcaster from ${step} did not return an object`);
    }
    data = next;
  }

  const validData = validate(schema.dataClass, data, 'data');
  if (!validData.ok) return fail('INVALID_DATA', validData.problems.join('; '));

  const event = {
    id: envelope.id,
    type: knownType,
    version: schema.version,
    occurredAt: envelope.occurredAt,
    accountId: envelope.accountId,
    source: envelope.source,
    ...(envelope.correlationId !== undefined && { correlationId: envelope.correlationId }),
    ...(envelope.causationId !== undefined && { causationId: envelope.causationId }),
    data: validData.value,
  };
  // Sound: `type` selected the class that just validated `data`.
  return { ok: true, event: event as unknown as ContractEvent };
}

type Parsed = { readonly ok: true; readonly value: unknown } | DecodeFailure;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parse(raw: unknown): Parsed {
  let text: string;
  if (typeof raw === 'string') {
    text = raw;
  } else if (ArrayBuffer.isView(raw)) {
    // A Buffer from Kafka. isView, not instanceof: a Buffer may come from another realm.
    try {
      text = utf8.decode(new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength));
    } catch {
      return fail('INVALID_JSON', 'message: is not valid UTF-8');
    }
  } else {
    return { ok: true, value: raw };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return fail('INVALID_JSON', `message: is not valid JSON (${messageOf(error)})`);
  }
}

function schemaOf(type: string, options: DecodeOptions): EventSchema | undefined {
  const overrides = options.schemas;
  if (overrides !== undefined && Object.hasOwn(overrides, type)) {
    return overrides[type as EventType];
  }
  return Object.hasOwn(EVENT_SCHEMAS, type) ? EVENT_SCHEMAS[type as EventType] : undefined;
}

function fail(code: DecodeErrorCode, reason: string): DecodeFailure {
  return { ok: false, code, reason };
}

function echo(text: string): string {
  const shown = text.length > MAX_ECHO_LENGTH ? `${text.slice(0, MAX_ECHO_LENGTH)}…` : text;
  return JSON.stringify(shown);
}

function messageOf(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an unprintable error';
  }
}
