// Real: PostgreSQL, Kafka (keys events on the file's own keys topic), the HTTP server. Stand-ins:
// the ledger's holds API, metering's catalog and the keys service's lookup route. The gateway's
// part of per-key spend limits (issue #17): the key cache follows ApiKeySpendLimitChanged (and the
// lookup's spendLimits), every hold names the key and carries its limits, and the ledger's refusal
// for a limit becomes 402 key_spend_limit_reached in the OpenAI shape. That the ledger's admission
// is exact is the ledger's test (services/ledger/src/domain/key-spend.spec.ts) and the chain's
// (tests/integration/key-spend-limit.int.spec.ts).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import { createEvent } from '@billing/contracts';
import { eventually } from '@billing/testing';
import {
  PEPPER,
  createGatewayTestApp,
  testAccount,
  type GatewayTestApp,
} from '../testing/gateway-test-app.js';

let t: GatewayTestApp;
const NOW = Date.parse('2026-12-07T05:00:00.000Z');

beforeAll(async () => {
  t = await createGatewayTestApp({ nowMs: () => NOW });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

interface Answer {
  readonly status: number;
  readonly requestId: string | null;
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
  return {
    status: res.status,
    requestId: res.headers.get('x-request-id'),
    body: (await res.json()) as Answer['body'],
  };
}

const holdOf = (requestId: string | null) => t.ledger.placed.find((h) => h.holdId === requestId);

const limitsChanged = (
  accountId: string,
  data: { apiKeyId: string; daily?: string; monthly?: string },
) =>
  t.publishKeyEvent(
    createEvent({
      type: 'ApiKeySpendLimitChanged',
      id: randomUUID(),
      accountId,
      source: 'keys',
      occurredAt: new Date(),
      data,
    }),
  );

describe('per-key spend limits at the gateway', () => {
  it('sends the key and no limit with every hold until ApiKeySpendLimitChanged sets one; then the limits, to the nano-dollar; removed, none again', async () => {
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const key = await t.createKey(account);

    const before = await call(key.key);
    expect(before.status).toBe(200);
    expect(holdOf(before.requestId)?.key).toEqual({ apiKeyId: key.apiKeyId });

    await limitsChanged(account, { apiKeyId: key.apiKeyId, daily: '0.010', monthly: '2.5' });
    const limited = await eventually(async () => {
      const answer = await call(key.key);
      return holdOf(answer.requestId)?.key?.dailySpendLimit === undefined ? undefined : answer;
    });
    expect(holdOf(limited.requestId)?.key).toEqual({
      apiKeyId: key.apiKeyId,
      dailySpendLimit: '0.01',
      monthlySpendLimit: '2.5',
    });

    await limitsChanged(account, { apiKeyId: key.apiKeyId });
    const unlimited = await eventually(async () => {
      const answer = await call(key.key);
      return holdOf(answer.requestId)?.key?.dailySpendLimit === undefined ? answer : undefined;
    });
    expect(holdOf(unlimited.requestId)?.key).toEqual({ apiKeyId: key.apiKeyId });
  });

  it('sends the limits of a key it knows only from the keys service lookup', async () => {
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const { key } = generateApiKey();
    const apiKeyId = `key_${randomUUID().slice(0, 8)}`;
    t.keysLookup.keys.set(lookupHash(key, PEPPER), {
      apiKeyId,
      accountId: account,
      status: 'enabled',
      expiresAt: null,
      spendLimits: { daily: null, monthly: '100' },
    });
    const answer = await call(key);
    expect(answer.status).toBe(200);
    expect(holdOf(answer.requestId)?.key).toEqual({ apiKeyId, monthlySpendLimit: '100' });
  });

  it('given a key it learnt from a lookup newer than its cache, when the stale ApiKeyCreated reaches the cache, then the limit the lookup answered is still sent, until the cache has caught up', async () => {
    // The keys service has the key at version 2: created (1), a $0.01 daily limit set (2). The
    // gateway hears of it by a lookup, then its consumer applies only the creation (version 1,
    // no limit): the hold must still carry the limit (the copy with fewer events is older).
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const { key, prefix } = generateApiKey();
    const apiKeyId = `key_${randomUUID().slice(0, 8)}`;
    const hash = lookupHash(key, PEPPER);
    t.keysLookup.keys.set(hash, {
      apiKeyId,
      accountId: account,
      status: 'enabled',
      expiresAt: null,
      spendLimits: { daily: '0.01', monthly: null },
      version: 2,
    });
    const limit = { apiKeyId, dailySpendLimit: '0.01' };
    const first = await call(key);
    expect(holdOf(first.requestId)?.key).toEqual(limit);

    await t.publishKeyEvent(
      createEvent({
        type: 'ApiKeyCreated',
        id: randomUUID(),
        accountId: account,
        source: 'keys',
        occurredAt: new Date(),
        data: {
          apiKeyId,
          name: 'raced',
          plan: 'payg',
          status: 'enabled',
          lookupHash: hash,
          prefix,
        },
      }),
    );
    await eventually(() => t.keys.lookup(hash), 15_000, 20);
    expect(t.keys.lookup(hash)?.version).toBe(1);
    for (let i = 0; i < 3; i++) {
      const answer = await call(key);
      expect(answer.status).toBe(200);
      expect(holdOf(answer.requestId)?.key).toEqual(limit);
    }

    // The cache catches up with the limit's event: its copy (version 2) is used, unasked.
    await limitsChanged(account, { apiKeyId, daily: '0.01' });
    await eventually(() => (t.keys.lookup(hash)?.version === 2 ? true : undefined), 15_000, 20);
    const asked = t.keysLookup.asked.length;
    const caughtUp = await call(key);
    expect(holdOf(caughtUp.requestId)?.key).toEqual(limit);
    expect(t.keysLookup.asked.length).toBe(asked);
  });

  it("answers the ledger's refusal for a limit with 402 key_spend_limit_reached, naming the limit and the next 00:00 UTC, and runs nothing; another key of the account still works", async () => {
    const account = testAccount();
    t.ledger.setBalance(account, '1');
    const limitedKey = await t.createKey(account);
    const otherKey = await t.createKey(account);
    await limitsChanged(account, { apiKeyId: limitedKey.apiKeyId, daily: '0.01' });
    await eventually(async () => {
      const answer = await call(limitedKey.key);
      return holdOf(answer.requestId)?.key?.dailySpendLimit === '0.01' ? true : undefined;
    });
    t.ledger.keyLimitReached.set(limitedKey.apiKeyId, 'daily');
    const usageBefore = (await t.outboxUsage()).length;

    const refused = await call(limitedKey.key);
    expect({ status: refused.status, body: refused.body }).toEqual({
      status: 402,
      body: {
        error: {
          message:
            'This request could take this API key past its daily spend limit of $0.01 (per UTC ' +
            'day, counting what the key has spent and has in flight); the limit resets at ' +
            "2026-12-08T00:00:00.000Z. Raise the key's limit, lower max_tokens, or wait for the reset.",
          type: 'insufficient_quota',
          param: null,
          code: 'key_spend_limit_reached',
        },
      },
    });
    expect((await call(otherKey.key)).status).toBe(200);
    // The refused request ran nothing and reports no usage; the other key's did.
    expect(await t.usageOf((await call(otherKey.key)).requestId ?? '')).toBeDefined();
    expect((await t.outboxUsage()).length).toBe(usageBefore + 2);

    t.ledger.keyLimitReached.set(limitedKey.apiKeyId, 'monthly');
    const monthly = await call(limitedKey.key);
    expect(monthly.status).toBe(402);
    expect(monthly.body.error?.message).toContain(
      'past its monthly spend limit (per UTC calendar month',
    );
    expect(monthly.body.error?.message).toContain('resets at 2027-01-01T00:00:00.000Z');
  });
});
