import { eventually } from '@billing/testing';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import {
  createLedgerTestApp,
  topUpSettled,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp();
  await t.publish(t.topics.payments, [topUpSettled('acct_rel', 'tu_1', '5')]);
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', '/v1/accounts/acct_rel/balance');
    return b.body.version >= 1 ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('DELETE /v1/accounts/{accountId}/holds/{holdId}', () => {
  it('gives the held amount back to Available', async () => {
    await t.asGateway('POST', '/v1/accounts/acct_rel/holds', {
      body: { holdId: 'h_1', amount: '4', ttlSeconds: 300 },
    });
    const refused = await t.asGateway('POST', '/v1/accounts/acct_rel/holds', {
      body: { holdId: 'h_2', amount: '4', ttlSeconds: 300 },
    });
    expect(refused.status).toBe(402);

    const released = await t.asGateway('DELETE', '/v1/accounts/acct_rel/holds/h_1');
    expect(released).toEqual({ status: 200, body: { holdId: 'h_1', available: '5' } });
    const admitted = await t.asGateway('POST', '/v1/accounts/acct_rel/holds', {
      body: { holdId: 'h_2', amount: '4', ttlSeconds: 300 },
    });
    expect(admitted).toEqual({ status: 201, body: { holdId: 'h_2', available: '1' } });
  });

  it('releases twice as once', async () => {
    const again = await t.asGateway('DELETE', '/v1/accounts/acct_rel/holds/h_1');
    expect(again).toEqual({ status: 200, body: { holdId: 'h_1', available: '1' } });
  });

  it('answers 404 for a hold the account never had', async () => {
    const res = await t.asGateway<{ error: { code: string } }>(
      'DELETE',
      '/v1/accounts/acct_rel/holds/nope',
    );
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('LEDGER.HOLD_NOT_FOUND');
  });
});
