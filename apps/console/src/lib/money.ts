import { formatUsd, mulRatio, parseUsd, tryParseUsd } from '@billing/money';

/**
 * Money on screen. The API sends decimal strings of US dollars (docs/CONTRACTS.md, "Money"); the
 * console parses them into nano-dollars with @billing/money and writes them back as text, never
 * through a float: `$1,234.50`, `-$0.000153`. At least cents are shown; a finer amount (a single
 * request's cost) keeps every digit it has, because rounding it would show a charge that is not
 * the one recorded.
 */
export function formatMoney(amount: string): string {
  return formatNanos(parseUsd(amount));
}

export function formatNanos(nanos: bigint): string {
  const text = formatUsd(nanos < 0n ? -nanos : nanos);
  const [integer = '0', fraction = ''] = text.split('.');
  const grouped = integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${nanos < 0n ? '-' : ''}$${grouped}.${fraction.padEnd(2, '0')}`;
}

/** The exact sum of decimal strings, as a decimal string. */
export function sumMoney(amounts: readonly string[]): string {
  return formatUsd(amounts.reduce((sum, a) => sum + parseUsd(a), 0n));
}

export interface TopUpSettings {
  /** The bonus a top-up earns, as payments is configured (BONUS_RATE, "0.20"). */
  readonly bonusRate: string;
  readonly minTopUp: string;
  readonly maxTopUp: string;
}

export type TopUpPreview =
  | {
      readonly ok: true;
      /** The amount as the API takes it ("25.5"). */
      readonly amount: string;
      readonly bonus: string;
      readonly credited: string;
    }
  | { readonly ok: false; readonly problem: string };

const CENTS = /^\d{1,7}(?:\.\d{1,2})?$/;

/**
 * What a top-up of `input` dollars will credit, before paying: the amount, its bonus (amount ×
 * bonus rate, exactly as payments computes it, with @billing/money's mulRatio) and the two
 * together. The input is what a person types: whole cents, within the limits; anything else is a
 * problem to show, in words.
 */
export function previewTopUp(input: string, settings: TopUpSettings): TopUpPreview {
  const text = input.trim().replace(/^\$/, '').replaceAll(',', '');
  if (text === '') return { ok: false, problem: 'Enter an amount.' };
  if (!CENTS.test(text)) {
    return { ok: false, problem: 'Enter an amount in dollars and cents, like 25 or 25.50.' };
  }
  const nanos = tryParseUsd(text);
  const min = parseUsd(settings.minTopUp);
  const max = parseUsd(settings.maxTopUp);
  if (nanos === undefined) return { ok: false, problem: 'Enter an amount in dollars and cents.' };
  if (nanos < min) {
    return { ok: false, problem: `The smallest top-up is ${formatNanos(min)}.` };
  }
  if (nanos > max) {
    return { ok: false, problem: `The largest top-up is ${formatNanos(max)}.` };
  }
  const bonus = mulRatio(nanos, settings.bonusRate);
  return {
    ok: true,
    amount: formatUsd(nanos),
    bonus: formatUsd(bonus),
    credited: formatUsd(nanos + bonus),
  };
}

/** "20%" for "0.20", "12.5%" for "0.125": the rate as a person reads it, from its string. */
export function formatRate(rate: string): string {
  const percent = formatUsd(mulRatio(parseUsd(rate), '100'));
  return `${percent}%`;
}
