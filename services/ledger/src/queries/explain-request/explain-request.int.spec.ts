import { formatUsd, parseUsd } from '@billing/money';
import { eventually } from '@billing/testing';
import type { BalanceView } from '../get-balance/get-balance.query.js';
import type {
  AccountEventsPage,
  AuditEventView,
} from '../list-account-events/list-account-events.query.js';
import {
  bonusGranted,
  contractEvent,
  createLedgerTestApp,
  topUpSettled,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { LedgerEventRef, RequestExplanationView } from './explain-request.query.js';

// "Explain this charge" on the real ledger: real Kafka in, real PostgreSQL, real HTTP out.

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp({ schedulerIntervalMs: 0 });
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

/** Unit prices with nine fraction digits, so that the cost needs its one half-up rounding. */
const PRICES = {
  input: '1.234567891',
  output: '9.87654321',
  cachedInput: '0.123456789',
  cacheWrite: '1.5',
};
const TOKENS = {
  inputTokens: 12_345,
  cachedInputTokens: 4_321,
  cacheWriteTokens: 1_111,
  outputTokens: 6_791,
  reasoningTokens: 998,
};
// (12345 − 4321 − 1111) × 1.234567891 + 4321 × 0.123456789 + 1111 × 1.5 + 6791 × 9.87654321
// = 77806.129554862 per million tokens = $0.077806129554862, half-up to the nano-dollar:
const COST = '0.07780613';

/** A UsageRecorded as metering publishes it, with the unit prices it priced at (or none). */
function usage(
  accountId: string,
  requestId: string,
  cost: string,
  o: { holdId?: string; prices?: typeof PRICES } = {},
) {
  return contractEvent('UsageRecorded', accountId, {
    requestId,
    apiKeyId: 'key_explain',
    model: 'sim/echo-1',
    ...TOKENS,
    status: 'succeeded',
    ...(o.holdId !== undefined && { holdId: o.holdId }),
    startedAt: '2026-11-27T03:09:30.000Z',
    completedAt: '2026-11-27T03:09:32.250Z',
    cost,
    priceVersion: 'sim/echo-1@2025-01-01T00:00:00.000Z',
    ...(o.prices !== undefined && { pricesPerMillionTokens: o.prices }),
  });
}

const balanceAt = (accountId: string, version: number) =>
  eventually(async () => {
    const b = await t.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`);
    return b.body.version >= version ? b.body : undefined;
  }, 20_000);

const auditEvents = async (accountId: string): Promise<readonly AuditEventView[]> =>
  (await t.http<AccountEventsPage>('GET', `/v1/audit/accounts/${accountId}/events?limit=1000`)).body
    .data;

/** The reference to an event of `accountId` as the audit API shows that same event. */
const refOf = (accountId: string, e: AuditEventView): LedgerEventRef => ({
  eventId: e.eventId,
  type: e.type,
  streamId: `account-${accountId}`,
  streamVersion: e.version,
  position: e.position,
  recordedAt: e.recordedAt,
});

/** Σ unit price × tokens over the billed kinds, exactly, rounded once half-up (DESIGN.md "Money"). */
function priced(view: RequestExplanationView): string {
  const p = view.price.perMillionTokens;
  if (p === null) throw new Error('no unit prices');
  const { input, cachedInput, cacheWrite, output } = view.tokens;
  const microNanos =
    parseUsd(p.input) * BigInt(input - cachedInput - cacheWrite) +
    parseUsd(p.cachedInput) * BigInt(cachedInput) +
    parseUsd(p.cacheWrite) * BigInt(cacheWrite) +
    parseUsd(p.output) * BigInt(output);
  return formatUsd((microNanos + 500_000n) / 1_000_000n);
}

describe('GET /v1/accounts/{accountId}/requests/{requestId}', () => {
  const owner = 'acct_explain_owner';
  const other = 'acct_explain_other';
  const requestId = 'req_explain_1';
  let explained: RequestExplanationView;
  let audit: readonly AuditEventView[];

  beforeAll(async () => {
    // $5 top-up and its $0.001 bonus; the gateway's hold of $0.1 for the request; the usage.
    await t.publish(t.topics.payments, [
      topUpSettled(owner, 'tu_explain', '5'),
      bonusGranted(owner, 'g_explain', '0.001', { topUpId: 'tu_explain' }),
    ]);
    await balanceAt(owner, 2);
    const hold = await t.asGateway('POST', `/v1/accounts/${owner}/holds`, {
      body: { holdId: 'hold_explain', amount: '0.1', ttlSeconds: 600 },
    });
    if (hold.status !== 201) throw new Error(`the hold was not placed: ${hold.status}`);
    await t.publish(t.topics.usageRecorded, [
      usage(owner, requestId, COST, { holdId: 'hold_explain', prices: PRICES }),
    ]);
    // Another account charged under the same request id (ids are only unique per account).
    // Credits and usage come on two topics: each usage waits for its credits to be applied.
    await t.publish(t.topics.payments, [topUpSettled(other, 'tu_other', '1')]);
    await balanceAt(other, 1);
    await t.publish(t.topics.usageRecorded, [usage(other, requestId, '0.5', { prices: PRICES })]);
    // A request only the owner made, a nano-dollar.
    await t.publish(t.topics.usageRecorded, [usage(owner, 'req_owner_only', '0.000000001')]);
    await balanceAt(owner, 5);
    await balanceAt(other, 2);

    const res = await t.http<RequestExplanationView>(
      'GET',
      `/v1/accounts/${owner}/requests/${requestId}`,
      { token: await t.tokenFor(owner) },
    );
    if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
    explained = res.body;
    audit = await auditEvents(owner);
  }, 60_000);

  it('answers the account token with the model, tokens by kind, the price version and its unit prices, and the cost', () => {
    expect(explained).toMatchObject({
      accountId: owner,
      requestId,
      apiKeyId: 'key_explain',
      model: 'sim/echo-1',
      completedAt: '2026-11-27T03:09:32.250Z',
      tokens: {
        input: 12_345,
        cachedInput: 4_321,
        cacheWrite: 1_111,
        output: 6_791,
        reasoning: 998,
      },
      price: { version: 'sim/echo-1@2025-01-01T00:00:00.000Z', perMillionTokens: PRICES },
      cost: COST,
      debtIncurred: '0',
    });
  });

  it('shows unit prices times tokens equal to the cost, rounded once half-up to the nano-dollar', () => {
    expect(priced(explained)).toBe(explained.cost);
    expect(explained.cost).toBe('0.07780613');
  });

  it('shows the bonus lot drawn before the top-up lot, the two draws adding up to the cost', () => {
    expect(explained.draws.map((d) => [d.lotId, d.kind, d.amount])).toEqual([
      ['bonus:g_explain', 'bonus', '0.001'],
      ['top_up:tu_explain', 'top_up', '0.07680613'],
    ]);
    const drawn = explained.draws.reduce((sum, d) => sum + parseUsd(d.amount), 0n);
    expect(drawn + parseUsd(explained.debtIncurred)).toBe(parseUsd(explained.cost));
  });

  it('names the ledger events with their stream version and global position, as the audit log has them', () => {
    const byType = (type: string) => {
      const found = audit.filter((e) => e.type === type);
      expect(found).toHaveLength(1);
      return found[0] as AuditEventView;
    };
    const withStream = (e: AuditEventView) => refOf(owner, e);
    const charge = audit.find(
      (e) =>
        e.type === 'UsageCharged' && (e.data as { requestId?: string }).requestId === requestId,
    );
    if (charge === undefined) throw new Error('no UsageCharged of the request in the audit log');
    expect(explained.chargedBy).toEqual(withStream(charge));
    expect(charge.data).toMatchObject({ requestId, cost: COST });
    expect(explained.draws.map((d) => d.lotOpenedBy)).toEqual([
      withStream(byType('BonusCredited')),
      withStream(byType('TopUpCredited')),
    ]);
    expect(explained.hold).toEqual({
      holdId: 'hold_explain',
      captured: '0.1',
      placedBy: withStream(byType('HoldPlaced')),
    });
    // Positions are int8 strings, versions the stream's own.
    expect(explained.chargedBy.streamVersion).toBe(4);
    expect(explained.chargedBy.position).toMatch(/^[1-9]\d*$/);
  });

  it('answers the admin token the same', async () => {
    const res = await t.http<RequestExplanationView>(
      'GET',
      `/v1/accounts/${owner}/requests/${requestId}`,
    );
    expect(res.status).toBe(200);
    expect(res.body).toEqual(explained);
  });

  it("explains each account's own charge under a request id two accounts share", async () => {
    const res = await t.http<RequestExplanationView>(
      'GET',
      `/v1/accounts/${other}/requests/${requestId}`,
      { token: await t.tokenFor(other) },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accountId: other, cost: '0.5' });
    expect(res.body.draws.map((d) => [d.lotId, d.amount])).toEqual([['top_up:tu_other', '0.5']]);
    expect(res.body.chargedBy.streamId).toBe(`account-${other}`);
  });

  it("answers 404 to another account's request id asked under one's own account", async () => {
    const mine = await t.http<RequestExplanationView>(
      'GET',
      `/v1/accounts/${owner}/requests/req_owner_only`,
      { token: await t.tokenFor(owner) },
    );
    expect([mine.status, mine.body.cost]).toEqual([200, '0.000000001']);
    const theirs = await t.http<ErrorBody>('GET', `/v1/accounts/${other}/requests/req_owner_only`, {
      token: await t.tokenFor(other),
    });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe('LEDGER.REQUEST_NOT_FOUND');
  });

  it('answers 404 with the error shape to an unknown request id', async () => {
    const res = await t.http<ErrorBody>('GET', `/v1/accounts/${owner}/requests/req_never_seen`, {
      token: await t.tokenFor(owner),
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      error: { code: 'LEDGER.REQUEST_NOT_FOUND', message: expect.any(String) as string },
    });
  });

  it("answers 403 to another account's token, 401 to none", async () => {
    const intruder = await t.http<ErrorBody>('GET', `/v1/accounts/${owner}/requests/${requestId}`, {
      token: await t.tokenFor(other),
    });
    expect(intruder.status).toBe(403);
    expect(intruder.body.error.code).toBe('AUTH.FORBIDDEN');
    const anonymous = await t.http('GET', `/v1/accounts/${owner}/requests/${requestId}`, {
      token: null,
    });
    expect(anonymous.status).toBe(401);
  });

  it.each([
    ['longer than 200 characters', 'r'.repeat(201)],
    ['with whitespace', 'req%20explain'],
    ['with a control character', 'req%09explain'],
  ])('answers 400 to a request id %s', async (_what, id) => {
    const res = await t.http<ErrorBody>('GET', `/v1/accounts/${owner}/requests/${id}`, {
      token: await t.tokenFor(owner),
    });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('answers 400 to a malformed account id before looking anything up', async () => {
    const res = await t.http<ErrorBody>('GET', `/v1/accounts/acct%20x/requests/${requestId}`);
    expect(res.status).toBe(400);
  });
});

describe('a charge recorded before UsageRecorded carried unit prices', () => {
  it('is explained with its price version and no unit prices, and no hold', async () => {
    const accountId = 'acct_explain_old';
    await t.publish(t.topics.payments, [topUpSettled(accountId, 'tu_old', '1')]);
    await balanceAt(accountId, 1);
    await t.publish(t.topics.usageRecorded, [usage(accountId, 'req_old', '0.25')]);
    await balanceAt(accountId, 2);

    const res = await t.http<RequestExplanationView>(
      'GET',
      `/v1/accounts/${accountId}/requests/req_old`,
    );

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      cost: '0.25',
      price: { version: 'sim/echo-1@2025-01-01T00:00:00.000Z', perMillionTokens: null },
      draws: [{ lotId: 'top_up:tu_old', kind: 'top_up', amount: '0.25' }],
      hold: null,
    });
  }, 30_000);
});
