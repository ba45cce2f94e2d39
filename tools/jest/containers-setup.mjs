// TEST_INFRA=containers: the tests' PostgreSQL and Kafka run in containers (testcontainers, on the
// images of deploy/images: `bash deploy/images/build.sh postgres kafka kafka-init` first) instead
// of the machine's own (`npm run infra:up`, the default, which needs no Docker). Started once per
// Jest run; the tests find them through the variables the native path sets too (DATABASE_URL,
// KAFKA_BROKERS, KAFKA_SASL_*), and libs/testing reads nothing else.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const DEPLOY = new URL('../../deploy/local/', import.meta.url).pathname;
const TAG = process.env.IMAGE_TAG ?? 'dev';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export default async function startContainers() {
  if (process.env.TEST_INFRA !== 'containers') return;
  // Ryuk (the reaper of containers left by a dead run) is an image from Docker Hub, which is not
  // reachable everywhere; the teardown stops ours.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const { GenericContainer, Wait } = await import('testcontainers');
  const principals = `${DEPLOY}kafka/principals.txt`;
  const adminPassword = readFileSync(principals, 'utf8')
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find(([name]) => name === 'admin')?.[1];
  if (!adminPassword) throw new Error(`no admin principal in ${principals}`);

  // The broker advertises the host's side of its port, so it is fixed before the start.
  const kafkaPort = await freePort();
  const [postgres, kafka] = await Promise.all([
    new GenericContainer(`llm-billing/postgres:${TAG}`)
      .withEnvironment({ POSTGRES_PASSWORD: 'postgres', POSTGRES_DB: 'billing_test' })
      .withExposedPorts(5432)
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(120_000)
      .start(),
    new GenericContainer(`llm-billing/kafka:${TAG}`)
      .withEnvironment({
        KAFKA_ADVERTISED_LISTENER: `127.0.0.1:${kafkaPort}`,
        KAFKA_PRINCIPALS_FILE: '/run/kafka/principals.txt',
      })
      .withCopyFilesToContainer([
        { source: principals, target: '/run/kafka/principals.txt', mode: 0o644 },
      ])
      .withExposedPorts({ container: 9092, host: kafkaPort })
      .withWaitStrategy(Wait.forHealthCheck())
      .withStartupTimeout(180_000)
      .start(),
  ]);
  globalThis.__billingContainers = [postgres, kafka];
  const brokers = `127.0.0.1:${kafkaPort}`;
  // The topics and ACLs, as docker-compose.yml's kafka-init does (host network: the broker's
  // advertised address is the host's).
  const init = await new GenericContainer(`llm-billing/kafka-init:${TAG}`)
    .withNetworkMode('host')
    .withEnvironment({
      KAFKA_BROKERS: brokers,
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'admin',
      KAFKA_SASL_PASSWORD: adminPassword,
    })
    .withWaitStrategy(Wait.forOneShotStartup())
    .withStartupTimeout(120_000)
    .start();
  await init.stop();

  process.env.DATABASE_URL = `postgres://postgres:postgres@${postgres.getHost()}:${postgres.getMappedPort(5432)}/billing_test`;
  process.env.KAFKA_BROKERS = brokers;
  process.env.KAFKA_SASL_MECHANISM = 'scram-sha-512';
  process.env.KAFKA_SASL_USERNAME = 'admin';
  process.env.KAFKA_SASL_PASSWORD = adminPassword;
  process.stdout.write(
    `\ntest infrastructure in containers: PostgreSQL ${process.env.DATABASE_URL.replace(/:[^:@/]*@/, ':***@')}, Kafka ${brokers}\n`,
  );
}
