/**
 * A decimal string that is not a valid amount (or rate). An expected failure at a boundary (an
 * HTTP body, a config value, a price sheet), so it carries a stable code that an API layer can
 * answer with a 400; `reason` names the problem without the surrounding text.
 */
export class MoneyParseError extends Error {
  readonly code = 'MONEY.INVALID_AMOUNT';

  constructor(
    readonly reason: string,
    what: string,
    input: unknown,
  ) {
    super(`invalid ${what} ${describeInput(input)}: ${reason}`);
    this.name = 'MoneyParseError';
  }
}

const MAX_ECHO_CHARS = 64;

/** Quotes the offending input for the message, cut short so a huge input cannot bloat a log line. */
function describeInput(input: unknown): string {
  if (typeof input !== 'string') return `(${input === null ? 'null' : typeof input})`;
  const shown = input.length > MAX_ECHO_CHARS ? `${input.slice(0, MAX_ECHO_CHARS)}…` : input;
  return JSON.stringify(shown);
}

/** Fails loudly when a `number` (or anything else) reaches money arithmetic at runtime. */
export function requireBigInt(name: string, value: unknown): bigint {
  if (typeof value !== 'bigint') {
    throw new TypeError(`${name} must be a bigint (nano-dollars), got ${typeof value}`);
  }
  return value;
}
