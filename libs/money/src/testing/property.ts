// Test support only (imported by *.spec.ts, never by the library): fast-check properties as Jest
// assertions. A Jest `expect` costs tens of microseconds, which over 10,000 runs per property
// would make this suite take many seconds; `same` is a plain comparison that throws a readable
// message, and fast-check adds the shrunk counterexample to it.
import fc from 'fast-check';

/** Asserts that the property holds for numRuns generated cases (named expect* for jest/expect-expect). */
export function expectProperty<Ts>(property: fc.IProperty<Ts>, numRuns: number): void {
  fc.assert(property, { numRuns });
}

/** Returns true when actual is expected (Object.is); otherwise throws "expected …, got …". */
export function same<T>(actual: T, expected: T, what = 'value'): true {
  if (!Object.is(actual, expected)) {
    throw new Error(`${what}: expected ${show(expected)}, got ${show(actual)}`);
  }
  return true;
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
