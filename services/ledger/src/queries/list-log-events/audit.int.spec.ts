import { eventually } from '@billing/testing';
import {
  createLedgerTestApp,
  topUpSettled,
  usageRecorded,
  type LedgerTestApp,
} from '../../testing/ledger-test-app.js';
import type { BalanceView } from '../get-balance/get-balance.query.js';
import type { AccountEventsPage } from '../list-account-events/list-account-events.query.js';
import type { ChainVerificationView } from '../verify-account-chain/verify-account-chain.query.js';
import type { LogPage } from './list-log-events.query.js';

// The audit routes: an account's stream with its hashes, the global log, chain verification.

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp({ schedulerIntervalMs: 0 });
  await t.publish(t.topics.payments, [
    topUpSettled('acct_au_1', 'tu_1', '10'),
    topUpSettled('acct_au_2', 'tu_2', '20'),
  ]);
  // Two topics are two orders: wait for the credits so the streams read in the order tested below.
  await eventually(async () => {
    const b = await t.http<BalanceView>('GET', '/v1/accounts/acct_au_2/balance');
    const a = await t.http<BalanceView>('GET', '/v1/accounts/acct_au_1/balance');
    return a.body.version >= 1 && b.body.version >= 1 ? true : undefined;
  });
  await t.publish(t.topics.usageRecorded, [
    usageRecorded('acct_au_1', '1'),
    usageRecorded('acct_au_1', '2'),
    usageRecorded('acct_au_2', '3'),
  ]);
  await eventually(async () => {
    const a = await t.http<BalanceView>('GET', '/v1/accounts/acct_au_1/balance');
    const b = await t.http<BalanceView>('GET', '/v1/accounts/acct_au_2/balance');
    return a.body.version >= 3 && b.body.version >= 2 ? true : undefined;
  }, 20_000);
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

describe('the audit routes', () => {
  it("serves an account's events in version order, chained by their hashes, page by page", async () => {
    const first = await t.http<AccountEventsPage>(
      'GET',
      '/v1/audit/accounts/acct_au_1/events?limit=2',
    );
    expect(first.body.data.map((e) => [e.version, e.type])).toEqual([
      [1, 'TopUpCredited'],
      [2, 'UsageCharged'],
    ]);
    expect(first.body.data[0]?.prevHash).toBe('0'.repeat(64));
    expect(first.body.data[1]?.prevHash).toBe(first.body.data[0]?.hash);
    expect(first.body.data[0]?.data).toMatchObject({ topUpId: 'tu_1', amount: '10' });
    expect(first.body.nextFromVersion).toBe(3);
    const rest = await t.http<AccountEventsPage>(
      'GET',
      '/v1/audit/accounts/acct_au_1/events?fromVersion=3&limit=2',
    );
    expect(rest.body.data.map((e) => e.version)).toEqual([3]);
    expect(rest.body.data[0]?.prevHash).toBe(first.body.data[1]?.hash);
    expect(rest.body.nextFromVersion).toBeNull();
  });

  it('serves the global log with a cursor, each event once', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await t.http<LogPage>(
        'GET',
        `/v1/audit/events?limit=2${after ? `&after=${after}` : ''}`,
      );
      seen.push(...page.body.data.map((e) => `${e.accountId}@${e.version}`));
      if (page.body.data.length === 0) break;
      after = page.body.nextCursor;
    }
    expect(seen.sort()).toEqual([
      'acct_au_1@1',
      'acct_au_1@2',
      'acct_au_1@3',
      'acct_au_2@1',
      'acct_au_2@2',
    ]);
    expect((await t.http('GET', '/v1/audit/events?after=not-a-cursor')).status).toBe(400);
  });

  it("verifies an account's hash chain", async () => {
    const res = await t.http<ChainVerificationView>('GET', '/v1/audit/accounts/acct_au_1/verify');
    expect(res.body).toMatchObject({ accountId: 'acct_au_1', ok: true, events: 3 });
    expect(res.body.headHash).toMatch(/^[0-9a-f]{64}$/);
  });
});
