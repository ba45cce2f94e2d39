import {
  createKeyedProducer,
  type KafkaClient,
  type KafkaConsumer,
  type KafkaConsumerTuning,
  type KafkaRecord,
} from '@billing/messaging';
import {
  createTestTopics,
  deleteTestTopics,
  testDatabaseUrl,
  testKafka,
  testKafkaBrokers,
  testKafkaSecurity,
  uniqueName,
} from '@billing/testing';
import { batchSpanProcessor, installTracing, type Tracing } from '@billing/service-kit';
import { InMemorySpanExporter, type ReadableSpan, type Sampler } from '@opentelemetry/sdk-trace';
import pg from 'pg';

// What the benchmarks share: the test infrastructure a service under measurement runs on, and
// the small steps every run repeats (rates, waiting for a drain, producing a backlog).

/**
 * The topic layout of the Kafka benchmarks, one for all so that their figures compare: topics of
 * six partitions, of which a consumer (the service's or a baseline's) processes three at once.
 */
export const BENCH_PARTITIONS = 6;
export const BENCH_CONCURRENCY = 3;

/** The database and broker of the local infrastructure, as a service module's options. */
export function benchInfraOptions(): {
  databaseUrl: string;
  kafkaBrokers: string[];
  kafkaSecurity: ReturnType<typeof testKafkaSecurity>;
} {
  return {
    databaseUrl: testDatabaseUrl(),
    kafkaBrokers: testKafkaBrokers(),
    kafkaSecurity: testKafkaSecurity(),
  };
}

/**
 * A pool of at most `max` connections on the local database. An idle connection the server drops
 * (a restart, an admin's kill) is reported, not left to crash the run as an unhandled 'error'.
 */
export function benchPool(max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: testDatabaseUrl(), max });
  pool.on('error', (err) => console.error(`bench pool: idle connection lost: ${err.message}`));
  return pool;
}

/**
 * The consumer timings of every benchmark, for the service's consumers and the raw baselines
 * alike: a short session, heartbeat and fetch wait, so that a group forms and a drain is seen to
 * end quickly, and both sides of a ratio wait the same.
 */
export const benchKafkaTuning = (partitionsConsumedConcurrently: number) =>
  ({
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 1_000,
    maxWaitTimeMs: 100,
    partitionsConsumedConcurrently,
  }) satisfies KafkaConsumerTuning;

/** A raw kafkajs consumer of a baseline, subscribed to `topic` from its beginning. */
export interface BenchConsumer {
  readonly consumer: KafkaConsumer;
  /** Its group: a fresh one per consumer, so that it reads the whole topic again. */
  readonly groupId: string;
  /** Resolves once the consumer has joined its group (its partitions assigned). */
  readonly joined: Promise<void>;
}

/**
 * Runs `work` with a raw consumer in a fresh group named after `groupPrefix`, with the bench
 * timings, subscribed to `topic` from its beginning (`work` runs it); then disconnects it.
 */
export async function withBenchConsumer<R>(
  kafka: KafkaClient,
  groupPrefix: string,
  topic: string,
  work: (bench: BenchConsumer) => Promise<R>,
): Promise<R> {
  const bench = await benchConsumer(kafka, groupPrefix, topic);
  try {
    return await work(bench);
  } finally {
    await bench.consumer.disconnect();
  }
}

async function benchConsumer(
  kafka: KafkaClient,
  groupPrefix: string,
  topic: string,
): Promise<BenchConsumer> {
  const groupId = uniqueName(groupPrefix);
  const tuning = benchKafkaTuning(1);
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: tuning.sessionTimeoutMs,
    heartbeatInterval: tuning.heartbeatIntervalMs,
    maxWaitTimeInMs: tuning.maxWaitTimeMs,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
  } catch (err) {
    await consumer.disconnect();
    throw err;
  }
  const joined = new Promise<void>((resolve) =>
    consumer.on(consumer.events.GROUP_JOIN, () => resolve()),
  );
  return { consumer, groupId, joined };
}

/** The topics of one run, created on the local broker; `remove` deletes them (best effort). */
export interface BenchTopics {
  readonly kafka: ReturnType<typeof testKafka>;
  readonly remove: () => Promise<void>;
}

export async function createBenchTopics(
  names: string[],
  partitions?: number,
): Promise<BenchTopics> {
  const kafka = testKafka();
  await createTestTopics(kafka, names, partitions);
  return { kafka, remove: () => deleteTestTopics(kafka, names).catch(() => undefined) };
}

/** The admin token and console JWT secret of a service started by a benchmark. */
export const BENCH_SERVICE_SECRETS = {
  adminToken: 'bench-admin-token-0123456789',
  consoleJwtSecret: 'bench-console-jwt-secret-0123456789abcdef',
} as const;

/**
 * What a benchmark of one service (the ledger, metering) runs on: its topics on the local broker
 * and a pool on the local database, and the options the service's module is given there.
 */
export class BenchInfra {
  private constructor(
    readonly kafka: BenchTopics['kafka'],
    readonly pool: pg.Pool,
    private readonly topics: BenchTopics,
  ) {}

  /** Creates `topics` (of `partitions`) and a pool of `poolSize` connections. */
  static async open(
    topics: string[],
    options: { readonly partitions: number; readonly poolSize: number },
  ): Promise<BenchInfra> {
    const created = await createBenchTopics(topics, options.partitions);
    return new BenchInfra(created.kafka, benchPool(options.poolSize), created);
  }

  /** Database, brokers, secrets and consumer timings of the service under measurement. */
  serviceOptions(partitionsConsumedConcurrently: number) {
    return {
      ...benchInfraOptions(),
      ...BENCH_SERVICE_SECRETS,
      kafkaTuning: benchKafkaTuning(partitionsConsumedConcurrently),
    };
  }

  /** Ends the pool, then deletes the topics (best effort). */
  async close(): Promise<void> {
    await this.pool.end();
    await this.topics.remove();
  }
}

/** `n` things in `ms` milliseconds, per second. */
export const perSecond = (n: number, ms: number): number => (n * 1000) / ms;

/**
 * Polls `check` every `pollMs` until it holds, or fails after `timeoutMs` naming `what`. The poll
 * interval is each benchmark's own: it bounds how late the end of a drain is seen.
 */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  pollMs: number,
  what = 'benchmark step',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not finish in time`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Produces `records` to `topic` in requests of `batchSize`, each acknowledged by all replicas. */
export async function produceAll(
  kafka: KafkaClient,
  topic: string,
  records: readonly KafkaRecord[],
  batchSize: number,
): Promise<void> {
  const producer = createKeyedProducer(kafka);
  await producer.connect();
  try {
    for (let i = 0; i < records.length; i += batchSize) {
      await producer.send({ topic, acks: -1, messages: records.slice(i, i + batchSize) });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * A bench's span exporter: spans kept in memory, as issue #13 prices tracing, but only until their
 * batch is exported, as a collector's exporter drops a batch once it is sent. Keeping them for a
 * second more (the first benches emptied it each second) made them outlive two young-generation
 * collections and charged tracing a garbage collection that no deployment pays.
 */
export class ReleasingSpanExporter extends InMemorySpanExporter {
  override export(
    spans: ReadableSpan[],
    done: Parameters<InMemorySpanExporter['export']>[1],
  ): void {
    super.export(spans, done);
    this.reset();
  }
}

/** Tracing on in this process as a service runs it, every span to a {@link ReleasingSpanExporter}. */
export function installBenchTracing(service: string, sampler?: Sampler): Tracing {
  return installTracing(service, [batchSpanProcessor(new ReleasingSpanExporter())], sampler);
}
