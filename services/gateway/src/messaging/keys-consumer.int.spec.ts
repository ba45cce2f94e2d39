// Real: PostgreSQL, Kafka (keys events published to the file's own keys topic), the HTTP server.
// Stand-ins: the ledger's holds API and metering's catalog. A second gateway on the same schema
// runs on the in-process transport (which delivers nothing here) to prove the cache is rebuilt
// from the table, not from the topic.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import { InProcessTransport } from '@billing/messaging';
import { eventually, testDatabaseUrl } from '@billing/testing';
import { createGatewayApp } from '../gateway.module.js';
import { KeyStore } from '../infrastructure/key-store.js';
import {
  GATEWAY_SERVICE_TOKEN,
  PEPPER,
  createGatewayTestApp,
  keyEvent,
  testAccount,
  type GatewayTestApp,
} from '../testing/gateway-test-app.js';

let t: GatewayTestApp;

beforeAll(async () => {
  t = await createGatewayTestApp();
}, 60_000);

afterAll(async () => {
  await t?.close();
});

async function call(apiKey: string | undefined): Promise<{ status: number; code: string | null }> {
  const res = await fetch(`${t.apiBase}/chat/completions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(apiKey !== undefined && { authorization: `Bearer ${apiKey}` }),
    },
    body: JSON.stringify({
      model: 'sim/echo-mini',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 2,
    }),
  });
  const body = (await res.json()) as { error?: { code: string | null } };
  return { status: res.status, code: body.error?.code ?? null };
}

/** How long after the event is published the gateway first refuses the key (polled every 10 ms). */
async function msUntilRefused(apiKey: string, publish: () => Promise<void>): Promise<number> {
  const started = Date.now();
  await publish();
  await eventually(async () => ((await call(apiKey)).status === 401 ? true : undefined), 5_000, 10);
  return Date.now() - started;
}

describe('the key cache fed by keys.v1', () => {
  it('admits a key once its ApiKeyCreated is consumed', async () => {
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const key = await t.createKey(account);
    expect(await call(key.key)).toEqual({ status: 200, code: null });
  });

  it('refuses a key with a bad checksum with 401 before any lookup', async () => {
    const lookup = jest.spyOn(t.keys, 'lookup');
    const { key } = generateApiKey();
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    const mistyped = key.slice(0, -1) + last;
    for (const bad of [mistyped, 'sk-payg-short', 'not-a-key-at-all']) {
      expect(await call(bad)).toEqual({ status: 401, code: 'invalid_api_key' });
    }
    expect(lookup).not.toHaveBeenCalled();
    lookup.mockRestore();
  });

  it('refuses a missing key and a well-formed key it does not know with 401', async () => {
    expect(await call(undefined)).toEqual({ status: 401, code: 'invalid_api_key' });
    const lookup = jest.spyOn(t.keys, 'lookup');
    const unknown = generateApiKey().key;
    expect(await call(unknown)).toEqual({ status: 401, code: 'invalid_api_key' });
    expect(lookup).toHaveBeenCalledWith(lookupHash(unknown, PEPPER));
    lookup.mockRestore();
  });

  it('refuses a disabled key within 1 second of ApiKeyUpdated, and admits it again when re-enabled', async () => {
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const key = await t.createKey(account);
    expect((await call(key.key)).status).toBe(200);
    const elapsed = await msUntilRefused(key.key, () =>
      t.publishKeyEvent(
        keyEvent('ApiKeyUpdated', account, { apiKeyId: key.apiKeyId, status: 'disabled' }),
      ),
    );
    expect(elapsed).toBeLessThan(1_000);
    await t.publishKeyEvent(
      keyEvent('ApiKeyUpdated', account, { apiKeyId: key.apiKeyId, status: 'enabled' }),
    );
    await eventually(async () => ((await call(key.key)).status === 200 ? true : undefined));
  });

  it('refuses a deleted key within 1 second of ApiKeyDeleted, for good', async () => {
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const key = await t.createKey(account);
    expect((await call(key.key)).status).toBe(200);
    const elapsed = await msUntilRefused(key.key, () =>
      t.publishKeyEvent(keyEvent('ApiKeyDeleted', account, { apiKeyId: key.apiKeyId })),
    );
    expect(elapsed).toBeLessThan(1_000);
    // An update after the deletion does not bring it back.
    await t.publishKeyEvent(
      keyEvent('ApiKeyUpdated', account, { apiKeyId: key.apiKeyId, status: 'enabled' }),
    );
    const row = await eventually(async () => {
      const r = await t.db.query<{ status: string }>(
        `SELECT status FROM ${t.schema}.api_keys WHERE api_key_id = $1`,
        [key.apiKeyId],
      );
      return r.rows[0];
    });
    expect(row.status).toBe('deleted');
    await new Promise((r) => setTimeout(r, 300));
    expect((await call(key.key)).status).toBe(401);
  });

  it('never stores or logs the key itself, only its lookup hash', async () => {
    const account = testAccount();
    const key = await t.createKey(account);
    const rows = await t.db.query<Record<string, string>>(
      `SELECT * FROM ${t.schema}.api_keys WHERE api_key_id = $1`,
      [key.apiKeyId],
    );
    expect(JSON.stringify(rows.rows)).not.toContain(key.key);
    expect(rows.rows[0]?.lookup_hash).toBe(lookupHash(key.key, PEPPER));
  });

  it('rebuilds the cache from its table after a restart, without replaying the topic', async () => {
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const enabled = await t.createKey(account);
    const disabled = await t.createKey(account);
    await t.publishKeyEvent(
      keyEvent('ApiKeyUpdated', account, { apiKeyId: disabled.apiKeyId, status: 'disabled' }),
    );
    await eventually(() =>
      t.keys.lookup(lookupHash(disabled.key, PEPPER))?.status === 'disabled' ? true : undefined,
    );
    // A second gateway process on the same schema, whose transport delivers no keys.v1 event.
    const transport = new InProcessTransport();
    const restarted = await createGatewayApp(
      {
        databaseUrl: testDatabaseUrl(),
        serviceToken: GATEWAY_SERVICE_TOKEN,
        apiKeyPepper: PEPPER,
        ledgerUrl: t.ledger.url,
        meteringUrl: t.metering.url,
        schema: t.schema,
        topics: t.topics,
        transport,
        keysConsumerName: 'gateway-keys-restarted',
      },
      ['error'],
    );
    try {
      await restarted.init();
      const keys = restarted.get(KeyStore);
      expect(keys.lookup(lookupHash(enabled.key, PEPPER))).toMatchObject({
        apiKeyId: enabled.apiKeyId,
        accountId: account,
        status: 'enabled',
      });
      expect(keys.lookup(lookupHash(disabled.key, PEPPER))?.status).toBe('disabled');
      // And it follows changes committed by the other process (the notification at commit).
      await t.publishKeyEvent(
        keyEvent('ApiKeyUpdated', account, { apiKeyId: enabled.apiKeyId, status: 'disabled' }),
      );
      await eventually(
        () =>
          keys.lookup(lookupHash(enabled.key, PEPPER))?.status === 'disabled' ? true : undefined,
        1_000,
        10,
      );
    } finally {
      await restarted.close();
      await transport.close();
    }
  });
});
