import { parseUsd } from '@billing/money';
import { bonusFor, centsOf, nanosOfCents, parseTopUpAmount } from './amounts.js';
import { formatInvoiceNumber } from './invoice-number.js';

const limits = { minNanos: parseUsd('5'), maxNanos: parseUsd('10000') };

describe('parseTopUpAmount', () => {
  it.each([
    ['100', 100_000_000_000n],
    ['12.5', 12_500_000_000n],
    ['12.50', 12_500_000_000n],
    ['5', 5_000_000_000n],
    ['10000', 10_000_000_000_000n],
  ])('accepts %s', (text, nanos) => {
    expect(parseTopUpAmount(text, limits)).toEqual({ ok: true, value: nanos });
  });

  it.each([
    ['12.345', 'PAYMENTS.INVALID_AMOUNT', /whole number of cents/],
    ['0', 'PAYMENTS.INVALID_AMOUNT', /positive/],
    ['-10', 'PAYMENTS.INVALID_AMOUNT', /positive/],
    ['1e3', 'PAYMENTS.INVALID_AMOUNT', /decimal USD string/],
    [100, 'PAYMENTS.INVALID_AMOUNT', /decimal USD string/],
    ['4.99', 'PAYMENTS.AMOUNT_TOO_SMALL', /minimum top-up is \$5\.00/],
    ['10000.01', 'PAYMENTS.AMOUNT_TOO_LARGE', /maximum top-up is \$10000\.00/],
  ])('refuses %p with %s', (value, code, message) => {
    expect(parseTopUpAmount(value, limits)).toEqual({
      ok: false,
      error: { code, message: expect.stringMatching(message) as string },
    });
  });
});

describe('cents', () => {
  it('converts whole cents both ways and refuses a fraction of a cent', () => {
    expect(centsOf(parseUsd('100'))).toBe(10_000);
    expect(nanosOfCents(1_250)).toBe(parseUsd('12.5'));
    expect(() => centsOf(parseUsd('0.001'))).toThrow(/whole cents/);
    expect(() => nanosOfCents(1.5)).toThrow(/safe integer/);
  });
});

describe('bonusFor', () => {
  it('is exact: $100 earns $20, $0.05 earns $0.01, $33.33 earns $6.666', () => {
    expect(bonusFor(parseUsd('100'), '0.20')).toBe(parseUsd('20'));
    expect(bonusFor(parseUsd('0.05'), '0.20')).toBe(parseUsd('0.01'));
    expect(bonusFor(parseUsd('33.33'), '0.20')).toBe(parseUsd('6.666'));
    expect(bonusFor(parseUsd('100'), '0')).toBe(0n);
  });
});

describe('formatInvoiceNumber', () => {
  it('pads to six digits and grows beyond', () => {
    expect(formatInvoiceNumber(1n)).toBe('INV-000001');
    expect(formatInvoiceNumber(123_456n)).toBe('INV-123456');
    expect(formatInvoiceNumber(1_234_567n)).toBe('INV-1234567');
    expect(() => formatInvoiceNumber(0n)).toThrow();
  });
});
