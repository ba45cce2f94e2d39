// The validation vocabulary of the wire contract: one decorator per rule of CONTRACTS.md, each
// with a message that names the rule (the decoder prefixes the field path). Every value rule
// rejects `undefined` and `null`, so a required field that is absent fails; the decoder reports
// that as "is required" instead of the rule's own message. Optional fields carry `@Optional()`.
// (NotBefore, a cross-field rule, lets absence through: it always sits next to IsoTimestamp.)
import { tryParseUsd } from '@billing/money';
import { registerDecorator, ValidateIf, ValidateNested } from 'class-validator';

/** A class whose instances hold one event's `data` (or the envelope) while it is validated. */
export type DataClass<T extends object = object> = new () => T;

/** Ids (request ids, top-up ids, references, event sources) are opaque but bounded. */
export const MAX_ID_LENGTH = 200;
/** Free text such as a credit's `reason`. */
export const MAX_TEXT_LENGTH = 500;
/** A payment method name ("card", "alipay", ...). */
export const MAX_METHOD_LENGTH = 40;

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// Lowercase only: consumers dedupe on the id as a string, so one event must have one spelling.
// Any version and variant is accepted (v4 and v7 are both fine for producers).
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// UTC only, spelled with `Z`; up to nanosecond precision so nothing a producer can write is lost.
const ISO_UTC_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

type Check = (value: unknown, object: Readonly<Record<string, unknown>>) => string | undefined;
type FieldDecorator = (target: object, propertyKey: string | symbol) => void;

// The fields each class declares, in declaration order. The decoder copies only these from the
// input, so an unknown key (including `__proto__` or `constructor`) never reaches an instance.
const declaredFields = new WeakMap<object, string[]>();
const nestedClasses = new WeakMap<object, Map<string, () => DataClass>>();

function declareField(prototype: object, field: string): void {
  const fields = declaredFields.get(prototype) ?? [];
  if (!fields.includes(field)) fields.push(field);
  declaredFields.set(prototype, fields);
}

// Decorators run when a class is defined, before any instance is validated, so the walk up the
// prototype chain can be done once per class. Decoding is on every consumer's hot path.
const fieldsCache = new WeakMap<DataClass, readonly string[]>();

/** The fields `cls` declares, its base classes' first. */
export function fieldsOf(cls: DataClass): readonly string[] {
  const cached = fieldsCache.get(cls);
  if (cached !== undefined) return cached;
  const chain = prototypeChain(cls).reverse();
  const fields = Object.freeze([
    ...new Set(chain.flatMap((proto) => declaredFields.get(proto) ?? [])),
  ]);
  fieldsCache.set(cls, fields);
  return fields;
}

/** The class of a nested object field, if `field` is one. */
export function nestedClassOf(cls: DataClass, field: string): DataClass | undefined {
  for (const proto of prototypeChain(cls)) {
    const nested = nestedClasses.get(proto)?.get(field);
    if (nested !== undefined) return nested();
  }
  return undefined;
}

/** The prototypes of `cls` and its base classes, nearest first, without Object.prototype. */
function prototypeChain(cls: DataClass): object[] {
  const chain: object[] = [];
  for (
    let proto: unknown = cls.prototype;
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    chain.push(proto as object);
  }
  return chain;
}

function rule(name: string, check: Check): FieldDecorator {
  return (target, propertyKey) => {
    const field = String(propertyKey);
    declareField(target, field);
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: field,
      validator: {
        validate: (value: unknown, args?: { object: object }) =>
          check(value, (args?.object ?? {}) as Record<string, unknown>) === undefined,
        defaultMessage: (args?: { value: unknown; object: object }) =>
          check(args?.value, (args?.object ?? {}) as Record<string, unknown>) ?? 'is invalid',
      },
    });
  };
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  // `toString` rather than a prototype check: it also recognises objects from another realm
  // (Jest runs tests in a VM context), and it rejects arrays, dates, maps and typed arrays.
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.toString.call(value) === '[object Object]'
  );
}

function isBoundedString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Parses an ISO-8601 UTC timestamp (`2026-11-27T03:09:32.123Z`) into nanoseconds since the
 * epoch, or `undefined`. Calendar-checked: `Date` alone would read 2026-02-30 as 2 March.
 */
export function parseIsoUtc(text: unknown): bigint | undefined {
  if (typeof text !== 'string' || text.length > 40) return undefined;
  const match = ISO_UTC_PATTERN.exec(text);
  if (match === null) return undefined;
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  const date = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not map years 0-99 to 1900-1999.
  date.setUTCFullYear(year, month - 1, day);
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day
  ) {
    return undefined;
  }
  date.setUTCHours(hours, minutes, seconds, 0);
  const fraction = (match[7] ?? '').padEnd(9, '0');
  return BigInt(date.getTime()) * 1_000_000n + BigInt(fraction);
}

/** Skips every rule of the field when it is absent; `null` counts as absent. */
export function Optional(): FieldDecorator {
  return ValidateIf((_object: unknown, value: unknown) => value !== undefined && value !== null);
}

export function Id(): FieldDecorator {
  return rule('id', (value) =>
    isBoundedString(value, MAX_ID_LENGTH)
      ? undefined
      : `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
  );
}

export function Text(max: number = MAX_TEXT_LENGTH): FieldDecorator {
  return rule('text', (value) =>
    isBoundedString(value, max)
      ? undefined
      : `must be a non-empty string of at most ${max} characters`,
  );
}

export function AccountId(): FieldDecorator {
  return rule('accountId', (value) =>
    typeof value === 'string' && ACCOUNT_ID_PATTERN.test(value)
      ? undefined
      : `must be an account id matching ${ACCOUNT_ID_PATTERN.source}`,
  );
}

export function Uuid(): FieldDecorator {
  return rule('uuid', (value) =>
    typeof value === 'string' && UUID_PATTERN.test(value)
      ? undefined
      : 'must be a lowercase UUID (8-4-4-4-12 hex digits)',
  );
}

export function TokenCount(): FieldDecorator {
  return rule('nonNegativeInteger', (value) =>
    isNonNegativeSafeInteger(value) ? undefined : 'must be a non-negative safe integer',
  );
}

export function PositiveInteger(): FieldDecorator {
  return rule('positiveInteger', (value) =>
    isNonNegativeSafeInteger(value) && value > 0 ? undefined : 'must be a positive integer',
  );
}

export function Bool(): FieldDecorator {
  return rule('boolean', (value) => (typeof value === 'boolean' ? undefined : 'must be a boolean'));
}

export function OneOf(values: readonly string[]): FieldDecorator {
  const allowed = values.map((v) => JSON.stringify(v)).join(', ');
  return rule('oneOf', (value) =>
    typeof value === 'string' && values.includes(value) ? undefined : `must be one of ${allowed}`,
  );
}

export function IsoTimestamp(): FieldDecorator {
  return rule('isoTimestamp', (value) =>
    parseIsoUtc(value) !== undefined
      ? undefined
      : 'must be an ISO-8601 UTC timestamp ending in Z, e.g. 2026-11-27T03:09:32.123Z',
  );
}

/** Cross-field rule: this timestamp is not earlier than `other`. Silent if either is malformed. */
export function NotBefore(other: string): FieldDecorator {
  return rule('notBefore', (value, object) => {
    const self = parseIsoUtc(value);
    const before = parseIsoUtc(object[other]);
    return self === undefined || before === undefined || self >= before
      ? undefined
      : `must not be before ${other}`;
  });
}

/**
 * Which amounts a money field accepts: credits are strictly positive, a cost may be zero, an
 * adjustment is signed but never zero, a balance may be anything.
 */
export type MoneySign = 'positive' | 'nonNegative' | 'nonZero' | 'any';

export function Money(sign: MoneySign): FieldDecorator {
  return rule('usd', (value) => {
    if (typeof value === 'number') {
      return 'must be a decimal USD string, not a JSON number (money is never a number)';
    }
    const nanos = tryParseUsd(value);
    if (nanos === undefined) return 'must be a decimal USD string with at most 9 fraction digits';
    switch (sign) {
      case 'positive':
        return nanos > 0n ? undefined : 'must be greater than 0';
      case 'nonNegative':
        return nanos >= 0n ? undefined : 'must not be negative';
      case 'nonZero':
        return nanos !== 0n ? undefined : 'must not be zero';
      case 'any':
        return undefined;
    }
  });
}

export function PlainObject(): FieldDecorator {
  return rule('object', (value) => (isPlainObject(value) ? undefined : 'must be a JSON object'));
}

/** A nested object validated by its own class (e.g. BalanceChanged's `cause`). */
export function Nested(cls: () => DataClass): FieldDecorator {
  const validateNested = ValidateNested({ message: 'must be a JSON object' });
  const plainObject = PlainObject();
  return (target, propertyKey) => {
    const field = String(propertyKey);
    const map = nestedClasses.get(target) ?? new Map<string, () => DataClass>();
    map.set(field, cls);
    nestedClasses.set(target, map);
    plainObject(target, propertyKey);
    validateNested(target, field);
  };
}
