import { formatUsd, parseNanos } from '@billing/money';

/** An int8 column of nano-dollars (pg hands int8 back as text) as the contract's USD string. */
export const usdOfColumn = (value: string): string => formatUsd(parseNanos(value));
