// Real: PostgreSQL, Kafka (keys events on the file's own keys topic), the HTTP server. Stand-ins:
// the ledger's holds API, metering's catalog and the keys service's lookup route. The gateway's
// clock is the real one plus an offset the tests move, so "one second before the expiry" and "at
// the expiry" are exact without waiting; no event is sent at the expiry instant, so a refusal can
// only come from the comparison made on the request itself.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import { createEvent } from '@billing/contracts';
import { eventually } from '@billing/testing';
import { KeyResolver } from '../infrastructure/key-resolver.js';
import {
  PEPPER,
  createGatewayTestApp,
  testAccount,
  type GatewayTestApp,
} from '../testing/gateway-test-app.js';

let t: GatewayTestApp;
let offsetMs = 0;
/** Moves the gateway's clock to `atMs` (from now on, it runs on from there). */
const setGatewayClock = (atMs: number): void => {
  offsetMs = atMs - Date.now();
};

beforeAll(async () => {
  t = await createGatewayTestApp({ nowMs: () => Date.now() + offsetMs });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

interface Answer {
  readonly status: number;
  readonly body: { error?: { message: string; type: string; param: null; code: string } };
}

async function call(apiKey: string): Promise<Answer> {
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: JSON.stringify({
      model: 'sim/echo-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
    }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const expired = (expiresAt: Date): Answer => ({
  status: 401,
  body: {
    error: {
      message: `This API key expired at ${expiresAt.toISOString()}; create a new key or extend its expiry.`,
      type: 'authentication_error',
      param: null,
      code: 'key_expired',
    },
  },
});

describe('an API key with an expiry, at the gateway', () => {
  it('is accepted one second before its expiry and refused with 401 key_expired at it and after, while the cache still holds it', async () => {
    offsetMs = 0;
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const expiresAt = new Date(Date.now() + 3_600_000);
    const key = await t.createKey(account, { expiresAt });

    setGatewayClock(expiresAt.getTime() - 1_000);
    expect((await call(key.key)).status).toBe(200);

    setGatewayClock(expiresAt.getTime());
    expect(await call(key.key)).toEqual(expired(expiresAt));
    setGatewayClock(expiresAt.getTime() + 1_000);
    expect(await call(key.key)).toEqual(expired(expiresAt));
    // Nothing told the cache: the key is still there, enabled. The refusal is the request's own.
    expect(t.keys.lookup(lookupHash(key.key, PEPPER))).toMatchObject({
      status: 'enabled',
      expiresAtMs: expiresAt.getTime(),
    });
  });

  it('refuses at its expiry a key the gateway only knows from a keys-service lookup it remembers', async () => {
    offsetMs = 0;
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const { key } = generateApiKey();
    const hash = lookupHash(key, PEPPER);
    const expiresAt = new Date(Date.now() + 3_600_000);
    t.keysLookup.keys.set(hash, {
      apiKeyId: `key_${randomUUID().slice(0, 8)}`,
      accountId: account,
      status: 'enabled',
      expiresAt: expiresAt.toISOString(),
    });
    const resolver = t.app.get(KeyResolver);
    const before = resolver.lookups;

    setGatewayClock(expiresAt.getTime() - 1_000);
    expect((await call(key)).status).toBe(200);
    setGatewayClock(expiresAt.getTime());
    expect(await call(key)).toEqual(expired(expiresAt));
    // One lookup: the second answer came from the remembered key, compared with the clock.
    expect(resolver.lookups - before).toBe(1);
  });

  it('works again once ApiKeyExpiryChanged moves the expiry later, and for good once it removes it', async () => {
    offsetMs = 0;
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const expiresAt = new Date(Date.now() + 3_600_000);
    const key = await t.createKey(account, { expiresAt });
    setGatewayClock(expiresAt.getTime() + 1_000);
    expect((await call(key.key)).status).toBe(401);

    const later = new Date(expiresAt.getTime() + 86_400_000);
    const change = (data: { apiKeyId: string; expiresAt?: string }) =>
      t.publishKeyEvent(
        createEvent({
          type: 'ApiKeyExpiryChanged',
          id: randomUUID(),
          accountId: account,
          source: 'keys',
          occurredAt: new Date(),
          data,
        }),
      );
    await change({ apiKeyId: key.apiKeyId, expiresAt: later.toISOString() });
    await eventually(async () => ((await call(key.key)).status === 200 ? true : undefined));
    setGatewayClock(later.getTime());
    expect(await call(key.key)).toEqual(expired(later));

    await change({ apiKeyId: key.apiKeyId });
    await eventually(async () => ((await call(key.key)).status === 200 ? true : undefined));
    setGatewayClock(later.getTime() + 3_650 * 86_400_000);
    expect((await call(key.key)).status).toBe(200);
  });
});
