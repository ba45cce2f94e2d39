import type { CreatedApiKey } from '../commands/create-api-key/create-api-key.command.js';
import type { ApiKeyView } from '../queries/api-key-view.js';
import {
  AUDITOR_TOKEN,
  createKeysTestApp,
  testAccount,
  type KeysTestApp,
} from '../testing/keys-test-app.js';

// Tenant isolation, route by route (CONTRACTS.md: an account token gives access to its own
// account only). Two ways in are tried on every route: another account's token on the victim's
// path (403 from the guard), and the attacker's own path with the victim's key id (404, exactly
// what a missing key answers, so key ids of other tenants cannot even be probed). After all of
// it, the victim's key is unchanged, unrevealed and not deleted.

let t: KeysTestApp;
let victim: string;
let attacker: string;
let victimKey: CreatedApiKey;
let attackerToken: string;

beforeAll(async () => {
  t = await createKeysTestApp();
  victim = testAccount('victim');
  attacker = testAccount('attacker');
  attackerToken = await t.tokenFor(attacker);
  const created = await t.http<CreatedApiKey>('POST', `/v1/accounts/${victim}/api-keys`, {
    token: await t.tokenFor(victim),
    body: { name: 'victim key' },
  });
  victimKey = created.body;
  // The attacker has a key of their own, so their account path is a real, populated one.
  await t.http('POST', `/v1/accounts/${attacker}/api-keys`, {
    token: attackerToken,
    body: { name: 'attacker key' },
  });
}, 60_000);

afterAll(async () => {
  await t.close();
}, 60_000);

interface Route {
  readonly name: string;
  readonly method: string;
  readonly path: (accountId: string, apiKeyId: string) => string;
  readonly body?: unknown;
}

const routes: readonly Route[] = [
  {
    name: 'create',
    method: 'POST',
    path: (a) => `/v1/accounts/${a}/api-keys`,
    body: { name: 'x' },
  },
  { name: 'list', method: 'GET', path: (a) => `/v1/accounts/${a}/api-keys` },
  { name: 'details', method: 'GET', path: (a, k) => `/v1/accounts/${a}/api-keys/${k}` },
  { name: 'reveal', method: 'POST', path: (a, k) => `/v1/accounts/${a}/api-keys/${k}/reveal` },
  {
    name: 'rename',
    method: 'PATCH',
    path: (a, k) => `/v1/accounts/${a}/api-keys/${k}`,
    body: { name: 'pwned' },
  },
  {
    name: 'disable',
    method: 'PATCH',
    path: (a, k) => `/v1/accounts/${a}/api-keys/${k}`,
    body: { status: 'disabled' },
  },
  { name: 'delete', method: 'DELETE', path: (a, k) => `/v1/accounts/${a}/api-keys/${k}` },
];

describe.each(routes)('$name ($method)', (route) => {
  it("refuses another account's token on the victim's path with 403", async () => {
    const res = await t.http<{ error: { code: string } }>(
      route.method,
      route.path(victim, victimKey.id),
      { token: attackerToken, ...(route.body !== undefined && { body: route.body }) },
    );
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('AUTH.FORBIDDEN');
  });

  it('refuses a request without a token with 401', async () => {
    const res = await fetch(`${t.baseUrl}${route.path(victim, victimKey.id)}`, {
      method: route.method,
    });
    expect(res.status).toBe(401);
  });
});

describe.each(routes.filter((r) => !['create', 'list'].includes(r.name)))(
  '$name through the attacker’s own account path',
  (route) => {
    it("answers 404 KEYS.NOT_FOUND for the victim's key id, the same as for a key that does not exist", async () => {
      const opts = { token: attackerToken, ...(route.body !== undefined && { body: route.body }) };
      const theirs = await t.http(route.method, route.path(attacker, victimKey.id), opts);
      const missing = await t.http(route.method, route.path(attacker, 'key_doesnotexist'), opts);
      expect(theirs.status).toBe(404);
      expect(theirs.body).toEqual({
        error: { code: 'KEYS.NOT_FOUND', message: 'API key not found' },
      });
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual(theirs.body);
    });
  },
);

describe('the read-only auditor token', () => {
  it.each(routes.filter((r) => r.method === 'GET'))(
    '$name ($method) is open: an auditor reads every account',
    async (route) => {
      const res = await t.http(route.method, route.path(victim, victimKey.id), {
        token: AUDITOR_TOKEN,
      });
      expect(res.status).toBe(200);
    },
  );

  it.each(routes.filter((r) => r.method !== 'GET'))(
    '$name ($method) answers 403 AUTH.READ_ONLY',
    async (route) => {
      const res = await t.http<{ error: { code: string } }>(
        route.method,
        route.path(victim, victimKey.id),
        { token: AUDITOR_TOKEN, ...(route.body !== undefined && { body: route.body }) },
      );
      expect([res.status, res.body.error.code]).toEqual([403, 'AUTH.READ_ONLY']);
    },
  );
});

describe("after every attempt, the victim's key", () => {
  it('is unchanged, never revealed, not deleted, and absent from the attacker’s list', async () => {
    const victimToken = await t.tokenFor(victim);
    const list = await t.http<{ data: ApiKeyView[] }>('GET', `/v1/accounts/${victim}/api-keys`, {
      token: victimToken,
    });
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: victimKey.id, name: 'victim key', status: 'enabled' }),
    ]);
    const attackerList = await t.http<{ data: ApiKeyView[] }>(
      'GET',
      `/v1/accounts/${attacker}/api-keys`,
      { token: attackerToken },
    );
    expect(attackerList.body.data.map((k) => k.id)).not.toContain(victimKey.id);
    const reveals = await t.db.query(
      `SELECT 1 FROM ${t.schema}.api_key_reveals WHERE api_key_id = $1`,
      [victimKey.id],
    );
    expect(reveals.rowCount).toBe(0);
    // Nothing but its creation was ever written for the gateway.
    const outbox = await t.db.query<{ value: string }>(
      `SELECT value FROM ${t.schema}.outbox WHERE message_key = $1`,
      [victim],
    );
    expect(outbox.rows.map((r) => (JSON.parse(r.value) as { type: string }).type)).toEqual([
      'ApiKeyCreated',
    ]);
  });
});
