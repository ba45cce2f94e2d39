// The compiled validator against its oracle, class-validator (baseline.ts): for every contract
// class, many valid and invalid inputs must give the same `Validated` result, problems and their
// order included; and a class the compiler does not fully understand must not compile.
import { Allow, IsDefined, IsString, ValidateIf, ValidateNested } from 'class-validator';
import fc from 'fast-check';

import { FULL, MINIMAL } from './__fixtures__/examples.js';
import { decodeEventWithClassValidator, validateWithClassValidator } from './baseline.js';
import { compiledValidator, UnsupportedContractClassError } from './compile.js';
import { decodeEvent } from './decode.js';
import { EnvelopeDto } from './envelope.js';
import { EVENT_SCHEMAS, EVENT_TYPES, type EventType } from './events.js';
import { BalanceChangeCauseDto } from './events/ledger.js';
import { UsagePricesPerMillionTokensDto } from './events/usage.js';
import {
  Id,
  IsoTimestamp,
  Nested,
  NotBefore,
  Optional,
  PlainObject,
  fieldsOf,
  nestedClassOf,
  type DataClass,
} from './rules.js';
import { validateAs, type Validated } from './validate.js';

const RUNS = { numRuns: 400 };

/** Every class the decoder validates with, and the classes nested in them. */
const CLASSES: readonly [string, DataClass][] = [
  ['EnvelopeDto', EnvelopeDto],
  ...EVENT_TYPES.map((type): [string, DataClass] => [type, EVENT_SCHEMAS[type].dataClass]),
  ['BalanceChangeCauseDto', BalanceChangeCauseDto],
  ['UsagePricesPerMillionTokensDto', UsagePricesPerMillionTokensDto],
];

/** Valid inputs of a class, to mutate: the examples' envelope or data, or a nested object. */
function examplesOf(cls: DataClass): Record<string, unknown>[] {
  const events = EVENT_TYPES.flatMap((t) => [FULL[t], MINIMAL[t]]) as unknown as Record<
    string,
    unknown
  >[];
  if (cls === EnvelopeDto) return events;
  const datas = events.map((e) => e.data as Record<string, unknown>);
  const own = EVENT_TYPES.filter((t) => EVENT_SCHEMAS[t].dataClass === cls).flatMap((t) => [
    FULL[t].data as unknown as Record<string, unknown>,
    MINIMAL[t].data as unknown as Record<string, unknown>,
  ]);
  if (own.length > 0) return own;
  // A nested class: the values of the fields that nest it.
  return datas.flatMap((data) =>
    Object.values(data).filter(
      (value): value is Record<string, unknown> =>
        typeof value === 'object' &&
        value !== null &&
        Object.keys(value).every((key) => fieldsOf(cls).includes(key)) &&
        fieldsOf(cls).every((key) => key in value),
    ),
  );
}

const ABSENT = Symbol('absent');

/** Values near and far from every rule of rules.ts, and any JSON. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue() },
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      ABSENT,
      null,
      undefined,
      '',
      'x',
      'a'.repeat(40),
      'a'.repeat(41),
      'a'.repeat(64),
      'a'.repeat(65),
      'a'.repeat(200),
      'a'.repeat(201),
      'a'.repeat(500),
      'a'.repeat(501),
      '0',
      '0.000000000',
      '-0',
      '-1.5',
      '1.0000000001',
      '12',
      '1e3',
      ' 1',
      'card',
      'manual',
      'auto',
      'enabled',
      'disabled',
      'payg',
      'succeeded',
      'failed',
      'cancelled',
      '2026-11-27T03:09:32.123Z',
      '2026-11-27T03:09:29.999999999Z',
      '2026-02-30T00:00:00Z',
      '2026-11-27T03:09:32+01:00',
      '0b8a3c1e-7f4d-4e2a-9c6b-5d1f2e3a4b5c',
      '0B8A3C1E-7F4D-4E2A-9C6B-5D1F2E3A4B5C',
      'acct 1',
      'acct_1',
      '$value $property $target $constraint1',
      0,
      -1,
      1,
      1.5,
      2 ** 53,
      2 ** 53 - 1,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      true,
      false,
      [],
      [{}],
      {},
      new Date(0),
      new Map([['a', 1]]),
      new Set([1]),
      Object.create(null) as unknown,
    ),
  },
  { weight: 2, arbitrary: fc.stringMatching(/^-?(0|[1-9][0-9]{0,3})(\.[0-9]{1,11})?$/) },
  {
    weight: 2,
    arbitrary: fc
      .date({ noInvalidDate: true, min: new Date(0), max: new Date('2100-01-01') })
      .map((d) => d.toISOString()),
  },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.string({ maxLength: 70 }) },
);

/** An input for `cls`: an example with some fields replaced, removed or nested-mutated. */
function inputOf(cls: DataClass, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const examples = examplesOf(cls);
  const fields = fieldsOf(cls);
  const fieldValue = (field: string): fc.Arbitrary<unknown> => {
    const nested = nestedClassOf(cls, field);
    return nested !== undefined && depth < 2
      ? fc.oneof(anyValue, inputOf(nested, depth + 1))
      : anyValue;
  };
  const edits = fc.array(
    fc.constantFrom(...fields).chain((field) => fieldValue(field).map((v) => [field, v] as const)),
    { maxLength: 4 },
  );
  const extras = fc.dictionary(
    fc.constantFrom('__proto__', 'constructor', 'toString', 'unknownField', '0'),
    fc.jsonValue(),
    { maxKeys: 2 },
  );
  return fc
    .tuple(fc.constantFrom(...examples), edits, extras, fc.boolean())
    .map(([example, changes, extra, viaJson]) => {
      // JSON.parse makes `__proto__` an own key, as a message from Kafka would.
      const input = JSON.parse(JSON.stringify(example)) as Record<string, unknown>;
      for (const [key, value] of Object.entries(extra)) {
        Object.defineProperty(input, key, { value, enumerable: true, writable: true });
      }
      for (const [field, value] of changes) {
        if (value === ABSENT) delete input[field];
        else input[field] = value;
      }
      return viaJson ? (JSON.parse(JSON.stringify(input)) as Record<string, unknown>) : input;
    });
}

/** The same result, down to the key order of every object. */
function expectSame(actual: Validated, expected: Validated): void {
  expect(actual).toStrictEqual(expected);
  expect(shapeOf(actual)).toEqual(shapeOf(expected));
}

function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shapeOf);
  if (typeof value !== 'object' || value === null) return value;
  return Object.entries(value).map(([key, v]) => [key, shapeOf(v)]);
}

describe('compiled validator: the same results as class-validator', () => {
  it.each(CLASSES)('%s: the examples, both ways', (_name, cls) => {
    for (const example of examplesOf(cls)) {
      for (const path of ['', 'data']) {
        const expected = validateWithClassValidator(cls, example, path);
        expect(expected.ok).toBe(true);
        expectSame(validateAs(cls, example, path), expected);
      }
    }
  });

  it.each(CLASSES)('%s: generated valid and invalid inputs', (_name, cls) => {
    let failures = 0;
    fc.assert(
      fc.property(inputOf(cls), fc.constantFrom('', 'data'), (input, path) => {
        const expected = validateWithClassValidator(cls, input, path);
        if (!expected.ok) failures += 1;
        expectSame(validateAs(cls, input, path), expected);
      }),
      RUNS,
    );
    // The generator reaches both outcomes, so the comparison covers the problems too.
    expect(failures).toBeGreaterThan(RUNS.numRuns / 10);
    expect(failures).toBeLessThan(RUNS.numRuns);
  });

  it('decodeEvent: generated messages decode the same either way', () => {
    const message = fc.constantFrom(...EVENT_TYPES).chain((type: EventType) =>
      fc
        .tuple(inputOf(EnvelopeDto), inputOf(EVENT_SCHEMAS[type].dataClass), fc.boolean())
        .map(([envelope, data, keepType]) => ({
          ...envelope,
          ...(keepType && { type }),
          data,
        })),
    );
    fc.assert(
      fc.property(message, fc.boolean(), (event, asText) => {
        const raw = asText ? JSON.stringify(event) : event;
        expect(decodeEvent(raw)).toStrictEqual(decodeEventWithClassValidator(raw));
        const topic = { topic: 'payments.v1' };
        expect(decodeEvent(raw, topic)).toStrictEqual(decodeEventWithClassValidator(raw, topic));
      }),
      RUNS,
    );
  });

  it('given arbitrary JSON as data or envelope, then the same result', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(...CLASSES), (value, [, cls]) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
        const input = value as Record<string, unknown>;
        expectSame(validateAs(cls, input, 'data'), validateWithClassValidator(cls, input, 'data'));
      }),
      RUNS,
    );
  });
});

describe('compiled validator: classes it refuses', () => {
  it('given a stock class-validator decorator, then compiling throws', () => {
    class WithIsString {
      @Id() id!: string;
      @IsString() name!: string;
    }
    expect(() => compiledValidator(WithIsString)).toThrow(UnsupportedContractClassError);
    expect(() => compiledValidator(WithIsString)).toThrow(/name has a decorator/);
  });

  it('given a stock decorator on a declared field, then compiling throws', () => {
    class IsStringOnRule {
      @Id() @IsString() id!: string;
    }
    class Defined {
      @Id() @IsDefined() id!: string;
    }
    class Allowed {
      @Id() @Allow() id!: string;
    }
    expect(() => compiledValidator(IsStringOnRule)).toThrow(/not a rule of rules.ts/);
    expect(() => compiledValidator(Defined)).toThrow(UnsupportedContractClassError);
    expect(() => compiledValidator(Allowed)).toThrow(UnsupportedContractClassError);
  });

  it('given a condition other than Optional(), then compiling throws', () => {
    class Conditional {
      @ValidateIf((o: { id?: string }) => o.id !== 'x') @Id() id!: string;
    }
    expect(() => compiledValidator(Conditional)).toThrow(/other than Optional/);
  });

  it('given ValidateNested without Nested(), or with each, then compiling throws', () => {
    class Bare {
      @PlainObject() @ValidateNested() child!: object;
    }
    class Each {
      @ValidateNested({ each: true }) @Nested(() => BalanceChangeCauseDto) children!: object;
    }
    expect(() => compiledValidator(Bare)).toThrow(/must use Nested/);
    expect(() => compiledValidator(Each)).toThrow(/each option/);
  });

  it('given a nested class that is unsupported, then compiling the outer class throws', () => {
    class Inner {
      @IsString() name!: string;
    }
    class Outer {
      @Id() id!: string;
      @Nested(() => Inner) inner!: Inner;
    }
    expect(() => compiledValidator(Outer)).toThrow(/Inner/);
  });

  it('given a class with no rules or an initial value, then compiling throws', () => {
    class Empty {}
    class Initialised {
      @Id() id: string = 'default';
    }
    expect(() => compiledValidator(Empty)).toThrow(/no rules/);
    expect(() => compiledValidator(Initialised)).toThrow(/initial value/);
  });

  it('given a cross-field rule reading an undeclared field, then compiling throws', () => {
    class Dangling {
      @IsoTimestamp() @NotBefore('startedAt') completedAt!: string;
    }
    expect(() => compiledValidator(Dangling)).toThrow(/reads startedAt/);
  });

  it('given an unsupported class in decodeEvent, then it throws instead of dead-lettering', () => {
    class Broken {
      @IsString() name!: string;
    }
    const options = { schemas: { GiftGranted: { version: 1, dataClass: Broken } } };
    expect(() => decodeEvent(FULL.GiftGranted, options)).toThrow(UnsupportedContractClassError);
  });
});

describe('compiled validator: classes it accepts beyond the contract', () => {
  it('given a class nesting itself, then it compiles and agrees with class-validator', () => {
    class Node {
      @Id() id!: string;
      @Optional() @Nested(() => Node) next?: Node;
    }
    const inputs = [
      { id: 'a', next: { id: 'b', next: { id: 'c' } } },
      { id: 'a', next: { id: '', next: { id: 7, next: [] } } },
      { id: 'a', next: null },
    ];
    for (const input of inputs) {
      expectSame(validateAs(Node, input, 'x'), validateWithClassValidator(Node, input, 'x'));
    }
  });

  it('given a cross-field rule, then it sees the other fields as class-validator does', () => {
    class Window {
      @Optional() @IsoTimestamp() from?: string;
      @NotBefore('from') @IsoTimestamp() to!: string;
    }
    const at = (s: number): string => `2026-01-01T00:00:0${s}Z`;
    const inputs: Record<string, unknown>[] = [
      { from: at(1), to: at(2) },
      { from: at(2), to: at(1) },
      { to: at(1) },
      { from: at(1) },
      Object.assign(Object.create({ from: at(3) }) as object, { to: at(1) }),
    ];
    for (const input of inputs) {
      expectSame(validateAs(Window, input, ''), validateWithClassValidator(Window, input, ''));
    }
  });

  it('given message tokens in a value, then they are replaced as class-validator does', () => {
    // A value never appears in a message of rules.ts, but the formatting is mirrored anyway.
    const input = { id: '$value', child: 'not an object $value $&' };
    class Parent {
      @Id() id!: string;
      @Nested(() => BalanceChangeCauseDto) child!: object;
    }
    expectSame(validateAs(Parent, input, ''), validateWithClassValidator(Parent, input, ''));
  });
});
