import { formatMoney, formatNanos, formatRate, previewTopUp, sumMoney } from './money.js';

const settings = { bonusRate: '0.20', minTopUp: '5', maxTopUp: '10000' };

describe('formatMoney', () => {
  it.each([
    ['0', '$0.00'],
    ['120', '$120.00'],
    ['12.5', '$12.50'],
    ['1234567.89', '$1,234,567.89'],
    ['0.000153', '$0.000153'],
    ['-2.5', '-$2.50'],
    ['-0.000000001', '-$0.000000001'],
    ['21.999846', '$21.999846'],
  ])('writes %s as %s, every digit kept', (amount, shown) => {
    expect(formatMoney(amount)).toBe(shown);
  });

  it('refuses what is not a decimal amount rather than showing a wrong figure', () => {
    expect(() => formatMoney('1e3')).toThrow();
    expect(() => formatMoney('12.0000000001')).toThrow();
    expect(() => formatMoney('')).toThrow();
  });

  it('formats nano-dollars', () => {
    expect(formatNanos(120_000_000_000n)).toBe('$120.00');
  });
});

describe('sumMoney', () => {
  it('adds exactly where floats would not (0.1 + 0.2)', () => {
    expect(sumMoney(['0.1', '0.2'])).toBe('0.3');
    expect(sumMoney(['100', '20'])).toBe('120');
    expect(sumMoney([])).toBe('0');
  });
});

describe('previewTopUp', () => {
  it.each([
    ['100', '100', '20', '120'],
    ['$25', '25', '5', '30'],
    ['33.33', '33.33', '6.666', '39.996'],
    ['1,000', '1000', '200', '1200'],
    ['10000', '10000', '2000', '12000'],
  ])('shows %s earning its 20%% bonus: %s + %s = %s', (input, amount, bonus, credited) => {
    expect(previewTopUp(input, settings)).toEqual({ ok: true, amount, bonus, credited });
  });

  it('follows the configured bonus rate', () => {
    expect(previewTopUp('100', { ...settings, bonusRate: '0.125' })).toMatchObject({
      bonus: '12.5',
      credited: '112.5',
    });
  });

  it.each([
    ['', /Enter an amount/],
    ['abc', /dollars and cents/],
    ['12.345', /dollars and cents/],
    ['-10', /dollars and cents/],
    ['1e3', /dollars and cents/],
    ['4.99', /smallest top-up is \$5\.00/],
    ['10000.01', /largest top-up is \$10,000\.00/],
  ])('refuses %p and says why', (input, problem) => {
    const preview = previewTopUp(input, settings);
    expect(preview.ok).toBe(false);
    expect(preview.ok ? '' : preview.problem).toMatch(problem);
  });
});

describe('formatRate', () => {
  it('reads a rate as a percentage', () => {
    expect(formatRate('0.20')).toBe('20%');
    expect(formatRate('0.125')).toBe('12.5%');
  });
});
