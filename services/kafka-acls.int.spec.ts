import { encodeEvent } from '@billing/contracts';
import { configureApp } from '@billing/service-kit';
import {
  FAST_CONSUMER_TUNING,
  localKafkaPrincipals,
  readTopicUntil,
  startPrivateKafka,
  startTestApp,
  testDatabaseUrl,
  testKafkaSaslConfig,
  uniqueName,
  type PrivateKafka,
  type TestApp,
  type TestKafkaSecurity,
} from '@billing/testing';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { LedgerModule } from './ledger/src/ledger.module.js';
import { LedgerMessaging } from './ledger/src/messaging/ledger-messaging.js';
import type { BalanceView } from './ledger/src/queries/get-balance/get-balance.query.js';
import {
  ADMIN_TOKEN,
  CONSOLE_JWT_SECRET,
  topUpSettled,
} from './ledger/src/testing/ledger-test-app.js';

// Kafka is not an open door. A broker of this file's own, started by deploy/local/infra-up.sh
// exactly as `npm run infra:up` starts the shared one (SCRAM principals, ACLs of
// deploy/local/kafka/acls.txt, the contract topics), and the ledger's production module consuming
// the real `payments.v1` as the `ledger` principal. Whoever is not the payments service tries to
// credit an account through `payments.v1`; the broker refuses each one, and the ledger's balance is
// exactly what the one legitimate payment made it.

const ACCOUNT = 'acct_kafka_acl';

let broker: PrivateKafka;
let ledger: TestApp;
let admin: Kafka;

const principal = (name: string): TestKafkaSecurity => {
  const password = localKafkaPrincipals().get(name);
  if (password === undefined) throw new Error(`no principal ${name}`);
  return { sasl: { mechanism: 'scram-sha-512', username: name, password } };
};

/** A client of the private broker; one retry, so that a refusal surfaces at once. */
const client = (security: TestKafkaSecurity): Kafka =>
  new Kafka({
    clientId: uniqueName('acl'),
    brokers: broker.brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 1, initialRetryTime: 100 },
    ...testKafkaSaslConfig(security),
  });

/** A payment of `amount` USD for ACCOUNT, as the payments service publishes it. */
const payment = (topUpId: string, amount: string) => ({
  key: ACCOUNT,
  value: encodeEvent(topUpSettled(ACCOUNT, topUpId, amount)),
});

/** Publishes with the services' producer settings (idempotent, acks=-1), as `security`. */
async function publishAs(
  security: TestKafkaSecurity,
  topic: string,
  amount: string,
): Promise<void> {
  const producer = client(security).producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [payment(uniqueName('tu'), amount)] });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

interface Refusal {
  readonly message: string;
  /** The error and its causes (kafkajs wraps the broker's answer in retry errors, or not). */
  readonly names: string[];
  readonly types: unknown[];
}

async function failure(action: () => Promise<unknown>): Promise<Refusal> {
  try {
    await action();
  } catch (err) {
    const chain: Record<string, unknown>[] = [];
    for (let e: unknown = err; e instanceof Error && chain.length < 5;) {
      const link = e as Error & Record<string, unknown>;
      chain.push(link);
      e = link.cause ?? link.originalError;
    }
    return {
      message: chain.map((e) => String(e.message)).join(' / '),
      names: chain.map((e) => String(e.name)),
      types: chain.map((e) => e.type).filter((t) => t !== undefined),
    };
  }
  throw new Error('the broker allowed it');
}

/** Messages ever written to `topic` (the sum of its partitions' end offsets). */
async function messagesIn(topic: string): Promise<number> {
  const a = admin.admin();
  await a.connect();
  try {
    const offsets = await a.fetchTopicOffsets(topic);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await a.disconnect();
  }
}

async function committedOffsets(groupId: string, topic: string): Promise<string[]> {
  const a = admin.admin();
  await a.connect();
  try {
    const [offsets] = await a.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? [])
      .sort((x, y) => x.partition - y.partition)
      .map((p) => `${p.partition}:${p.offset}`);
  } finally {
    await a.disconnect();
  }
}

const balance = async (): Promise<BalanceView> =>
  (await ledger.http<BalanceView>('GET', `/v1/accounts/${ACCOUNT}/balance`)).body;

const inboxRows = async (): Promise<number> => {
  const { rows } = await ledger.db.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM "${ledger.schema}".inbox WHERE consumer_name = 'ledger-payments'`,
  );
  return Number(rows[0]?.n);
};

beforeAll(async () => {
  broker = await startPrivateKafka();
  admin = client(principal('admin'));
  const schema = uniqueName('ledger_acl').toLowerCase();
  ledger = await startTestApp(
    LedgerModule.forRoot({
      databaseUrl: testDatabaseUrl(),
      adminToken: ADMIN_TOKEN,
      consoleJwtSecret: CONSOLE_JWT_SECRET,
      schema,
      // The production names: the contract topics and the `ledger-*` groups its ACLs allow.
      kafkaBrokers: broker.brokers,
      kafkaSecurity: principal('ledger'),
      kafkaTuning: FAST_CONSUMER_TUNING,
      relayPollIntervalMs: 100,
    }),
    { configure: (app) => configureApp(app, 'ledger'), token: ADMIN_TOKEN, schema, kafka: admin },
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    ledger.app.get(LedgerMessaging).ready,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error('the ledger did not join its groups')), 120_000);
    }),
  ]).finally(() => clearTimeout(timer));
}, 480_000);

afterAll(async () => {
  await ledger?.close();
  await broker?.stop();
}, 120_000);

describe('the secured broker', () => {
  it('refuses a producer that does not authenticate', async () => {
    const err = await failure(() => publishAs({}, 'payments.v1', '1000'));
    // The SASL listener closes a connection that sends anything but the handshake.
    expect(err.names).toContain('KafkaJSConnectionClosedError');
    expect(await messagesIn('payments.v1')).toBe(0);
  }, 60_000);

  it('refuses the payments principal with a wrong password, without echoing it', async () => {
    const guess = 'not-the-payments-password-4f1c';
    const err = await failure(() =>
      publishAs(
        { sasl: { mechanism: 'scram-sha-512', username: 'payments', password: guess } },
        'payments.v1',
        '1000',
      ),
    );
    expect(err.names).toContain('KafkaJSSASLAuthenticationError');
    expect(err.message).toMatch(/invalid credentials with SASL mechanism SCRAM-SHA-512/);
    expect(err.message).not.toContain(guess);
    expect(await messagesIn('payments.v1')).toBe(0);
  }, 60_000);

  it("refuses the gateway's principal a write to payments.v1 (topic authorization)", async () => {
    const err = await failure(() => publishAs(principal('gateway'), 'payments.v1', '1000'));
    expect(err.message).toMatch(/Not authorized to access topics/);
    expect(err.types).toContain('TOPIC_AUTHORIZATION_FAILED');
    expect(await messagesIn('payments.v1')).toBe(0);
  }, 60_000);

  it('refuses the ledger principal a write to payments.v1: it only reads it', async () => {
    const err = await failure(() => publishAs(principal('ledger'), 'payments.v1', '1000'));
    expect(err.types).toContain('TOPIC_AUTHORIZATION_FAILED');
    expect(await messagesIn('payments.v1')).toBe(0);
  }, 60_000);

  it('refuses a consumer principal a topic it does not own, even in its own group', async () => {
    const consumer = client(principal('metering')).consumer({
      groupId: 'metering.usage-observed',
      sessionTimeout: 6_000,
    });
    await consumer.connect();
    try {
      const err = await failure(() =>
        consumer.subscribe({ topics: ['payments.v1'], fromBeginning: true }),
      );
      expect(err.types).toContain('TOPIC_AUTHORIZATION_FAILED');
    } finally {
      await consumer.disconnect();
    }
  }, 60_000);

  it("refuses another service the ledger's consumer group: its offsets cannot be moved past a payment", async () => {
    const before = await committedOffsets('ledger-payments', 'payments.v1');
    // The payments principal may read ledger.v1 in its own group, but not in the ledger's:
    // kafkajs reports the refused FindCoordinator as a missing coordinator.
    const thief = client(principal('payments'));
    const a = thief.admin();
    await a.connect();
    try {
      const err = await failure(() =>
        a.setOffsets({
          groupId: 'ledger-payments',
          topic: 'payments.v1',
          partitions: [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, offset: '1000' })),
        }),
      );
      expect(err.names).toContain('KafkaJSGroupCoordinatorNotFound');
    } finally {
      await a.disconnect();
    }
    expect(await committedOffsets('ledger-payments', 'payments.v1')).toEqual(before);
  }, 60_000);

  it("leaves the ledger's balance exactly unchanged, and credits what the payments principal publishes", async () => {
    // Nothing of the attempts above reached the topic, the ledger's inbox or the balance.
    expect(await messagesIn('payments.v1')).toBe(0);
    expect(await inboxRows()).toBe(0);
    expect(await balance()).toMatchObject({ total: '0', available: '0', version: 0 });

    await publishAs(principal('payments'), 'payments.v1', '25.5');

    const deadline = Date.now() + 60_000;
    let seen = await balance();
    while (seen.version < 1 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      seen = await balance();
    }
    expect(seen).toMatchObject({
      accountId: ACCOUNT,
      total: '25.5',
      topUp: '25.5',
      available: '25.5',
      version: 1,
    });
    expect(await inboxRows()).toBe(1);
    expect(await messagesIn('payments.v1')).toBe(1);
    // The ledger principal may write its own topic: BalanceChanged went out through its outbox.
    const records = await readTopicUntil(admin, 'ledger.v1', (rs) =>
      rs.some((r) => r.key === ACCOUNT),
    );
    expect(records.filter((r) => r.key === ACCOUNT)).toHaveLength(1);
  }, 120_000);
});
