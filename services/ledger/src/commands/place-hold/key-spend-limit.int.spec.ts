import { formatUsd, parseUsd } from '@billing/money';
import { eventually } from '@billing/testing';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import {
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

// Per-key spend limits at the ledger (issue #17), over real HTTP, the real broker and the real
// database: a burst of concurrent holds of one key is admitted exactly up to the key's limit, in
// the same decision as the balance; the charges that capture them never add up to more than the
// limit; another key of the same account is not affected; and a new limit applies to the next
// hold.

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

interface HoldAnswer {
  readonly holdId?: string;
  readonly available?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

const acct = 'acct_key_limits';

async function fund(amount: string): Promise<void> {
  await t.publish(t.topics.payments, [topUpSettled(acct, 'tu_limits', amount)]);
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', `/v1/accounts/${acct}/balance`);
    return b.body.version >= 1 ? true : undefined;
  });
}

function hold(
  holdId: string,
  amount: string,
  key: { apiKeyId: string; dailySpendLimit?: string; monthlySpendLimit?: string },
) {
  return t.asGateway<HoldAnswer>('POST', `/v1/accounts/${acct}/holds`, {
    body: { holdId, amount, ttlSeconds: 300, ...key },
  });
}

/** What the account's UsageCharged events charged to `apiKeyId`, exactly, from the event log. */
async function chargedTo(apiKeyId: string): Promise<string> {
  const rows = await t.db.query<{ data: { cost: string; apiKeyId?: string } }>(
    `SELECT data FROM "${t.schema}".events WHERE stream_id = $1 AND type = 'UsageCharged'`,
    [`account-${acct}`],
  );
  const nanos = rows.rows
    .filter((r) => r.data.apiKeyId === apiKeyId)
    .reduce((sum, r) => sum + parseUsd(r.data.cost), 0n);
  return formatUsd(nanos);
}

/** Charges every admitted hold its full amount through the usage topic, and waits for them. */
async function captureAll(apiKeyId: string, holds: { holdId: string; amount: string }[]) {
  await t.publish(
    t.topics.usageRecorded,
    holds.map((h) =>
      usageRecorded(acct, h.amount, { requestId: h.holdId, holdId: h.holdId, apiKeyId }),
    ),
  );
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', `/v1/accounts/${acct}/balance`);
    return b.body.held === '0' ? true : undefined;
  }, 30_000);
}

describe('a key with a daily spend limit of $0.01, under concurrent requests', () => {
  it('admits holds exactly up to the limit, charges never pass it, another key is unaffected, and a raised limit applies at once', async () => {
    await fund('10');
    const limited = { apiKeyId: 'key_limited', dailySpendLimit: '0.01' };

    // Round 1: 100 concurrent holds of $0.0007: 14 fit ($0.0098), 86 are refused.
    const round1 = await Promise.all(
      Array.from({ length: 100 }, (_, i) => hold(`r1_${i}`, '0.0007', limited)),
    );
    const admitted1 = round1.flatMap((a, i) =>
      a.status === 201 ? [{ holdId: `r1_${i}`, amount: '0.0007' }] : [],
    );
    const refused1 = round1.filter((a) => a.status === 402);
    expect(admitted1).toHaveLength(14);
    expect(refused1).toHaveLength(86);
    expect(new Set(refused1.map((a) => a.body.error?.code))).toEqual(
      new Set(['LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED']),
    );
    expect(refused1[0]?.body.error?.message).toMatch(
      /daily spend limit .* resets at \d{4}-\d\d-\d\dT00:00:00\.000Z/,
    );

    // The charges capture the holds; what was held becomes spend, and still counts.
    await captureAll('key_limited', admitted1);
    expect(await chargedTo('key_limited')).toBe('0.0098');

    // Round 2: 50 concurrent holds of $0.0001 against the $0.0002 left: exactly 2 fit.
    const round2 = await Promise.all(
      Array.from({ length: 50 }, (_, i) => hold(`r2_${i}`, '0.0001', limited)),
    );
    const admitted2 = round2.flatMap((a, i) =>
      a.status === 201 ? [{ holdId: `r2_${i}`, amount: '0.0001' }] : [],
    );
    expect(admitted2).toHaveLength(2);
    expect(round2.filter((a) => a.status === 402)).toHaveLength(48);
    await captureAll('key_limited', admitted2);

    // Exactly the limit was charged to the key, never more; not one nano-dollar more is admitted.
    expect(await chargedTo('key_limited')).toBe('0.01');
    const oneNano = await hold('r3_0', '0.000000001', limited);
    expect(oneNano.status).toBe(402);
    expect(oneNano.body.error?.code).toBe('LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED');

    // Another key of the same account, limited or not, is not affected by this key's spend.
    const other = await hold('other_1', '0.01', { apiKeyId: 'key_other', dailySpendLimit: '0.01' });
    expect(other.status).toBe(201);
    expect((await hold('other_2', '1', { apiKeyId: 'key_other_unlimited' })).status).toBe(201);

    // The monthly limit counts the same spend: $0.01 spent this month, a $0.015 monthly limit.
    const monthly = await hold('r4_0', '0.006', {
      apiKeyId: 'key_limited',
      monthlySpendLimit: '0.015',
    });
    expect(monthly.status).toBe(402);
    expect(monthly.body.error?.code).toBe('LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED');

    // The customer raises the daily limit to $0.02: the next hold carries it and fits at once.
    const raised = await hold('r5_0', '0.01', { apiKeyId: 'key_limited', dailySpendLimit: '0.02' });
    expect(raised.status).toBe(201);

    // The balance went down by exactly what was charged; the holds still open are held.
    const balance = await t.http<BalanceView>('GET', `/v1/accounts/${acct}/balance`);
    expect(balance.body).toMatchObject({ total: '9.99', held: '1.02', available: '8.97' });
    const verified = await t.http<{ ok: boolean }>('GET', `/v1/audit/accounts/${acct}/verify`);
    expect(verified.body.ok).toBe(true);
  }, 120_000);

  it('refuses a spend limit without the key it limits, and a malformed limit, with 400', async () => {
    const noKey = await t.asGateway<HoldAnswer>('POST', `/v1/accounts/${acct}/holds`, {
      body: { holdId: 'bad_1', amount: '0.01', ttlSeconds: 60, dailySpendLimit: '1' },
    });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error?.message).toContain('needs the apiKeyId');
    const malformed = await t.asGateway<HoldAnswer>('POST', `/v1/accounts/${acct}/holds`, {
      body: {
        holdId: 'bad_2',
        amount: '0.01',
        ttlSeconds: 60,
        apiKeyId: 'k',
        monthlySpendLimit: 5,
      },
    });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error?.code).toBe('VALIDATION_FAILED');
  });
});
