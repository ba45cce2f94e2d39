/**
 * The query strings and figures of the console's history pages (the transaction history, a key's
 * request log and "explain this charge"), kept apart from React so that they are tested alone.
 */

/** What the transaction history is narrowed to; an empty string is "no narrowing". */
export interface TransactionFilter {
  /** One transaction type (`gift`), or '' for every type. */
  readonly type: string;
  /** The first and the last UTC day shown (`YYYY-MM-DD`, as a date input gives it), or ''. */
  readonly from: string;
  readonly to: string;
}

export const NO_FILTER: TransactionFilter = { type: '', from: '', to: '' };

/** The reason a filter cannot be asked for, in words; undefined when it can. */
export function filterProblem(filter: TransactionFilter): string | undefined {
  if (filter.from !== '' && filter.to !== '' && filter.from > filter.to) {
    return 'The first day must not be after the last day.';
  }
  return undefined;
}

/**
 * The ledger's `/transactions` query of one page: the filter goes to the server (CONTRACTS.md,
 * `type`, `from`, `to`), so that every page is a page of the filtered history. Narrowing one page
 * in the browser would leave pages short or empty while matching rows sit on later ones.
 */
export function transactionsQuery(
  filter: TransactionFilter,
  limit: number,
  cursor: string | undefined,
): TransactionsQuery {
  return {
    limit,
    type: filter.type === '' ? undefined : filter.type,
    from: filter.from === '' ? undefined : filter.from,
    to: filter.to === '' ? undefined : filter.to,
    cursor,
  };
}

/** Query parameters; an undefined one is not sent. */
export interface TransactionsQuery {
  readonly limit: number;
  readonly type: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly cursor: string | undefined;
}

/** Metering's `/requests` query of one page of a key's request log. */
export function requestsQuery(
  apiKeyId: string,
  limit: number,
  cursor: string | undefined,
): { readonly apiKeyId: string; readonly limit: number; readonly cursor: string | undefined } {
  return { apiKeyId, limit, cursor };
}

/** The token counts of "explain this charge" (CONTRACTS.md, ledger). */
export interface ChargeTokens {
  readonly input: number;
  readonly cachedInput: number;
  readonly cacheWrite: number;
  readonly output: number;
  readonly reasoning: number;
}

/** USD per million tokens of each kind, decimal strings. */
export interface UnitPrices {
  readonly input: string;
  readonly output: string;
  readonly cachedInput: string;
  readonly cacheWrite: string;
}

/** One line of a charge: so many tokens of a kind, at a price per million (null: not recorded). */
export interface ChargeLine {
  readonly kind: string;
  readonly tokens: number;
  readonly perMillion: string | null;
}

/**
 * The tokens of a charge by the kind they are priced as (CONTRACTS.md, "Token accounting"): the
 * input count includes the cached and cache-write tokens, which have prices of their own, so the
 * input line is what is left of it; reasoning tokens are part of the output and billed once, as
 * output. A kind the request did not use is left out, except input and output.
 */
export function chargeLines(tokens: ChargeTokens, prices: UnitPrices | null): ChargeLine[] {
  const price = (kind: keyof UnitPrices): string | null => (prices === null ? null : prices[kind]);
  const lines: ChargeLine[] = [
    {
      kind: tokens.cachedInput + tokens.cacheWrite > 0 ? 'Input, not cached' : 'Input',
      tokens: tokens.input - tokens.cachedInput - tokens.cacheWrite,
      perMillion: price('input'),
    },
  ];
  if (tokens.cachedInput > 0) {
    lines.push({
      kind: 'Cached input',
      tokens: tokens.cachedInput,
      perMillion: price('cachedInput'),
    });
  }
  if (tokens.cacheWrite > 0) {
    lines.push({ kind: 'Cache write', tokens: tokens.cacheWrite, perMillion: price('cacheWrite') });
  }
  lines.push({
    kind: tokens.reasoning > 0 ? `Output (${count(tokens.reasoning)} reasoning)` : 'Output',
    tokens: tokens.output,
    perMillion: price('output'),
  });
  return lines;
}

/** A count as people read it: `12,345`. */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A latency in milliseconds: `850 ms` below a second, `1.25 s` (to the hundredth) from one on. */
export function formatLatency(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const hundredths = Math.round(ms / 10);
  const seconds = Math.floor(hundredths / 100);
  const rest = String(hundredths % 100).padStart(2, '0');
  return `${count(seconds)}.${rest} s`;
}
