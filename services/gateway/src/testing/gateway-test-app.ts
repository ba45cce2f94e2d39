// One gateway for one integration test file, wired exactly as production wires it (the same
// module, the real Kafka consumer and outbox relay, real Postgres), on a fresh schema and topics
// of its own, listening on a free port; around it, the stand-ins it calls over HTTP (the ledger's
// holds API, metering's catalog) and the simulated OpenAI-compatible upstream.
import { randomUUID } from 'node:crypto';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import {
  createEvent,
  encodeEvent,
  type ContractEvent,
  type UsageObserved,
} from '@billing/contracts';
import {
  createKeyedProducer,
  type KafkaClient,
  type KafkaProducer,
  type OutboxMessage,
  type Subscription,
  type SubscriptionOptions,
} from '@billing/messaging';
import { createKafkaTransport, type Transport } from '@billing/service-kit';
import {
  createTestTopics,
  deleteTestTopics,
  eventually,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  testPool,
  testKafkaSecurity,
  uniqueName,
} from '@billing/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type pg from 'pg';
import { createGatewayApp } from '../gateway.module.js';
import type { GatewayModuleOptions, GatewayTopics } from '../gateway.options.js';
import { KeyStore } from '../infrastructure/key-store.js';
import { KeysConsumer } from '../messaging/keys-consumer.js';
import { KeysLookupStandIn } from './keys-lookup-stand-in.js';
import { LedgerStandIn } from './ledger-stand-in.js';
import { MeteringCatalogStandIn } from './metering-stand-in.js';
import { SimulatedUpstreamServer } from './simulated-upstream-server.js';

/** The gateway's service credential, which the ledger (stand-in) accepts for holds. */
export const GATEWAY_SERVICE_TOKEN = 'test-gateway-service-token-0123456789abcdef';
export const PEPPER = 'test-api-key-pepper-0123456789abcdef';
export const UPSTREAM_KEY = 'sk-upstream-test-key';

/** Consumer timings for the test broker (group.initial.rebalance.delay.ms=0, 6 s sessions). */
export const FAST_CONSUMER = {
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  heartbeatIntervalMs: 300,
  maxWaitTimeMs: 100,
  partitionsConsumedConcurrently: 3,
  restartBackoff: { initialMs: 100, maxMs: 1_000 },
};

/**
 * A transport whose publishing side can be cut, as if the broker were unreachable: the outbox
 * relay's publish fails, the consumers keep working. Everything else is the real Kafka transport.
 */
export class SwitchableTransport implements Transport {
  brokerDown = false;
  failedPublishes = 0;

  constructor(private readonly inner: Transport) {}

  async publish(messages: readonly OutboxMessage[]): Promise<void> {
    if (this.brokerDown) {
      this.failedPublishes += 1;
      throw new Error('KafkaJSConnectionError: connect ECONNREFUSED (simulated outage)');
    }
    await this.inner.publish(messages);
  }

  subscribe<T>(options: SubscriptionOptions<T>): Promise<Subscription> {
    return this.inner.subscribe(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface TestKey {
  readonly key: string;
  readonly apiKeyId: string;
  readonly accountId: string;
}

export interface GatewayTestApp {
  readonly app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The OpenAI client's `baseURL`: `<url>/api/v1`. */
  readonly apiBase: string;
  readonly schema: string;
  readonly topics: GatewayTopics;
  readonly kafka: KafkaClient;
  readonly db: pg.Pool;
  readonly ledger: LedgerStandIn;
  readonly metering: MeteringCatalogStandIn;
  readonly upstream: SimulatedUpstreamServer;
  /** The keys service's lookup route, asked when a key is not in the cache. */
  readonly keysLookup: KeysLookupStandIn;
  readonly transport: SwitchableTransport;
  readonly keys: KeyStore;
  /** Issues a key as the keys service would: ApiKeyCreated on the keys topic; waits until cached. */
  createKey(
    accountId: string,
    options?: { readonly expiresAt?: Date; readonly plan?: 'payg' | 'builder' },
  ): Promise<TestKey>;
  publishKeyEvent(event: ContractEvent): Promise<void>;
  /** UsageObserved events in the outbox, in order. */
  outboxUsage(): Promise<UsageObserved[]>;
  /** Waits for the UsageObserved of `requestId` in the outbox. */
  usageOf(requestId: string): Promise<UsageObserved>;
  close(): Promise<void>;
}

export async function createGatewayTestApp(
  overrides: Partial<GatewayModuleOptions> = {},
): Promise<GatewayTestApp> {
  const schema = uniqueName('gateway').toLowerCase();
  const suffix = schema.slice('gateway_'.length);
  const topics: GatewayTopics = {
    keys: `keys.v1.${suffix}`,
    usageObserved: `usage.observed.v1.${suffix}`,
  };
  const allTopics = [topics.keys, topics.usageObserved, `${topics.keys}.dlq`];
  const kafka = testKafka();
  await createTestTopics(kafka, allTopics);

  const ledger = new LedgerStandIn(GATEWAY_SERVICE_TOKEN);
  const metering = new MeteringCatalogStandIn();
  const upstream = new SimulatedUpstreamServer({ apiKey: UPSTREAM_KEY, slowChunkDelayMs: 40 });
  const keysLookup = new KeysLookupStandIn(GATEWAY_SERVICE_TOKEN);
  await Promise.all([ledger.start(), metering.start(), upstream.start(), keysLookup.start()]);
  const transport = new SwitchableTransport(
    createKafkaTransport(testKafkaBrokers(), suffix, { security: testKafkaSecurity() }),
  );

  const app = await createGatewayApp(
    {
      databaseUrl: testDatabaseUrl(),
      serviceToken: GATEWAY_SERVICE_TOKEN,
      apiKeyPepper: PEPPER,
      ledgerUrl: ledger.url,
      meteringUrl: metering.url,
      keysUrl: keysLookup.url,
      upstreams: new Map([
        ['up', { prefix: 'up', baseUrl: upstream.baseUrl, apiKey: UPSTREAM_KEY }],
      ]),
      schema,
      topics,
      transport,
      keysConsumerName: `gateway-keys-${suffix}`,
      kafkaTuning: FAST_CONSUMER,
      ...overrides,
    },
    ['error', 'warn'],
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const consumer = app.get(KeysConsumer);
  await consumer.ready;
  const keys = app.get(KeyStore);

  const db = testPool({ connectionString: testDatabaseUrl(), max: 4 });
  let producer: KafkaProducer | undefined;
  const publishKeyEvent = async (event: ContractEvent): Promise<void> => {
    if (producer === undefined) {
      producer = createKeyedProducer(kafka);
      await producer.connect();
    }
    await producer.send({
      topic: topics.keys,
      messages: [{ key: event.accountId, value: encodeEvent(event) }],
    });
  };

  const outboxUsage = async (): Promise<UsageObserved[]> => {
    const rows = await db.query<{ value: string }>(
      `SELECT value FROM ${schema}.outbox WHERE topic = $1 ORDER BY id`,
      [topics.usageObserved],
    );
    return rows.rows.map((r) => JSON.parse(r.value) as UsageObserved);
  };

  return {
    app,
    url,
    apiBase: `${url}/api/v1`,
    schema,
    topics,
    kafka,
    db,
    ledger,
    metering,
    upstream,
    keysLookup,
    transport,
    keys,
    publishKeyEvent,
    outboxUsage,
    usageOf: (requestId) =>
      eventually(async () => (await outboxUsage()).find((e) => e.data.requestId === requestId)),
    async createKey(accountId, options = {}) {
      const { key, prefix } = generateApiKey();
      const apiKeyId = `key_${randomUUID().slice(0, 8)}`;
      const hash = lookupHash(key, PEPPER);
      await publishKeyEvent(
        createEvent({
          type: 'ApiKeyCreated',
          id: randomUUID(),
          accountId,
          source: 'keys',
          occurredAt: new Date(),
          data: {
            apiKeyId,
            name: 'test key',
            plan: options.plan ?? 'payg',
            status: 'enabled',
            lookupHash: hash,
            prefix,
            ...(options.expiresAt !== undefined && { expiresAt: options.expiresAt.toISOString() }),
          },
        }),
      );
      await eventually(() => keys.lookup(hash), 15_000, 20);
      return { key, apiKeyId, accountId };
    },
    async close() {
      await producer?.disconnect();
      await app.close();
      await transport.close().catch(() => undefined);
      await Promise.all([ledger.stop(), metering.stop(), upstream.stop(), keysLookup.stop()]);
      await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await db.end();
      await deleteTestTopics(kafka, allTopics).catch(() => undefined);
    },
  };
}

/** An account id no other test uses. */
export const testAccount = (): string => uniqueName('acct');

/** A key event as the keys service publishes it. */
export function keyEvent(
  type: 'ApiKeyUpdated' | 'ApiKeyDeleted',
  accountId: string,
  data: { apiKeyId: string; status?: 'enabled' | 'disabled' },
): ContractEvent {
  const common = { id: randomUUID(), accountId, source: 'keys', occurredAt: new Date() };
  return type === 'ApiKeyDeleted'
    ? createEvent({ ...common, type, data: { apiKeyId: data.apiKeyId } })
    : createEvent({ ...common, type, data });
}
