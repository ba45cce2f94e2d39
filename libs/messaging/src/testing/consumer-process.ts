/**
 * A consumer in its own process, for the kill -9 test (idempotent-consumer.int.spec.ts).
 * Run with: node --import @swc-node/register/esm-register consumer-process.ts
 *
 * Environment: DATABASE_URL, KAFKA_BROKERS, SCHEMA, TOPIC, GROUP, CHUNK_SIZE, and optionally
 * KILL_AFTER=N: once N messages are committed to the database, and before their offsets are
 * committed to Kafka, the process SIGKILLs itself (no cleanup, no LeaveGroup, no offset commit).
 * SIGTERM stops it gracefully.
 */
import { FAST_CONSUMER_TUNING, testKafka } from '@billing/testing';
import pg from 'pg';
import { IdempotentConsumer } from '../kafka/idempotent-consumer.js';
import { silentLogger } from '../internal/util.js';
import { decodeTestEvent, recordEffect, testEventId } from './fixtures.js';

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const schema = env('SCHEMA');
const group = env('GROUP');
const killAfter = process.env.KILL_AFTER ? Number(process.env.KILL_AFTER) : undefined;
const pool = new pg.Pool({ connectionString: env('DATABASE_URL'), max: 5 });
// KAFKA_BROKERS and the SASL variables, as the test runner's environment has them.
env('KAFKA_BROKERS');
const kafka = testKafka(`consumer-process-${process.pid}`);

let committed = 0;
const consumer = new IdempotentConsumer({
  ...FAST_CONSUMER_TUNING,
  kafka,
  consumerName: group,
  topics: [env('TOPIC')],
  pool,
  schema,
  decode: decodeTestEvent,
  messageId: testEventId,
  handler: recordEffect(schema, group),
  chunkSize: Number(process.env.CHUNK_SIZE ?? '10'),
  logger: silentLogger,
  hooks: {
    afterCommitBeforeOffset: (records) => {
      committed += records.length;
      if (killAfter !== undefined && committed >= killAfter) {
        process.stdout.write(`killing after ${committed}\n`);
        process.kill(process.pid, 'SIGKILL');
      }
    },
  },
});

process.on('SIGTERM', () => {
  void consumer
    .stop()
    .then(() => pool.end())
    .then(() => process.exit(0));
});

await consumer.start();
await consumer.ready();
process.stdout.write('joined\n');
