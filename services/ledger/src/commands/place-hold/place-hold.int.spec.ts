import { eventually } from '@billing/testing';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import {
  createLedgerTestApp,
  topUpSettled,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

// Holds over real HTTP against the real database: admission never lets Available go below zero,
// however many requests arrive at once (DESIGN.md, "Holds").

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp();
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

async function fund(accountId: string, amount: string): Promise<void> {
  await t.publish(t.topics.payments, [topUpSettled(accountId, `tu_${accountId}`, amount)]);
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', `/v1/accounts/${accountId}/balance`);
    return b.body.version >= 1 ? true : undefined;
  });
}

describe('POST /v1/accounts/{accountId}/holds', () => {
  it('admits exactly floor(balance / amount) of 200 concurrent holds and refuses the rest with 402', async () => {
    await fund('acct_burst', '1'); // $1 of credit, holds of $0.03: 33 fit, 0.01 is left.
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.asGateway<{ holdId?: string; available?: string; error?: { code: string } }>(
          'POST',
          '/v1/accounts/acct_burst/holds',
          { body: { holdId: `h_${i}`, amount: '0.03', ttlSeconds: 300 } },
        ),
      ),
    );
    const admitted = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 402);
    expect(admitted).toHaveLength(33);
    expect(refused).toHaveLength(167);
    expect(refused.every((a) => a.body.error?.code === 'LEDGER.INSUFFICIENT_FUNDS')).toBe(true);
    // Every admitted hold saw Available at or above zero after it, and the smallest is the rest.
    const availables = admitted.map((a) => Number(a.body.available));
    expect(Math.min(...availables)).toBeCloseTo(0.01, 9);
    const balance = await t.http<BalanceView>('GET', '/v1/accounts/acct_burst/balance');
    expect(balance.body).toMatchObject({ total: '1', held: '0.99', available: '0.01' });
  }, 60_000);

  it('answers a repeated hold as the first time, and a hold id reused for another amount with 409', async () => {
    await fund('acct_same', '10');
    const first = await t.asGateway('POST', '/v1/accounts/acct_same/holds', {
      body: { holdId: 'h1', amount: '2', ttlSeconds: 60 },
    });
    const again = await t.asGateway('POST', '/v1/accounts/acct_same/holds', {
      body: { holdId: 'h1', amount: '2', ttlSeconds: 60 },
    });
    expect(first).toEqual({ status: 201, body: { holdId: 'h1', available: '8' } });
    expect(again).toEqual({ status: 201, body: { holdId: 'h1', available: '8' } });
    const conflict = await t.asGateway<{ error: { code: string } }>(
      'POST',
      '/v1/accounts/acct_same/holds',
      {
        body: { holdId: 'h1', amount: '3', ttlSeconds: 60 },
      },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.error.code).toBe('LEDGER.HOLD_CONFLICT');
  }, 30_000);

  it('refuses a malformed body with 400 and a clear message', async () => {
    const res = await t.asGateway<{ error: { code: string; message: string } }>(
      'POST',
      '/v1/accounts/acct_same/holds',
      { body: { holdId: 'h 2', amount: 0.5, ttlSeconds: 0 } },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message).toContain('amount must be a positive decimal USD string');
    expect(res.body.error.message).toContain('ttlSeconds must not be less than 1');
    expect(res.body.error.message).toContain('holdId must not contain whitespace');
  });

  it('answers 402 on an account with nothing', async () => {
    const res = await t.asGateway<{ error: { code: string } }>(
      'POST',
      '/v1/accounts/acct_empty/holds',
      {
        body: { holdId: 'h1', amount: '0.000000001', ttlSeconds: 60 },
      },
    );
    expect(res.status).toBe(402);
    expect(res.body.error.code).toBe('LEDGER.INSUFFICIENT_FUNDS');
  });
});
