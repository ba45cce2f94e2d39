import { randomBytes, randomUUID } from 'node:crypto';
import { AccountLoader, LedgerModule, rebuildProjections } from '@billing/ledger';
import { createKeyedProducer, type KafkaRecord } from '@billing/messaging';
import { configureApp, samplerFromEnv } from '@billing/service-kit';
import { uniqueName } from '@billing/testing';
import { NestFactory } from '@nestjs/core';
import { ROOT_CONTEXT, SpanKind } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace';
import pg from 'pg';
import {
  BENCH_PARTITIONS,
  BenchInfra,
  installBenchTracing,
  perSecond,
  produceAll,
  until,
} from './support.js';
import { median, type BenchPart, type BenchRow } from './table.js';

/**
 * The ledger end to end, on the real PostgreSQL and Kafka: UsageRecorded messages produced to
 * `usage.recorded.v1`, consumed by the ledger application (the production module, in process),
 * each one decided, appended to its account's stream with its idempotency key, projected
 * (balance, breakdown, history, per-key usage, daily usage, expiry schedule) and announced
 * (a BalanceChanged outbox row) in the consumer's transaction, then published by the relay.
 *
 * Scaled down from the issue's figures so that the run stays under about three minutes on a small
 * machine; the sizes are in the rows' notes. Override with LEDGER_BENCH_SCALE (1 = default).
 */

const SCALE = Number(process.env.LEDGER_BENCH_SCALE ?? '1');
const MANY_EVENTS = Math.round(50_000 * SCALE);
const MANY_ACCOUNTS = 10_000;
const HOT_EVENTS = Math.round(20_000 * SCALE);
const TRACED_EVENTS = Math.round(10_000 * SCALE);
const TRACED_ROUNDS = 3;
const STEADY_RATE = 5_000;
const STEADY_SECONDS = Math.max(3, Math.round(10 * SCALE));
const PRODUCE_BATCH = 1_000;
const COLD_LOAD_ROUNDS = 7;

let sequence = 0;

function usageMessage(accountId: string, completedAt: Date): KafkaRecord {
  const i = ++sequence;
  const at = completedAt.toISOString();
  return {
    key: accountId,
    value: JSON.stringify({
      id: randomUUID(),
      type: 'UsageRecorded',
      version: 1,
      occurredAt: at,
      accountId,
      source: 'metering',
      data: {
        requestId: `req_${i}_${randomUUID().slice(0, 8)}`,
        apiKeyId: `key_${i % 7}`,
        model: i % 3 === 0 ? 'sim/echo-1' : 'openai/gpt-5',
        inputTokens: 1200 + (i % 300),
        outputTokens: 350 + (i % 120),
        status: 'succeeded',
        startedAt: at,
        completedAt: at,
        cost: `0.000${(i % 900) + 100}`,
        priceVersion: 'v1',
      },
    }),
  };
}

async function appliedEvents(pool: pg.Pool, schema: string): Promise<number> {
  const res = await pool.query<{ n: string | null }>(
    `SELECT sum(version)::text AS n FROM "${schema}".balances`,
  );
  return Number(res.rows[0]?.n ?? 0);
}

export async function runLedgerBench(): Promise<BenchRow[]> {
  const schema = uniqueName('bench_ledger').toLowerCase();
  const suffix = schema.slice('bench_ledger_'.length);
  const topics = {
    payments: `payments.v1.bench.${suffix}`,
    usageRecorded: `usage.recorded.v1.bench.${suffix}`,
    ledger: `ledger.v1.bench.${suffix}`,
  };
  const allTopics = [
    ...Object.values(topics),
    `${topics.payments}.dlq`,
    `${topics.usageRecorded}.dlq`,
  ];
  const infra = await BenchInfra.open(allTopics, { partitions: BENCH_PARTITIONS, poolSize: 4 });
  const { kafka, pool: db } = infra;
  const rows: BenchRow[] = [];

  // Everything for the first measure is on the topic before the ledger starts: what is measured
  // is the ledger draining it, not the producer.
  const start = new Date();
  await produceAll(
    kafka,
    topics.usageRecorded,
    Array.from({ length: MANY_EVENTS }, (_, i) =>
      usageMessage(`acct_${i % MANY_ACCOUNTS}`, new Date(start.getTime() + i)),
    ),
    PRODUCE_BATCH,
  );

  const app = await NestFactory.create(
    LedgerModule.forRoot({
      ...infra.serviceOptions(BENCH_PARTITIONS),
      schema,
      topics,
      consumerGroupPrefix: `bench-ledger-${suffix}`,
      poolSize: 24,
      schedulerIntervalMs: 0,
      relayPollIntervalMs: 100,
    }),
    { logger: ['error'] },
  );
  configureApp(app, 'ledger');
  try {
    // From the first balance written (the group has joined and the first chunk committed) to
    // the last: the steady rate, without the seconds a consumer group takes to form.
    await app.init();
    await until(
      async () => (await appliedEvents(db, schema)) > 0,
      60_000,
      50,
      'ledger bench: first chunk',
    );
    const first = await appliedEvents(db, schema);
    const t0 = performance.now();
    await until(
      async () => (await appliedEvents(db, schema)) >= MANY_EVENTS,
      300_000,
      50,
      'ledger bench: drain',
    );
    const manyMs = performance.now() - t0;
    rows.push({
      name: `UsageRecorded ingest, ${MANY_ACCOUNTS.toLocaleString('en-US')} accounts`,
      value: perSecond(MANY_EVENTS - first, manyMs),
      unit: 'events/s',
      note: `${MANY_EVENTS.toLocaleString('en-US')} events already on ${BENCH_PARTITIONS} partitions, first balance written to last`,
    });

    // Produces `count` messages (the i-th made by `message`, after the clock starts) while the
    // ledger runs, and waits until it has applied them all: milliseconds from the first send.
    const ingest = async (
      count: number,
      message: (i: number) => KafkaRecord,
      what: string,
    ): Promise<number> => {
      const from = await appliedEvents(db, schema);
      const t = performance.now();
      await produceAll(
        kafka,
        topics.usageRecorded,
        Array.from({ length: count }, (_, i) => message(i)),
        PRODUCE_BATCH,
      );
      await until(
        async () => (await appliedEvents(db, schema)) >= from + count,
        300_000,
        50,
        `ledger bench: ${what}`,
      );
      return performance.now() - t;
    };

    // One hot account: one partition, strictly sequential, every event on the same stream.
    const hotMs = await ingest(
      HOT_EVENTS,
      () => usageMessage('acct_hot', new Date()),
      'hot account',
    );
    rows.push({
      name: 'UsageRecorded ingest, one hot account',
      value: perSecond(HOT_EVENTS, hotMs),
      unit: 'events/s',
      note: `${HOT_EVENTS.toLocaleString('en-US')} events, produced and consumed concurrently`,
    });

    // Tracing's price: the same ingest with every message carrying a traceparent, with tracing
    // off, then on (consumer, producer and transaction spans to an in-memory exporter behind the
    // batching processor), then off again; the baseline is the mean of the two untraced runs.
    // The sampler OTEL_TRACES_SAMPLER names (default: every trace): the gateway, where a trace
    // starts, takes this decision and the ledger follows the traceparent's sampled flag.
    const sampler = samplerFromEnv(process.env);
    const traceparent = (): string => {
      const traceId = randomBytes(16).toString('hex');
      const { decision } = sampler.shouldSample(
        ROOT_CONTEXT,
        traceId,
        'POST',
        SpanKind.SERVER,
        {},
        [],
      );
      const flags = decision === SamplingDecision.RECORD_AND_SAMPLED ? '01' : '00';
      return `00-${traceId}-${randomBytes(8).toString('hex')}-${flags}`;
    };
    // A run's rate, and the CPU this process spent an event (user + system: the ledger and the
    // producer feeding it, the same work on both sides), which other processes on the machine do
    // not blur the way they blur a 1.5-s rate.
    const tracedIngest = async (): Promise<{ rate: number; cpuMicros: number }> => {
      const cpu = process.cpuUsage();
      const ms = await ingest(
        TRACED_EVENTS,
        (i) => ({
          ...usageMessage(`acct_traced_${i % 1_000}`, new Date()),
          headers: { traceparent: traceparent() },
        }),
        'traced ingest',
      );
      const used = process.cpuUsage(cpu);
      return {
        rate: perSecond(TRACED_EVENTS, ms),
        cpuMicros: (used.user + used.system) / TRACED_EVENTS,
      };
    };
    const tracedRound = async (): Promise<{ rate: number; cpuMicros: number }> => {
      const tracing = installBenchTracing('ledger', sampler);
      try {
        return await tracedIngest();
      } finally {
        await tracing.shutdown();
      }
    };
    // Off, on, on, off, TRACED_ROUNDS times over: a single pair of 1.5-s runs drifts by more
    // than the 5 % it is meant to settle, so each side is the median of its runs, taken in turns.
    const offRuns: { rate: number; cpuMicros: number }[] = [];
    const onRuns: { rate: number; cpuMicros: number }[] = [];
    for (let round = 0; round < TRACED_ROUNDS; round++) {
      offRuns.push(await tracedIngest());
      onRuns.push(await tracedRound());
      onRuns.push(await tracedRound());
      offRuns.push(await tracedIngest());
    }
    const sides = (
      runs: readonly { rate: number; cpuMicros: number }[],
      of: 'rate' | 'cpuMicros',
    ): { median: number; range: string } => {
      const values = runs.map((r) => r[of]);
      return {
        median: median(values),
        range: `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`,
      };
    };
    const pct = (on: number, off: number): string => `${(((on - off) / off) * 100).toFixed(1)}%`;
    const tracedNote = `${TRACED_EVENTS.toLocaleString('en-US')} events a run, each with a traceparent; medians of ${onRuns.length} runs on and ${offRuns.length} off, taken off-on-on-off`;
    for (const [of, name, unit] of [
      ['rate', 'UsageRecorded ingest, tracing on (1,000 accounts)', 'events/s'],
      ['cpuMicros', 'UsageRecorded ingest CPU an event, tracing on', 'µs'],
    ] as const) {
      const on = sides(onRuns, of);
      const off = sides(offRuns, of);
      rows.push({
        name,
        value: on.median,
        unit,
        baseline: off.median,
        note: `${tracedNote}; on ${on.range}, off ${off.range}; ${pct(on.median, off.median)}`,
      });
    }

    // Steady load: STEADY_RATE events/s over 1,000 accounts; the lag of each event is the time
    // from its completedAt (= when it was produced) to the transaction that charged it.
    const steadyFrom = new Date();
    const beforeSteady = await appliedEvents(db, schema);
    const producer = createKeyedProducer(kafka);
    await producer.connect();
    const tickMs = 100;
    const perTick = (STEADY_RATE * tickMs) / 1000;
    const steadyStart = performance.now();
    let sent = 0;
    for (let tick = 0; tick < (STEADY_SECONDS * 1000) / tickMs; tick++) {
      const due = steadyStart + tick * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const now = new Date();
      await producer.send({
        topic: topics.usageRecorded,
        acks: -1,
        messages: Array.from({ length: perTick }, (_, i) =>
          usageMessage(`acct_steady_${(sent + i) % 1_000}`, now),
        ),
      });
      sent += perTick;
    }
    const producedFor = (performance.now() - steadyStart) / 1000;
    await producer.disconnect();
    await until(
      async () => (await appliedEvents(db, schema)) >= beforeSteady + sent,
      300_000,
      50,
      'ledger bench: steady load',
    );
    const lag = await db.query<{ p50: number; p99: number; max: number }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) AS p99, max(ms) AS max
       FROM (SELECT extract(epoch FROM recorded_at - (data->>'occurredAt')::timestamptz) * 1000 AS ms
             FROM "${schema}".events
             WHERE type = 'UsageCharged' AND stream_id LIKE 'account-acct_steady_%'
               AND recorded_at >= $1) AS lags`,
      [steadyFrom.toISOString()],
    );
    const l = lag.rows[0];
    rows.push({
      name: `lag publish → balance written, p99 at ${STEADY_RATE.toLocaleString('en-US')}/s offered`,
      value: l?.p99 ?? Number.NaN,
      unit: 'ms',
      note: `p50 ${Math.round(l?.p50 ?? 0)} ms, max ${Math.round(l?.max ?? 0)} ms; ${sent.toLocaleString('en-US')} events over ${producedFor.toFixed(1)} s (${Math.round(sent / producedFor)}/s achieved by the producer); transaction start time, so a chunk's commit is not included`,
    });

    // A cold load of the hot account (its state not cached): from its latest snapshot and the
    // events after it, against the whole stream folded from the first event. Taken in turns, the
    // median of each, so that both see the same load.
    const loader = app.get(AccountLoader);
    const withSnapshot: number[] = [];
    const fromFirst: number[] = [];
    let read = { snapshot: 0, snapshotVersion: 0, full: 0 };
    for (let round = 0; round < COLD_LOAD_ROUNDS; round++) {
      const a = performance.now();
      const loaded = await loader.load('acct_hot');
      withSnapshot.push(performance.now() - a);
      const b = performance.now();
      const full = await loader.load('acct_hot', { fromSnapshot: false });
      fromFirst.push(performance.now() - b);
      read = {
        snapshot: loaded.eventsRead,
        snapshotVersion: loaded.snapshotVersion ?? 0,
        full: full.eventsRead,
      };
    }
    rows.push({
      name: 'cold load of a long account (hot account)',
      value: median(withSnapshot),
      unit: 'ms',
      baseline: median(fromFirst),
      note: `snapshot at v${read.snapshotVersion.toLocaleString('en-US')} + ${read.snapshot} events read; baseline: all ${read.full.toLocaleString('en-US')} events folded from the first; median of ${COLD_LOAD_ROUNDS}`,
    });
  } finally {
    await app.close();
  }

  // Rebuild every projection from the log just written (the service is stopped; the swap still
  // takes the same lock it would take under load).
  const total = await appliedEvents(db, schema);
  const report = await rebuildProjections({ pool: db, schema });
  rows.push({
    name: 'projections:rebuild',
    value: report.eventsPerSecond,
    unit: 'events/s',
    note: `${report.events.toLocaleString('en-US')} events of ${report.accounts.toLocaleString('en-US')} accounts (of ${total.toLocaleString('en-US')} applied), all six projections, read + fold + write + swap`,
  });

  await db.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await infra.close();
  return rows;
}

export const part: BenchPart = {
  title: 'ledger (UsageRecorded from Kafka into the ledger with projections; rebuild)',
  run: runLedgerBench,
};
