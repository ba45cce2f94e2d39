import { eventually } from '@billing/testing';
import type { BalanceView } from '../../queries/get-balance/get-balance.query.js';
import type { HoldListView } from '../../queries/list-holds/list-holds.query.js';
import {
  createLedgerTestApp,
  topUpSettled,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';

// A request that runs longer than its hold's TTL keeps its hold: the gateway extends it, and the
// real scheduler (every 200 ms here) leaves an extended hold alone until its new expiry.

let t: LedgerTestApp;
const account = 'acct_ext';

const balance = async (): Promise<BalanceView> =>
  (await t.http<BalanceView>('GET', `/v1/accounts/${account}/balance`)).body;

beforeAll(async () => {
  t = await createLedgerTestApp();
  await t.publish(t.topics.payments, [topUpSettled(account, 'tu_1', '10')]);
  await eventually(async () => ((await balance()).version >= 1 ? true : undefined));
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('POST /v1/accounts/{accountId}/holds/{holdId}/extend', () => {
  it('keeps a hold past its first TTL while it is extended, then lets it expire at the new expiry', async () => {
    const placed = await t.asGateway('POST', `/v1/accounts/${account}/holds`, {
      body: { holdId: 'h_long', amount: '4', ttlSeconds: 2 },
    });
    expect(placed).toEqual({ status: 201, body: { holdId: 'h_long', available: '6' } });

    const before = Date.now();
    const extended = await t.asGateway<{ holdId: string; expiresAt: string }>(
      'POST',
      `/v1/accounts/${account}/holds/h_long/extend`,
      { body: { ttlSeconds: 10 } },
    );
    expect(extended.status).toBe(200);
    expect(extended.body.holdId).toBe('h_long');
    const expiresAt = Date.parse(extended.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 10_000 - 50);

    // Past the first TTL (2 s) the scheduler has run about fifteen times: the hold is still there.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await balance()).toMatchObject({ total: '10', held: '4', available: '6' });
    const listed = await t.http<HoldListView>('GET', `/v1/accounts/${account}/holds`);
    expect(listed.body.data).toEqual([
      { holdId: 'h_long', amount: '4', expiresAt: extended.body.expiresAt },
    ]);

    // At the new expiry it goes, and the amount is available again.
    await eventually(async () => ((await balance()).held === '0' ? true : undefined), 30_000);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(await balance()).toMatchObject({ total: '10', held: '0', available: '10' });

    // An expired hold cannot be revived: the request it admitted must stop.
    const late = await t.asGateway<{ error: { code: string } }>(
      'POST',
      `/v1/accounts/${account}/holds/h_long/extend`,
      { body: { ttlSeconds: 60 } },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('LEDGER.HOLD_CLOSED');
  }, 60_000);

  it('refuses to extend a released hold (409) or an unknown one (404), and a bad ttl (400)', async () => {
    await t.asGateway('POST', `/v1/accounts/${account}/holds`, {
      body: { holdId: 'h_rel', amount: '1', ttlSeconds: 60 },
    });
    await t.asGateway('DELETE', `/v1/accounts/${account}/holds/h_rel`);
    const released = await t.asGateway<{ error: { code: string } }>(
      'POST',
      `/v1/accounts/${account}/holds/h_rel/extend`,
      { body: { ttlSeconds: 60 } },
    );
    expect(released.status).toBe(409);
    expect(released.body.error.code).toBe('LEDGER.HOLD_CLOSED');

    const unknown = await t.asGateway<{ error: { code: string } }>(
      'POST',
      `/v1/accounts/${account}/holds/h_nope/extend`,
      { body: { ttlSeconds: 60 } },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('LEDGER.HOLD_NOT_FOUND');

    const bad = await t.asGateway<{ error: { code: string } }>(
      'POST',
      `/v1/accounts/${account}/holds/h_rel/extend`,
      { body: { ttlSeconds: 0 } },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    expect(await balance()).toMatchObject({ total: '10', held: '0', available: '10' });
  }, 30_000);
});
