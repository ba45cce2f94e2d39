// The one-shot `kafka-init` of docker-compose.yml: creates the contract topics (topics.txt) and
// the per-service ACLs (acls.txt), the files deploy/local applies to the local broker, on a
// secured broker as its admin principal, in one connection (infra-up.sh starts a JVM per topic).
// Idempotent: existing topics are left alone, an existing ACL is added again as a no-op.
// The SCRAM principals themselves are formatted into the broker's storage (kafka-start.sh).
import { readFileSync } from 'node:fs';
import kafkajs from 'kafkajs';

const {
  Kafka,
  logLevel,
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  ResourcePatternTypes,
} = kafkajs;
const here = new URL('./', import.meta.url);
const rows = (file) =>
  readFileSync(new URL(file, here), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/));

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`kafka-init: ${name} is required`);
  return value;
};
const OPERATIONS = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
};
const RESOURCES = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP };
const acl = rows('acls.txt').map(([principal, operation, kind, name]) => {
  if (!(operation in OPERATIONS) || !(kind in RESOURCES) || !name) {
    throw new Error(`acls.txt: cannot read "${[principal, operation, kind, name].join(' ')}"`);
  }
  return {
    principal: `User:${principal}`,
    host: '*',
    operation: OPERATIONS[operation],
    permissionType: AclPermissionTypes.ALLOW,
    resourceType: RESOURCES[kind],
    resourceName: name,
    resourcePatternType: ResourcePatternTypes.LITERAL,
  };
});
const topics = rows('topics.txt').map(([topic]) => topic);

const kafka = new Kafka({
  clientId: 'kafka-init',
  brokers: env('KAFKA_BROKERS').split(','),
  logLevel: logLevel.WARN,
  sasl: {
    mechanism: (process.env.KAFKA_SASL_MECHANISM ?? 'scram-sha-512').toLowerCase(),
    username: env('KAFKA_SASL_USERNAME'),
    password: env('KAFKA_SASL_PASSWORD'),
  },
  // The broker may still be electing its controller: keep trying for about a minute.
  retry: { retries: 12, initialRetryTime: 500, maxRetryTime: 10_000 },
});
const admin = kafka.admin();
await admin.connect();
try {
  const created = await admin.createTopics({
    waitForLeaders: true,
    topics: topics.map((topic) => ({
      topic,
      numPartitions: Number(process.env.KAFKA_PARTITIONS ?? 6),
      replicationFactor: 1,
    })),
  });
  await admin.createAcls({ acl });
  console.log(
    `kafka-init: ${topics.length} topics (${created ? 'created' : 'already there'}), ${acl.length} ACLs`,
  );
} finally {
  await admin.disconnect();
}
