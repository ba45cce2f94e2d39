// A child process of the gateway bench (gateway.bench.ts): each server under test gets its own
// process, so its event loop competes with neither the load generator nor the others.
//
//   node --import @swc-node/register/esm-register tools/bench/src/gateway-bench-server.ts <role>
//
// roles: `upstream` (the bare simulated upstream: the baseline), `ledger` (the in-memory ledger
// holds stand-in), `gateway` (the gateway, production module, on the real PostgreSQL and Kafka;
// its side port switches tracing on and off, spans kept in memory until exported).
// Each prints one JSON line `{"ready": ...}` on stdout once it listens, and cleans up and exits
// when its stdin closes (not on SIGTERM: Nest's own shutdown hook would exit before the cleanup).
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { generateApiKey, lookupHash } from '@billing/api-keys';
import { createEvent, encodeEvent } from '@billing/contracts';
import { samplerFromEnv, setupLogging, type Tracing } from '@billing/service-kit';
import {
  createGatewayApp,
  LedgerStandIn,
  MeteringCatalogStandIn,
  SimulatedUpstreamServer,
} from '@billing/gateway';
import { createKeyedProducer, outboxBacklog } from '@billing/messaging';
import { uniqueName } from '@billing/testing';
import { benchInfraOptions, benchPool, createBenchTopics, installBenchTracing } from './support.js';

const SERVICE_TOKEN = 'bench-gateway-service-token-0123456789abcdef';
const PEPPER = 'bench-api-key-pepper-0123456789abcdef';
const role = process.argv[2];

function ready(payload: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ ready: payload })}\n`);
}

function onStop(stop: () => Promise<void>): void {
  process.stdin.resume();
  process.stdin.once('end', () => {
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}

if (role === 'upstream') {
  const upstream = new SimulatedUpstreamServer({ maxOutputTokens: 16_384 });
  upstream.record = false;
  ready({ baseUrl: await upstream.start() });
  onStop(() => upstream.stop());
} else if (role === 'ledger') {
  const ledger = new LedgerStandIn(SERVICE_TOKEN);
  ledger.record = false;
  ledger.defaultBalanceNanos = 10n ** 18n; // an account the bench can never exhaust
  ledger.setBalance('acct_bench_poor', '0'); // the admission bench's refused account
  ready({ url: await ledger.start() });
  onStop(() => ledger.stop());
} else if (role === 'gateway') {
  // The production logger, as `runService` sets it up: with LOG_LEVEL=info the bench pays for
  // the access line of every request (the parent reads this process's stdout line by line).
  setupLogging({ service: 'gateway' });
  // Tracing is switched on and off by the bench between runs (`GET /tracing/on|off` on the side
  // port): every span to an in-memory exporter behind the batching processor production uses,
  // the cost of tracing without a collector's network in the measurement.
  let tracing: Tracing | undefined;
  const switchTracing = async (on: boolean): Promise<void> => {
    if (on && tracing === undefined) {
      tracing = installBenchTracing('gateway', samplerFromEnv(process.env));
    } else if (!on && tracing !== undefined) {
      await tracing.shutdown();
      tracing = undefined;
    }
  };
  const ledgerUrl = process.argv[3];
  if (ledgerUrl === undefined) throw new Error('gateway role needs the ledger URL');
  const schema = uniqueName('gateway_bench').toLowerCase();
  const suffix = schema.slice('gateway_bench_'.length);
  const topics = {
    keys: `keys.v1.bench.${suffix}`,
    usageObserved: `usage.observed.v1.bench.${suffix}`,
  };
  const allTopics = [topics.keys, topics.usageObserved, `${topics.keys}.dlq`];
  const { kafka, remove: removeTopics } = await createBenchTopics(allTopics);
  const metering = new MeteringCatalogStandIn();
  await metering.start();
  const app = await createGatewayApp(
    {
      ...benchInfraOptions(),
      serviceToken: SERVICE_TOKEN,
      apiKeyPepper: PEPPER,
      ledgerUrl,
      meteringUrl: metering.url,
      schema,
      topics,
      keysConsumerName: `gateway-bench-${suffix}`,
      poolSize: 10,
    },
    ['error'],
  );
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  // Two keys, issued the way the keys service does it: ApiKeyCreated on the keys topic. The
  // second belongs to an account with no money (the admission bench's refused requests).
  const producer = createKeyedProducer(kafka);
  await producer.connect();
  const issue = async (apiKeyId: string, accountId: string): Promise<string> => {
    const { key, prefix } = generateApiKey();
    const event = createEvent({
      type: 'ApiKeyCreated',
      id: randomUUID(),
      accountId,
      source: 'keys',
      occurredAt: new Date(),
      data: {
        apiKeyId,
        name: 'bench',
        plan: 'payg',
        status: 'enabled',
        lookupHash: lookupHash(key, PEPPER),
        prefix,
      },
    });
    await producer.send({
      topic: topics.keys,
      messages: [{ key: event.accountId, value: encodeEvent(event) }],
    });
    return key;
  };
  const key = await issue('key_bench', 'acct_bench');
  const poorKey = await issue('key_bench_poor', 'acct_bench_poor');
  await producer.disconnect();
  const db = benchPool(2);
  for (let i = 0; ; i++) {
    const found = await db.query(
      `SELECT 1 FROM ${schema}.api_keys WHERE api_key_id IN ('key_bench', 'key_bench_poor')`,
    );
    if (found.rowCount === 2) break;
    if (i > 300) throw new Error('the bench key never reached the gateway');
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 200)); // the memory follows the table at commit
  // The gateway's own event-loop delay, on a side port: `GET /` answers the delay since the last
  // call (max and p99, ms) and starts a new window. What the admission bench compares with idle.
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // `GET /outbox` answers how many usage events its relay has not published yet (the bench waits
  // for none before reading this process's CPU time).
  const probe = http.createServer((req, res) => {
    if (req.url === '/tracing/on' || req.url === '/tracing/off') {
      switchTracing(req.url === '/tracing/on').then(
        () => res.end('{}'),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    if (req.url === '/outbox') {
      outboxBacklog(db, schema).then(
        (b) => res.end(JSON.stringify({ pending: b.messages })),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    const body = JSON.stringify({ max: delay.max / 1e6, p99: delay.percentile(99) / 1e6 });
    delay.reset();
    res.end(body);
  });
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  probe.unref();
  const delayUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/`;
  ready({ url, key, poorKey, delayUrl });
  onStop(async () => {
    const backlog = await outboxBacklog(db, schema);
    process.stderr.write(`gateway bench: ${backlog.messages} usage events not yet published\n`);
    await app.close();
    await metering.stop();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await db.end();
    await removeTopics();
  });
} else {
  console.error('usage: gateway-bench-server.ts upstream|ledger|gateway <ledger url>');
  process.exit(2);
}
