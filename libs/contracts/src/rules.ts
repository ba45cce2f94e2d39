// The validation vocabulary of the wire contract: one decorator per rule of CONTRACTS.md, each
// with a message that names the rule (the decoder prefixes the field path). Every value rule
// rejects `undefined` and `null`, so a required field that is absent fails; the decoder reports
// that as "is required" instead of the rule's own message. Optional fields carry `@Optional()`.
// (NotBefore, a cross-field rule, lets absence through: it always sits next to IsoTimestamp.)
import { tryParseUsd } from '@billing/money';
import {
  registerDecorator,
  ValidateIf,
  ValidateNested,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';

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
const ISO_UTC_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

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

/**
 * A rule as the compiled validator (compile.ts) runs it: the constraint name class-validator
 * reports it under, and the check itself. `reads` names the other fields of the object that a
 * cross-field rule's check reads (empty for every other rule, whose check reads only the value).
 */
export interface RuleSpec {
  readonly name: string;
  readonly check: Check;
  readonly reads: readonly string[];
}

// The rule behind each constraint class that `rule` registers with class-validator. The compiled
// validator walks class-validator's metadata and finds each rule here by its constraint class; a
// constraint that is not here (a stock class-validator decorator) is refused when compiling.
const ruleSpecs = new WeakMap<object, RuleSpec>();

/** The rule of a constraint class from class-validator's metadata, if `rule` registered it. */
export function ruleSpecOf(constraintCls: unknown): RuleSpec | undefined {
  return typeof constraintCls === 'function' ? ruleSpecs.get(constraintCls) : undefined;
}

function rule(name: string, check: Check, reads: readonly string[] = []): FieldDecorator {
  // One constraint class per rule instance (e.g. one per `Text(max)`), as class-validator made
  // for an object validator; a class of our own lets the compiled validator find `check` again.
  class ContractRule implements ValidatorConstraintInterface {
    validate(value: unknown, args?: ValidationArguments): boolean {
      return check(value, objectOf(args)) === undefined;
    }
    defaultMessage(args?: ValidationArguments): string {
      return check(args?.value, objectOf(args)) ?? 'is invalid';
    }
  }
  ValidatorConstraint({ name })(ContractRule);
  ruleSpecs.set(ContractRule, Object.freeze({ name, check, reads: Object.freeze([...reads]) }));
  return (target, propertyKey) => {
    const field = String(propertyKey);
    declareField(target, field);
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: field,
      validator: ContractRule,
    });
  };
}

function objectOf(args: ValidationArguments | undefined): Readonly<Record<string, unknown>> {
  return (args?.object ?? {}) as Record<string, unknown>;
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
 * epoch, or `undefined`. Calendar-checked: 2026-02-30 is refused (`Date` alone would read it as
 * 2 March). Decoding runs it on every timestamp of every message, so it reads the digits in place
 * instead of going through `Date`; rules.spec.ts proves it equal to the `Date`-based reading.
 */
export function parseIsoUtc(text: unknown): bigint | undefined {
  if (typeof text !== 'string' || text.length > 40 || !ISO_UTC_PATTERN.test(text)) return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 7);
  const day = digitsAt(text, 8, 10);
  const hours = digitsAt(text, 11, 13);
  const minutes = digitsAt(text, 14, 16);
  const seconds = digitsAt(text, 17, 19);
  if (hours > 23 || minutes > 59 || seconds > 59) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  const ms = ((daysSinceEpoch(year, month, day) * 24 + hours) * 60 + minutes) * 60_000;
  // The fraction, if any, sits between the `.` at index 19 and the final `Z`; scaled to 9 digits.
  const end = text.length - 1;
  let nanos = end > 19 ? digitsAt(text, 20, end) : 0;
  for (let digits = Math.max(end - 20, 0); digits < 9; digits += 1) nanos *= 10;
  return BigInt(ms + seconds * 1000) * 1_000_000n + BigInt(nanos);
}

/** The number written by the ASCII digits text[from..to) (the pattern has checked them). */
function digitsAt(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i += 1) value = value * 10 + (text.charCodeAt(i) - 48);
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
}

/** Days from 1970-01-01 to a date of the proleptic Gregorian calendar (`days_from_civil`). */
function daysSinceEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * ((month + 9) % 12) + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** The condition of `Optional`; the compiled validator recognises `Optional` by it. */
export const isPresent = (_object: unknown, value: unknown): boolean =>
  value !== undefined && value !== null;

/** Skips every rule of the field when it is absent; `null` counts as absent. */
export function Optional(): FieldDecorator {
  return ValidateIf(isPresent);
}

export function Id(): FieldDecorator {
  return rule('id', (value) =>
    isBoundedString(value, MAX_ID_LENGTH)
      ? undefined
      : `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`,
  );
}

/** The most ids a list of ids (`IdList`) may hold. */
export const MAX_ID_LIST_LENGTH = 1000;

/** A non-empty JSON array of distinct ids, at most `max` of them (e.g. a claim's request ids). */
export function IdList(max: number = MAX_ID_LIST_LENGTH): FieldDecorator {
  return rule('idList', (value) =>
    Array.isArray(value) &&
    value.length > 0 &&
    value.length <= max &&
    value.every((id) => isBoundedString(id, MAX_ID_LENGTH)) &&
    new Set(value).size === value.length
      ? undefined
      : `must be a non-empty array of at most ${max} distinct ids (each a non-empty string of at most ${MAX_ID_LENGTH} characters)`,
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
  return rule(
    'notBefore',
    (value, object) => {
      const self = parseIsoUtc(value);
      const before = parseIsoUtc(object[other]);
      return self === undefined || before === undefined || self >= before
        ? undefined
        : `must not be before ${other}`;
    },
    [other],
  );
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

/** The message of a nested field that is not an object (see `Nested`). */
export const NESTED_MESSAGE = 'must be a JSON object';

/** A nested object validated by its own class (e.g. BalanceChanged's `cause`). */
export function Nested(cls: () => DataClass): FieldDecorator {
  const validateNested = ValidateNested({ message: NESTED_MESSAGE });
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
