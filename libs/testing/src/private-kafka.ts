import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DEPLOY = new URL('../../../deploy/local/', import.meta.url).pathname;

/**
 * A secured broker of a test's own, started by `deploy/local/infra-up.sh` exactly as the shared
 * one is (SCRAM principals, ACLs, contract topics), on free ports and a temporary data directory.
 * Tests that must attack, stop or reconfigure a broker use one, never the shared broker.
 */
export interface PrivateKafka {
  readonly brokers: string[];
  readonly dataDir: string;
  /** Stops the broker (infra-down.sh) and removes its data directory. */
  stop(): Promise<void>;
}

/** Free TCP ports of 127.0.0.1, as the OS hands them out. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once('error', reject);
          server.listen(0, '127.0.0.1', () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const address = s.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    return address.port;
  });
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
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

/**
 * Starts a private secured broker. On a loaded 2-core machine this takes one to three minutes
 * (a JVM per topic and per ACL group): give the hook that calls it a timeout to match.
 */
export async function startPrivateKafka(timeoutMs = 300_000): Promise<PrivateKafka> {
  const dataDir = mkdtempSync(join(tmpdir(), 'billing-kafka-'));
  const [port = 0, controllerPort = 0] = await freePorts(2);
  const env = {
    INFRA_KAFKA_PORT: String(port),
    INFRA_KAFKA_CONTROLLER_PORT: String(controllerPort),
    INFRA_DATA_DIR: dataDir,
    INFRA_POSTGRES: '0',
  };
  const stop = async (): Promise<void> => {
    await run('infra-down.sh', env, 60_000).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await run('infra-up.sh', env, timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { brokers: [`127.0.0.1:${port}`], dataDir, stop };
}
