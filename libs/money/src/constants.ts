/**
 * An amount of money in integer nano-dollars (1e-9 USD). A `bigint`, never a JavaScript `number`:
 * a `number` loses whole nano-dollars above 2^53 nanos (about $9 million) and cannot hold most
 * decimal fractions exactly.
 */
export type NanoUsd = bigint;

/** Nano-dollars in one US dollar. Nine fraction digits, the precision of money in CONTRACTS.md. */
export const NANOS_PER_USD = 1_000_000_000n;

/** The number of fraction digits of a nano-dollar amount written in dollars. */
export const USD_FRACTION_DIGITS = 9;

/** Postgres `int8` (`bigint`) bounds: the column type of stored balances and amounts. */
export const PG_INT8_MIN = -(2n ** 63n);
export const PG_INT8_MAX = 2n ** 63n - 1n;
