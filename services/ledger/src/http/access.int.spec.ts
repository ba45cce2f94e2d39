import { createLedgerTestApp, type LedgerTestApp } from '../testing/ledger-test-app.js';

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
  ['POST', '/v1/accounts/acct_owner/holds', { holdId: 'h', amount: '1', ttlSeconds: 60 }],
  ['DELETE', '/v1/accounts/acct_owner/holds/h', undefined],
];

const auditRoutes: [string, string][] = [
  ['GET', '/v1/audit/accounts/acct_owner/events'],
  ['GET', '/v1/audit/events'],
  ['GET', '/v1/audit/accounts/acct_owner/verify'],
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
    // 402 (no funds) and 404 (no such hold) are answers of the route itself, past the guard.
    expect([200, 201, 402, 404]).toContain(res.status);
  });

  it.each(accountRoutes)('%s %s answers 401 without credentials', async (method, path) => {
    const res = await fetch(`${t.baseUrl}${path}`, { method });
    expect(res.status).toBe(401);
  });

  it.each(auditRoutes)('%s %s is for the admin token only', async (method, path) => {
    const token = await t.tokenFor('acct_owner');
    expect((await t.http(method, path, { token })).status).toBe(403);
    expect((await t.http(method, path)).status).toBe(200);
  });

  it('refuses a malformed account id with 400', async () => {
    const res = await t.http<{ error: { code: string; message: string } }>(
      'GET',
      '/v1/accounts/acct%20bad!/balance',
    );
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain('accountId must match');
  });
});
