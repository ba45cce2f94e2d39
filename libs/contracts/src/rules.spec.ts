// parseIsoUtc reads the digits in place for speed (it runs on every timestamp of every message);
// these properties hold it to the plain `Date`-based reading it replaced.
import fc from 'fast-check';

import { parseIsoUtc } from './rules.js';

const REFERENCE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/** The former parseIsoUtc: the regex's groups, calendar-checked through `Date`. */
function referenceParseIsoUtc(text: unknown): bigint | undefined {
  if (typeof text !== 'string' || text.length > 40) return undefined;
  const match = REFERENCE_PATTERN.exec(text);
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

const RUNS = { numRuns: 2000 };
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

describe('parseIsoUtc', () => {
  it('given timestamp-shaped text with any digits, then it reads it as the Date-based parser', () => {
    const shaped = fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.option(fc.stringMatching(/^[0-9]{1,10}$/), { nil: undefined }),
      )
      .map(
        ([y, mo, d, h, mi, s, fraction]) =>
          `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)}T${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}` +
          `${fraction === undefined ? '' : `.${fraction}`}Z`,
      );
    fc.assert(
      fc.property(shaped, (text) => {
        expect(parseIsoUtc(text)).toBe(referenceParseIsoUtc(text));
      }),
      RUNS,
    );
  });

  it('given real dates, leap days and the ends of months, then it agrees with Date', () => {
    const dates = fc.date({ noInvalidDate: true, min: new Date('0000-01-01T00:00:00Z') });
    const inRange = dates.filter((d) => d.getUTCFullYear() >= 0 && d.getUTCFullYear() <= 9999);
    fc.assert(
      fc.property(inRange, fc.stringMatching(/^[0-9]{0,9}$/), (date, fraction) => {
        const iso = date.toISOString().slice(0, 19) + (fraction === '' ? '' : `.${fraction}`) + 'Z';
        expect(parseIsoUtc(iso)).toBe(referenceParseIsoUtc(iso));
        expect(parseIsoUtc(iso)).not.toBeUndefined();
      }),
      RUNS,
    );
    for (const text of [
      '2024-02-29T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '2000-02-29T23:59:59.999999999Z',
      '1900-02-29T00:00:00Z',
      '0000-02-29T00:00:00Z',
      '0099-12-31T00:00:00Z',
      '9999-12-31T23:59:59Z',
      '1969-12-31T23:59:59.5Z',
      '2026-04-31T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-13-10T00:00:00Z',
      '2026-01-00T00:00:00Z',
    ]) {
      expect(parseIsoUtc(text)).toBe(referenceParseIsoUtc(text));
    }
    expect(parseIsoUtc('1970-01-01T00:00:00.000000001Z')).toBe(1n);
    expect(parseIsoUtc('2024-02-29T00:00:00Z')).toBe(1_709_164_800_000_000_000n);
  });

  it('given any text or value, then it agrees with the Date-based parser', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 45 }), fc.anything()), (value) => {
        expect(parseIsoUtc(value)).toBe(referenceParseIsoUtc(value));
      }),
      RUNS,
    );
  });
});
