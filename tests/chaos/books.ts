import { Decimal as DecimalJs } from 'decimal.js';
import type { Platform } from '../e2e/platform.js';
import { MODEL, type Outcome, type Usage } from './load.js';

/**
 * The exact comparison of what the clients saw (load.ts) with what the ledger booked, for one
 * account. Every amount expected here is computed on its own, as tests/e2e/scenario.ts does: the
 * list price of the model read from metering's public catalog, times the tokens the client
 * received, in decimal.js at a precision where nothing is rounded, then rounded once per request
 * half-up to the nano-dollar (DESIGN.md "Money"); never with the platform's money code, never
 * with floats.
 *
 * What "exact" means, for an account that was loaded while something was killed:
 * - every answered request (load.ts) has exactly one UsageCharged with its request id, at the
 *   cost its usage and the list price give;
 * - no request id is charged twice;
 * - a refused request (a complete non-200 answer) costs nothing;
 * - a request whose outcome the client could not know (`unknown`) may be charged once, never
 *   twice: there are at most as many charges beyond the answered ones as there were such
 *   requests;
 * - every top-up was credited exactly once, with its bonus (BONUS_RATE 20 %);
 * - the balance, the credits breakdown and the transaction history all say
 *   credits − Σ charges, to the nano-dollar, and the balance's version is the stream's.
 */

/** Precision wide enough that no intermediate product is ever rounded. */
export const Decimal = DecimalJs.clone({ precision: 60, rounding: DecimalJs.ROUND_HALF_UP });
export type Decimal = InstanceType<typeof Decimal>;

/** The top-up bonus (BONUS_RATE's default, which the trials do not change). */
const BONUS_RATE = new Decimal('0.20');

export interface ModelPrice {
  readonly input: string;
  readonly output: string;
  readonly cachedInput: string;
  readonly cacheWrite: string;
}

/** A funded account with a key, and everything its clients saw. */
export interface BooksAccount {
  readonly id: string;
  /** The account's console token. */
  readonly token: string;
  /** The API key the load uses. */
  readonly apiKey: string;
  /** The amounts of the top-ups settled for it (each also earns its bonus). */
  readonly topUps: Decimal[];
  /** Every request sent with its key, as its client saw it. */
  readonly outcomes: Outcome[];
}

interface AuditEvent {
  readonly version: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

interface Balance {
  readonly total: string;
  readonly held: string;
  readonly available: string;
  readonly version: number;
}

export interface Books {
  /** Events in the account's stream. */
  readonly events: number;
  /** UsageCharged events (charges of answered and of `unknown` requests). */
  readonly charges: number;
  /** Charges of requests the client did not see answered (bounded by the `unknown` ones). */
  readonly extraCharges: number;
  /** Everything that is not as it must be; empty when the books are exact. */
  readonly problems: string[];
}

/** The list price of the load's model, from metering's public catalog. */
export async function readPrice(p: Platform): Promise<ModelPrice> {
  const catalog = await getJson<{
    data: { id: string; price: { perMillionTokens: ModelPrice } | null }[];
  }>(`${p.urls.metering}/v1/models`, undefined);
  const price = catalog.data.find((m) => m.id === MODEL)?.price?.perMillionTokens;
  if (price === undefined) throw new Error(`no price for ${MODEL} in GET /v1/models`);
  return price;
}

/** What one answered request must cost: tokens × list price, rounded once, half-up. */
export function costOf(usage: Usage, price: ModelPrice): Decimal {
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0;
  return new Decimal(usage.prompt_tokens - cached)
    .mul(price.input)
    .plus(new Decimal(cached).mul(price.cachedInput))
    .plus(new Decimal(usage.completion_tokens).mul(price.output))
    .div(1_000_000)
    .toDecimalPlaces(9, Decimal.ROUND_HALF_UP);
}

/** The account's whole event stream, as the auditor's route pages it (admin token). */
export async function auditEvents(p: Platform, accountId: string): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let fromVersion = 1;
  for (;;) {
    const page = await getJson<{ data: AuditEvent[]; nextFromVersion?: number | null }>(
      `${p.urls.ledger}/v1/audit/accounts/${accountId}/events?fromVersion=${fromVersion}&limit=500`,
      p.adminToken,
    );
    events.push(...page.data);
    if (page.data.length === 0 || page.nextFromVersion == null) return events;
    fromVersion = page.nextFromVersion;
  }
}

/** Request id → the costs charged for it (more than one is a double charge). */
function chargesOf(events: readonly AuditEvent[]): Map<string, Decimal[]> {
  const charges = new Map<string, Decimal[]>();
  for (const e of events) {
    if (e.type !== 'UsageCharged') continue;
    const id = String(e.data.requestId);
    charges.set(id, [...(charges.get(id) ?? []), money(e.data.cost)]);
  }
  return charges;
}

/**
 * Whether the ledger has caught up with `answeredIds`: each of them charged (the moment a
 * trial's recovery ends). Read from the audit route, which reads the event store itself.
 */
export async function allCharged(
  p: Platform,
  accountId: string,
  answeredIds: readonly string[],
): Promise<boolean> {
  const charged = chargesOf(await auditEvents(p, accountId));
  return answeredIds.every((id) => charged.has(id));
}

/**
 * Waits until the ledger has booked every answered request and the projections have caught up
 * with the stream (or `timeoutMs` passed), then compares everything. Never throws for a wrong
 * figure: the caller asserts `problems` is empty, so that a failure lists all of them at once.
 */
export async function checkBooks(
  p: Platform,
  account: BooksAccount,
  price: ModelPrice,
  timeoutMs = 60_000,
): Promise<Books> {
  const answered = account.outcomes.flatMap((o) => (o.kind === 'answered' ? [o] : []));
  const deadline = Date.now() + timeoutMs;
  let events: AuditEvent[] = [];
  let balance: Balance | undefined;
  const expectedTopUps = account.topUps.reduce((s, a) => s.plus(a), new Decimal(0));
  for (;;) {
    events = await auditEvents(p, account.id);
    balance = await getJson<Balance>(
      `${p.urls.ledger}/v1/accounts/${account.id}/balance`,
      account.token,
    );
    const charged = chargesOf(events);
    const credited = events.filter((e) => e.type === 'TopUpCredited').length;
    const caughtUp =
      answered.every((o) => charged.has(o.requestId)) &&
      credited >= account.topUps.length &&
      balance.version === events.at(-1)?.version;
    if (caughtUp || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 250));
  }

  const problems: string[] = [];
  const charges = chargesOf(events);
  let charged = new Decimal(0);
  for (const [id, costs] of charges) {
    if (costs.length > 1) problems.push(`${id} charged ${costs.length} times`);
    for (const c of costs) charged = charged.plus(c);
  }

  // Every answered request: charged once, at its own cost.
  const missing: string[] = [];
  for (const o of answered) {
    const costs = charges.get(o.requestId);
    if (costs === undefined) {
      missing.push(o.requestId);
      continue;
    }
    const expected = costOf(o.usage, price);
    if (!costs.every((c) => c.equals(expected))) {
      problems.push(
        `${o.requestId} (${JSON.stringify(o.usage)}) charged ${costs.map(plain).join(', ')}, ` +
          `not ${plain(expected)}`,
      );
    }
  }
  if (missing.length > 0) {
    problems.push(
      `${missing.length} of ${answered.length} answered requests not billed after ` +
        `${timeoutMs} ms: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`,
    );
  }

  // Charges of requests not answered: free for refused ones, bounded for unknown ones.
  const answeredIds = new Set(answered.map((o) => o.requestId));
  const refusedIds = new Set(
    account.outcomes.flatMap((o) =>
      o.kind === 'refused' && o.requestId !== undefined ? [o.requestId] : [],
    ),
  );
  const unknown = account.outcomes.filter((o) => o.kind === 'unknown').length;
  let extraCharges = 0;
  for (const [id, costs] of charges) {
    if (answeredIds.has(id)) continue;
    const cost = costs.reduce((s, c) => s.plus(c), new Decimal(0));
    if (refusedIds.has(id)) {
      if (!cost.isZero()) problems.push(`${id} was refused yet charged ${plain(cost)}`);
    } else if (!cost.isZero()) {
      extraCharges++;
    }
  }
  if (extraCharges > unknown) {
    problems.push(
      `${extraCharges} charges for requests no client saw answered, but only ${unknown} had an ` +
        'unknown outcome',
    );
  }

  // Credits: every top-up once, with its bonus, and nothing else.
  const sumOf = (type: string): Decimal =>
    events
      .filter((e) => e.type === type)
      .reduce((s, e) => s.plus(money(e.data.amount)), new Decimal(0));
  const topUps = events.filter((e) => e.type === 'TopUpCredited').length;
  const credits = sumOf('TopUpCredited').plus(sumOf('BonusCredited'));
  const expectedBonuses = account.topUps.reduce(
    (s, a) => s.plus(a.mul(BONUS_RATE).toDecimalPlaces(9, Decimal.ROUND_HALF_UP)),
    new Decimal(0),
  );
  if (topUps !== account.topUps.length || !sumOf('TopUpCredited').equals(expectedTopUps)) {
    problems.push(
      `${topUps} top-ups credited for ${plain(sumOf('TopUpCredited'))}, expected ` +
        `${account.topUps.length} for ${plain(expectedTopUps)}`,
    );
  }
  if (!sumOf('BonusCredited').equals(expectedBonuses)) {
    problems.push(
      `bonuses credited ${plain(sumOf('BonusCredited'))}, expected ${plain(expectedBonuses)}`,
    );
  }
  const unexpected = events.filter(
    (e) =>
      ![
        'TopUpCredited',
        'BonusCredited',
        'UsageCharged',
        'HoldPlaced',
        'HoldReleased',
        'HoldExtended',
        'HoldExpired',
      ].includes(e.type),
  );
  if (unexpected.length > 0) {
    problems.push(`unexpected events: ${unexpected.map((e) => `v${e.version} ${e.type}`).join()}`);
  }

  // The three views of the balance agree with the stream, to the nano-dollar.
  const total = credits.minus(charged);
  if (balance === undefined) throw new Error('no balance read');
  if (balance.version !== events.at(-1)?.version) {
    problems.push(`balance at version ${balance.version}, stream at ${events.at(-1)?.version}`);
  }
  if (!money(balance.total).equals(total)) {
    problems.push(`balance total ${balance.total}, expected ${plain(total)}`);
  }
  const breakdown = await getJson<Record<string, string>>(
    `${p.urls.ledger}/v1/accounts/${account.id}/credits-breakdown`,
    account.token,
  );
  const expectedBreakdown = {
    topUps: plain(expectedTopUps),
    bonuses: plain(expectedBonuses),
    usage: plain(charged),
    totalBalance: plain(total),
  };
  const actualBreakdown = {
    topUps: plain(money(breakdown.topUps)),
    bonuses: plain(money(breakdown.bonuses)),
    usage: plain(money(breakdown.usage)),
    totalBalance: plain(money(breakdown.totalBalance)),
  };
  if (JSON.stringify(actualBreakdown) !== JSON.stringify(expectedBreakdown)) {
    problems.push(
      `credits breakdown ${JSON.stringify(actualBreakdown)}, expected ${JSON.stringify(expectedBreakdown)}`,
    );
  }
  const rows = await transactions(p, account);
  const rowsTotal = rows.reduce((s, r) => s.plus(money(r.amount)), new Decimal(0));
  if (!rowsTotal.equals(total)) {
    problems.push(`transactions add up to ${plain(rowsTotal)}, expected ${plain(total)}`);
  }
  const topUpRows = rows.filter((r) => r.type === 'top_up').length;
  if (topUpRows !== account.topUps.length) {
    problems.push(`${topUpRows} top-up rows in the history, expected ${account.topUps.length}`);
  }

  return { events: events.length, charges: charges.size, extraCharges, problems };
}

/**
 * No hold left open: the ledger lists none for the account and holds nothing. Called once the
 * hold TTL has passed since the account's last request, so that holds orphaned by a killed
 * gateway have expired.
 */
export async function openHolds(p: Platform, account: BooksAccount): Promise<string[]> {
  const holds = await getJson<{ data: { holdId: string; expiresAt: string }[]; held: string }>(
    `${p.urls.ledger}/v1/accounts/${account.id}/holds`,
    p.adminToken,
  );
  const balance = await getJson<Balance>(
    `${p.urls.ledger}/v1/accounts/${account.id}/balance`,
    account.token,
  );
  const problems = holds.data.map(
    (h) => `${account.id}: hold ${h.holdId} open (expires ${h.expiresAt})`,
  );
  if (!money(holds.held).isZero() || !money(balance.held).isZero()) {
    problems.push(`${account.id}: ${holds.held} held (balance says ${balance.held})`);
  }
  return problems;
}

async function transactions(
  p: Platform,
  account: BooksAccount,
): Promise<{ amount: string; type: string }[]> {
  const rows: { amount: string; type: string }[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: { amount: string; type: string }[]; nextCursor: string | null } =
      await getJson(
        `${p.urls.ledger}/v1/accounts/${account.id}/transactions?limit=100` +
          (cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`),
        account.token,
      );
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return rows;
}

export async function getJson<T>(url: string, token: string | undefined): Promise<T> {
  const res = await fetch(url, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(20_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export function money(value: unknown): Decimal {
  if (typeof value !== 'string') throw new Error(`not a money string: ${String(value)}`);
  return new Decimal(value);
}

/** A money string as the platform writes it: plain decimal, no exponent, no trailing zeros. */
export function plain(d: Decimal): string {
  const s = d.toFixed(9).replace(/\.?0+$/, '');
  return s === '-0' || s === '' ? '0' : s;
}
