import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs, { Kafka, logLevel, type AclEntry } from 'kafkajs';
import { localKafkaPrincipals, testKafkaSaslConfig } from './infra.js';
import { freePorts } from './ports.js';

// Node's ES module loader does not see these enums among kafkajs's CommonJS exports (processes
// started with the swc loader import this library too); the default export has them.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;

const DEPLOY = new URL('../../../deploy/local/', import.meta.url).pathname;

/**
 * A secured broker of a test's own, started by `deploy/local/infra-up.sh` as the shared one is
 * (SCRAM principals formatted into its storage), on free ports and a temporary data directory, with
 * the contract topics and the ACLs of the same files (topics.txt, kafka/acls.txt).
 * Tests that must attack, stop or reconfigure a broker use one, never the shared broker.
 */
export interface PrivateKafka {
  readonly brokers: string[];
  readonly dataDir: string;
  /** Stops the broker (infra-down.sh) and removes its data directory. */
  stop(): Promise<void>;
  /**
   * Stops the broker (infra-down.sh: SIGTERM, SIGKILL after 30 s) and keeps its data directory,
   * so that `resume()` brings the same broker back: a broker outage as its clients see it.
   */
  halt(): Promise<void>;
  /**
   * Starts the halted broker again on the same ports and data directory (infra-up.sh, which
   * finds the storage formatted and the topics and ACLs in it); resolves once it serves metadata.
   */
  resume(timeoutMs?: number): Promise<void>;
}

function run(script: string, env: Record<string, string>, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(DEPLOY, script)], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} failed (${signal ?? code}):\n${stderr}`));
    });
  });
}

/** The non-comment lines of a file of deploy/local, split into fields. */
function rows(file: string): string[][] {
  return readFileSync(join(DEPLOY, file), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => line.split(/\s+/));
}

const OPERATIONS: Record<string, kafkajs.AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
};
const RESOURCES: Record<string, kafkajs.AclResourceTypes> = {
  topic: AclResourceTypes.TOPIC,
  group: AclResourceTypes.GROUP,
};

/**
 * The contract topics (topics.txt) and the ACLs (kafka/acls.txt) on a broker, as the admin: what
 * infra-up.sh does with one JVM per topic and per ACL group, in one connection.
 */
async function provision(brokers: string[]): Promise<void> {
  const password = localKafkaPrincipals().get('admin') ?? '';
  const kafka = new Kafka({
    clientId: 'private-kafka-provision',
    brokers,
    logLevel: logLevel.NOTHING,
    ...testKafkaSaslConfig({ sasl: { mechanism: 'scram-sha-512', username: 'admin', password } }),
  });
  const acl: AclEntry[] = rows('kafka/acls.txt').map(([principal, operation, kind, name]) => {
    const op = OPERATIONS[operation ?? ''];
    const resourceType = RESOURCES[kind ?? ''];
    if (op === undefined || resourceType === undefined || name === undefined) {
      throw new Error(`acls.txt: cannot read "${[principal, operation, kind, name].join(' ')}"`);
    }
    return {
      principal: `User:${principal}`,
      host: '*',
      operation: op,
      permissionType: AclPermissionTypes.ALLOW,
      resourceType,
      resourceName: name,
      resourcePatternType: ResourcePatternTypes.LITERAL,
    };
  });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: rows('topics.txt').map(([topic = '']) => ({
        topic,
        numPartitions: 6,
        replicationFactor: 1,
      })),
    });
    await admin.createAcls({ acl });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts a private secured broker. On a loaded 2-core machine this takes one to three minutes
 * (mostly the broker's own start): give the hook that calls it a timeout to match.
 */
export async function startPrivateKafka(timeoutMs = 300_000): Promise<PrivateKafka> {
  const dataDir = mkdtempSync(join(tmpdir(), 'billing-kafka-'));
  const [port = 0, controllerPort = 0] = await freePorts(2);
  const env = {
    INFRA_KAFKA_PORT: String(port),
    INFRA_KAFKA_CONTROLLER_PORT: String(controllerPort),
    INFRA_DATA_DIR: dataDir,
    INFRA_POSTGRES: '0',
    INFRA_KAFKA_PROVISION: '0',
  };
  const stop = async (): Promise<void> => {
    await run('infra-down.sh', env, 60_000).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const halt = async (): Promise<void> => {
    await run('infra-down.sh', env, 60_000);
  };
  const resume = async (resumeTimeoutMs = timeoutMs): Promise<void> => {
    await run('infra-up.sh', env, resumeTimeoutMs);
  };
  const brokers = [`127.0.0.1:${port}`];
  try {
    await run('infra-up.sh', env, timeoutMs);
    await provision(brokers);
  } catch (err) {
    await stop();
    throw err;
  }
  return { brokers, dataDir, stop, halt, resume };
}
