import { eventually } from '@billing/testing';
import type { BalanceView } from '../queries/get-balance/get-balance.query.js';
import {
  ADMIN_TOKEN,
  AUDITOR_TOKEN,
  createLedgerTestApp,
  OTHER_SERVICE_TOKEN,
  topUpSettled,
  type LedgerTestApp,
} from '../testing/ledger-test-app.js';

// Every route declares who may call it (service-kit's AuthGuard). These are the ledger's.

let t: LedgerTestApp;

beforeAll(async () => {
  t = await createLedgerTestApp({ schedulerIntervalMs: 0 });
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

// Every row has three cells: Jest passes a `done` callback to a test function with more
// parameters than the row has cells.
const accountRoutes: [string, string, unknown][] = [
  ['GET', '/v1/accounts/acct_owner/balance', undefined],
  ['GET', '/v1/accounts/acct_owner/balance?asOf=2026-01-01T00:00:00Z', undefined],
  ['GET', '/v1/accounts/acct_owner/credits-breakdown', undefined],
  ['GET', '/v1/accounts/acct_owner/transactions', undefined],
  ['GET', '/v1/accounts/acct_owner/usage', undefined],
  ['GET', '/v1/accounts/acct_owner/holds', undefined],
];

// Holds belong to the platform: only the gateway's service credential changes them.
const gatewayRoutes: [string, string, unknown][] = [
  ['POST', '/v1/accounts/acct_owner/holds', { holdId: 'h', amount: '1', ttlSeconds: 60 }],
  ['POST', '/v1/accounts/acct_owner/holds/h/extend', { ttlSeconds: 60 }],
  ['DELETE', '/v1/accounts/acct_owner/holds/h', undefined],
];

const auditRoutes: [string, string][] = [
  ['GET', '/v1/audit/accounts/acct_owner/events'],
  ['GET', '/v1/audit/events'],
  ['GET', '/v1/audit/accounts/acct_owner/verify'],
  ['GET', '/v1/admin/projections'],
];

describe('access to the ledger routes', () => {
  it.each(accountRoutes)(
    "%s %s answers 403 to another account's token",
    async (method, path, body) => {
      const token = await t.tokenFor('acct_intruder');
      const res = await t.http<{ error: { code: string } }>(method, path, { token, body });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('AUTH.FORBIDDEN');
    },
  );

  it.each(accountRoutes)("%s %s is open to the account's own token", async (method, path, body) => {
    const token = await t.tokenFor('acct_owner');
    const res = await t.http(method, path, { token, body });
    expect(res.status).toBe(200);
  });

  it.each(accountRoutes)(
    '%s %s answers 403 to the gateway credential',
    async (method, path, body) => {
      expect((await t.asGateway(method, path, { body })).status).toBe(403);
    },
  );

  it.each([...accountRoutes, ...gatewayRoutes])(
    '%s %s answers 401 without credentials',
    async (method, path) => {
      const res = await fetch(`${t.baseUrl}${path}`, { method });
      expect(res.status).toBe(401);
    },
  );

  it.each(gatewayRoutes)(
    "%s %s answers 403 to the account's own token (a customer cannot touch its holds)",
    async (method, path, body) => {
      const token = await t.tokenFor('acct_owner');
      const res = await t.http<{ error: { code: string } }>(method, path, { token, body });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('AUTH.FORBIDDEN');
    },
  );

  it.each(gatewayRoutes)('%s %s answers 403 to the admin token', async (method, path, body) => {
    const res = await t.http(method, path, { token: ADMIN_TOKEN, body });
    expect(res.status).toBe(403);
  });

  it.each(gatewayRoutes)(
    "%s %s answers 403 to another service's credential",
    async (method, path, body) => {
      const res = await t.http(method, path, { token: OTHER_SERVICE_TOKEN, body });
      expect(res.status).toBe(403);
    },
  );

  it.each(gatewayRoutes)('%s %s is open to the gateway credential', async (method, path, body) => {
    const res = await t.asGateway(method, path, { body });
    // 402 (no funds) and 404 (no such hold) are answers of the route itself, past the guard.
    expect([402, 404]).toContain(res.status);
  });

  it.each(auditRoutes)('%s %s is for the operators only', async (method, path) => {
    const token = await t.tokenFor('acct_owner');
    expect((await t.http(method, path, { token })).status).toBe(403);
    expect((await t.asGateway(method, path)).status).toBe(403);
    expect((await t.http(method, path)).status).toBe(200);
  });

  it.each([...auditRoutes, ...accountRoutes.map(([m, p]) => [m, p] as [string, string])])(
    '%s %s is open to the read-only auditor token',
    async (method, path) => {
      expect((await t.http(method, path, { token: AUDITOR_TOKEN })).status).toBe(200);
    },
  );

  it.each(gatewayRoutes)(
    '%s %s answers 403 AUTH.READ_ONLY to the auditor token',
    async (method, path, body) => {
      const res = await t.http<{ error: { code: string } }>(method, path, {
        token: AUDITOR_TOKEN,
        body,
      });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('AUTH.READ_ONLY');
    },
  );

  it('refuses a malformed account id with 400', async () => {
    const res = await t.http<{ error: { code: string; message: string } }>(
      'GET',
      '/v1/accounts/acct%20bad!/balance',
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('accountId must match');
  });
});

describe('the overspend attack of issue #10: a customer releasing the hold of its own running request', () => {
  const account = 'acct_attacker';
  const balance = async (): Promise<BalanceView> =>
    (await t.http<BalanceView>('GET', `/v1/accounts/${account}/balance`)).body;

  beforeAll(async () => {
    await t.publish(t.topics.payments, [topUpSettled(account, 'tu_attack', '1')]);
    await eventually(async () => ((await balance()).version >= 1 ? true : undefined));
  }, 30_000);

  it('cannot release the hold (its id is the x-request-id it was given), so the next request is refused', async () => {
    // The gateway admits a request worth the whole balance.
    const placed = await t.asGateway('POST', `/v1/accounts/${account}/holds`, {
      body: { holdId: 'req_attack_1', amount: '1', ttlSeconds: 600 },
    });
    expect(placed).toEqual({ status: 201, body: { holdId: 'req_attack_1', available: '0' } });

    const token = await t.tokenFor(account);
    const released = await t.http('DELETE', `/v1/accounts/${account}/holds/req_attack_1`, {
      token,
    });
    expect(released.status).toBe(403);
    const extended = await t.http('POST', `/v1/accounts/${account}/holds/req_attack_1/extend`, {
      token,
      body: { ttlSeconds: 1 },
    });
    expect(extended.status).toBe(403);
    const own = await t.http('POST', `/v1/accounts/${account}/holds`, {
      token,
      body: { holdId: 'req_attack_2', amount: '0.000000001', ttlSeconds: 1 },
    });
    expect(own.status).toBe(403);

    // The money stays held: the next request of the same account is refused for funds.
    expect(await balance()).toMatchObject({ total: '1', held: '1', available: '0' });
    const next = await t.asGateway('POST', `/v1/accounts/${account}/holds`, {
      body: { holdId: 'req_attack_3', amount: '0.01', ttlSeconds: 600 },
    });
    expect(next.status).toBe(402);

    // What the account may do: see its holds.
    const listed = await t.http('GET', `/v1/accounts/${account}/holds`, { token });
    expect(listed).toEqual({
      status: 200,
      body: {
        accountId: account,
        data: [{ holdId: 'req_attack_1', amount: '1', expiresAt: expect.any(String) as string }],
        held: '1',
      },
    });
  });
});
