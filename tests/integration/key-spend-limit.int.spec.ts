import { randomBytes, randomUUID } from 'node:crypto';
import { createEvent } from '@billing/contracts';
import { createGatewayApp } from '@billing/gateway';
import { KeysModule } from '@billing/keys';
import { LedgerModule } from '@billing/ledger';
import { MeteringModule } from '@billing/metering';
import { formatUsd, parseUsd } from '@billing/money';
import { configureApp } from '@billing/service-kit';
import {
  createTestTopics,
  deleteTestTopics,
  eventually,
  FAST_CONSUMER_TUNING,
  startTestApp,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  testKafkaSecurity,
  testPool,
  uniqueName,
  type TestApp,
} from '@billing/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';

// Per-key spend limits (issue #17) through the real chain, in one process but each service its own
// Nest application, schema and consumer groups, on the real PostgreSQL and Kafka (topics of this
// file's own): the keys service (PATCH spendLimits → ApiKeySpendLimitChanged on keys.v1), the
// gateway (its key cache, the hold it places), the ledger (the atomic admission), metering (the
// price of what each request used, UsageRecorded). A key with a $0.01 daily limit is hit by waves
// of concurrent requests: the money charged to it never passes $0.01, and what is left is less
// than one more request; each refusal is a 402 in the OpenAI shape; another key of the same
// account is not affected; raising the limit lets the key spend again.

const ADMIN_TOKEN = 'test-admin-token-0123456789';
const SERVICE_TOKEN = 'test-gateway-service-token-0123456789abcdef';
const CONSOLE_JWT_SECRET = 'test-console-jwt-secret-0123456789abcdef';
const PEPPER = 'test-api-key-pepper-0123456789abcdef0123';
const ENCRYPTION_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';

const suffix = randomBytes(4).toString('hex');
const topics = {
  keys: `keys.v1.ksl${suffix}`,
  usageObserved: `usage.observed.v1.ksl${suffix}`,
  usageRecorded: `usage.recorded.v1.ksl${suffix}`,
  payments: `payments.v1.ksl${suffix}`,
  ledger: `ledger.v1.ksl${suffix}`,
};
const allTopics = [
  ...Object.values(topics),
  `${topics.keys}.dlq`,
  `${topics.usageObserved}.dlq`,
  `${topics.usageRecorded}.dlq`,
  `${topics.payments}.dlq`,
];
const kafka = testKafka();
const messaging = {
  kafkaBrokers: testKafkaBrokers(),
  kafkaSecurity: testKafkaSecurity(),
  kafkaTuning: FAST_CONSUMER_TUNING,
};
const accounts = {
  databaseUrl: testDatabaseUrl(),
  adminToken: ADMIN_TOKEN,
  consoleJwtSecret: CONSOLE_JWT_SECRET,
  serviceTokens: [{ service: 'gateway', token: SERVICE_TOKEN }],
};

let keys: TestApp;
let ledger: TestApp;
let metering: TestApp;
let gateway: NestExpressApplication;
let gatewayUrl = '';
const gatewaySchema = uniqueName('ksl_gateway').toLowerCase();

async function ready(url: string): Promise<void> {
  await eventually(
    async () => ((await fetch(`${url}/health/ready`)).ok ? true : undefined),
    60_000,
  );
}

beforeAll(async () => {
  await createTestTopics(kafka, allTopics);
  const schemas = {
    keys: uniqueName('ksl_keys').toLowerCase(),
    ledger: uniqueName('ksl_ledger').toLowerCase(),
    metering: uniqueName('ksl_metering').toLowerCase(),
  };
  const start = (name: keyof typeof schemas, module: Parameters<typeof startTestApp>[0]) =>
    startTestApp(module, {
      configure: (app) => configureApp(app, name),
      token: ADMIN_TOKEN,
      schema: schemas[name],
      kafka,
    });
  keys = await start(
    'keys',
    KeysModule.forRoot({
      ...accounts,
      ...messaging,
      schema: schemas.keys,
      apiKeyPepper: PEPPER,
      apiKeyEncryptionKey: ENCRYPTION_KEY,
      topics: { keys: topics.keys, usageRecorded: topics.usageRecorded },
      usageConsumerName: `ksl-keys-usage-${suffix}`,
    }),
  );
  ledger = await start(
    'ledger',
    LedgerModule.forRoot({
      ...accounts,
      ...messaging,
      schema: schemas.ledger,
      topics: {
        payments: topics.payments,
        usageRecorded: topics.usageRecorded,
        ledger: topics.ledger,
      },
      consumerGroupPrefix: `ksl-ledger-${suffix}`,
      schedulerIntervalMs: 200,
      relayPollIntervalMs: 100,
    }),
  );
  metering = await start(
    'metering',
    MeteringModule.forRoot({
      ...accounts,
      ...messaging,
      schema: schemas.metering,
      topics: { usageObserved: topics.usageObserved, usageRecorded: topics.usageRecorded },
      usageConsumerName: `ksl-metering-usage-${suffix}`,
      catalogRefreshMs: 200,
    }),
  );
  gateway = await createGatewayApp(
    {
      ...messaging,
      databaseUrl: testDatabaseUrl(),
      serviceToken: SERVICE_TOKEN,
      apiKeyPepper: PEPPER,
      ledgerUrl: ledger.baseUrl,
      meteringUrl: metering.baseUrl,
      keysUrl: keys.baseUrl,
      upstreams: new Map(),
      schema: gatewaySchema,
      topics: { keys: topics.keys, usageObserved: topics.usageObserved },
      keysConsumerName: `ksl-gateway-keys-${suffix}`,
    },
    ['error', 'warn'],
  );
  await gateway.listen(0, '127.0.0.1');
  gatewayUrl = (await gateway.getUrl()).replace('[::1]', '127.0.0.1');
  await Promise.all([keys, ledger, metering].map((app) => ready(app.baseUrl)));
  await ready(gatewayUrl);
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  for (const app of [keys, ledger, metering]) await app?.close();
  const db = testPool({ connectionString: testDatabaseUrl(), max: 1 });
  await db.query(`DROP SCHEMA IF EXISTS "${gatewaySchema}" CASCADE`);
  await db.end();
  await deleteTestTopics(kafka, allTopics).catch(() => undefined);
}, 60_000);

const accountId = `acct_ksl_${suffix}`;

interface KeyView {
  readonly id: string;
  readonly key?: string;
  readonly used: string;
  readonly spendLimits: { readonly daily: string | null; readonly monthly: string | null };
}

interface Answer {
  readonly status: number;
  readonly body: {
    readonly error?: { message: string; type: string; param: string | null; code: string | null };
  };
}

/**
 * A request whose worst case is what it costs: the echo is longer than max_tokens, so the output
 * is exactly max_tokens, and the sim reports the gateway's prompt bound as its prompt usage.
 */
const LONG = 'spend limits are exact. '.repeat(120);
const MAX_TOKENS = 200;

async function complete(key: string, maxTokens: number, content = LONG): Promise<Answer> {
  const res = await fetch(`${gatewayUrl}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'sim/echo-1',
      messages: [{ role: 'user', content }],
      max_tokens: maxTokens,
    }),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

/** What the ledger charged each key of the account (its cost analytics, exact decimal USD). */
async function chargedByKey(): Promise<Map<string, bigint>> {
  const res = await ledger.http<{ data: { apiKeyId: string | null; cost: string }[] }>(
    'GET',
    `/v1/accounts/${accountId}/usage?groupBy=apiKey`,
  );
  expect(res.status).toBe(200);
  return new Map(res.body.data.map((r) => [r.apiKeyId ?? '-', parseUsd(r.cost)]));
}

/** The account's holds and charges, one line each, from the audit log (a failure's evidence). */
async function holdsAndCharges(): Promise<string> {
  const res = await ledger.http<{ data: { position: string; type: string; data: unknown }[] }>(
    'GET',
    `/v1/audit/accounts/${accountId}/events?limit=1000`,
  );
  return res.body.data
    .filter((e) => e.type.startsWith('Hold') || e.type === 'UsageCharged')
    .map((e) => `${e.position} ${e.type} ${JSON.stringify(e.data)}`)
    .join('\n');
}

/** Waits until no hold is open and the ledger has charged `requests` requests in all. */
async function settled(requests: number): Promise<void> {
  await eventually(
    async () => {
      const balance = await ledger.http<{ held: string }>(
        'GET',
        `/v1/accounts/${accountId}/balance`,
      );
      const usage = await ledger.http<{ data: { requests: number }[] }>(
        'GET',
        `/v1/accounts/${accountId}/usage?groupBy=apiKey`,
      );
      const charged = usage.body.data.reduce((n, r) => n + r.requests, 0);
      return balance.body.held === '0' && charged === requests ? true : undefined;
    },
    60_000,
    100,
  );
}

describe('a key with a $0.01 daily spend limit, through keys, gateway, ledger and metering', () => {
  it('never lets the key be charged more than $0.01 under concurrent waves; refusals are 402 key_spend_limit_reached; another key is unaffected; a raised limit applies', async () => {
    // $1 of credit: the balance is not what limits the key.
    await ledger.producer.sendEvents(topics.payments, [
      createEvent({
        type: 'TopUpSettled',
        id: randomUUID(),
        accountId,
        source: 'payments',
        occurredAt: new Date().toISOString(),
        data: {
          topUpId: `tu_${suffix}`,
          amount: '1',
          method: 'card',
          trigger: 'manual',
          paymentReference: `pi_${suffix}`,
          invoiceId: `inv_${suffix}`,
        },
      }),
    ]);
    const create = async (name: string) =>
      (await keys.http<KeyView>('POST', `/v1/accounts/${accountId}/api-keys`, { body: { name } }))
        .body;
    const limited = await create('limited');
    const other = await create('other');
    const patched = await keys.http<KeyView>(
      'PATCH',
      `/v1/accounts/${accountId}/api-keys/${limited.id}`,
      { body: { spendLimits: { daily: '0.01' } } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.spendLimits).toEqual({ daily: '0.01', monthly: null });
    const limitedKey = limited.key ?? '';
    const otherKey = other.key ?? '';

    // The gateway has the limit once a request worth more than $0.01 is refused for it (and not
    // for the balance, which it fits): a probe whose echo is short costs almost nothing if it runs.
    let requests = 0;
    await eventually(async () => {
      const probe = await complete(limitedKey, 16_384, 'probe');
      if (probe.status === 200) requests += 1;
      return probe.body.error?.code === 'key_spend_limit_reached' ? true : undefined;
    }, 30_000);
    await settled(requests);

    // Waves of 12 concurrent requests until a whole wave is refused.
    const refusals: Answer[] = [];
    let admitted = 0;
    for (let wave = 0; wave < 20; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 12 }, () => complete(limitedKey, MAX_TOKENS)),
      );
      const ok = answers.filter((a) => a.status === 200).length;
      refusals.push(...answers.filter((a) => a.status !== 200));
      admitted += ok;
      requests += ok;
      await settled(requests);
      if (ok === 0) break;
    }
    expect(admitted).toBeGreaterThan(0);
    expect(refusals.length).toBeGreaterThan(0);
    for (const refusal of refusals) {
      expect(refusal.status).toBe(402);
      expect(refusal.body.error).toEqual({
        message: expect.stringMatching(
          /^This request could take this API key past its daily spend limit of \$0\.01 \(per UTC day, counting what the key has spent and has in flight\); the limit resets at \d{4}-\d\d-\d\dT00:00:00\.000Z\. /,
        ) as unknown,
        type: 'insufficient_quota',
        param: null,
        code: 'key_spend_limit_reached',
      });
    }

    // Charged to the key: never more than $0.01, and less than one more request short of it.
    const charged = (await chargedByKey()).get(limited.id) ?? 0n;
    const LIMIT = parseUsd('0.01');
    if (charged > LIMIT) {
      // Say how: every hold and charge of the account as the audit log has them.
      throw new Error(`the key was charged ${formatUsd(charged)}:\n${await holdsAndCharges()}`);
    }
    expect((await complete(otherKey, MAX_TOKENS)).status).toBe(200);
    requests += 1;
    await settled(requests);
    const afterOther = await chargedByKey();
    const costOfOne = afterOther.get(other.id) ?? 0n;
    expect(costOfOne).toBeGreaterThan(0n);
    expect(LIMIT - charged).toBeLessThan(costOfOne);
    // The keys service counts the same money on the key (its `used`).
    await eventually(async () => {
      const view = await keys.http<KeyView>(
        'GET',
        `/v1/accounts/${accountId}/api-keys/${limited.id}`,
      );
      return view.body.used === formatUsd(charged) ? true : undefined;
    });

    // Another key of the same account is not affected: it was admitted above while this one was
    // refused, and is again now.
    expect((await complete(otherKey, MAX_TOKENS)).status).toBe(200);
    requests += 1;
    await settled(requests);
    expect((await complete(limitedKey, MAX_TOKENS)).status).toBe(402);

    // The customer raises the limit to $0.02: the key spends again, up to the new limit only.
    const raised = await keys.http<KeyView>(
      'PATCH',
      `/v1/accounts/${accountId}/api-keys/${limited.id}`,
      { body: { spendLimits: { daily: '0.02' } } },
    );
    expect(raised.body.spendLimits).toEqual({ daily: '0.02', monthly: null });
    await eventually(
      async () => ((await complete(limitedKey, MAX_TOKENS)).status === 200 ? true : undefined),
      30_000,
    );
    requests += 1;
    await settled(requests);
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => complete(limitedKey, MAX_TOKENS)),
    );
    requests += answers.filter((a) => a.status === 200).length;
    await settled(requests);
    const chargedAfter = (await chargedByKey()).get(limited.id) ?? 0n;
    expect(chargedAfter).toBeGreaterThan(charged);
    expect(chargedAfter).toBeLessThanOrEqual(parseUsd('0.02'));
  }, 240_000);
});
