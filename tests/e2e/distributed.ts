import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOPICS } from '@billing/contracts';
import { freePorts, testDatabaseUrl, testKafkaServiceEnv } from '@billing/testing';
import { parseLogLine, type LogLine } from '@billing/service-kit';
import pg from 'pg';
import {
  E2E_REFERRAL_REWARD,
  mintAccountToken,
  stripeTopUps,
  type CommandResult,
  type Platform,
  type PlatformUrls,
  type PreparedTopUp,
} from './platform.js';

export type { PreparedTopUp } from './platform.js';

/**
 * The platform in its production shape: the five services and the Stripe stand-in, each its own
 * process started exactly as `npm run start:<service>` starts it (node with the swc loader on the
 * service's `main.ts`), on free ports, against the real Kafka broker and a database of their own.
 *
 * The database is created for this run (`e2e_<random>`) and dropped at the end, so every schema
 * starts empty: no balance, key or inbox row of an earlier run can make a step pass. The Kafka
 * topics are the contract's, shared with every other run; see `KNOWN_LIMITS` below.
 */

const ROOT = new URL('../../', import.meta.url).pathname;
/** The Node the project pins (package.json devDependency `node`), as the npm scripts use. */
const NODE = join(ROOT, 'node_modules/.bin/node');
const LOADER = ['--import', '@swc-node/register/esm-register'];

export const SERVICES = ['ledger', 'metering', 'keys', 'payments', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * Known limits of this harness, stated where they are decided:
 * - The services take no consumer group name from the environment (their options have
 *   `consumerGroupPrefix`/`*ConsumerName`, but `*OptionsFromEnv` never set them), so these
 *   processes join the fixed groups (`gateway.keys`, `keys.usage-recorded`,
 *   `metering.usage-observed`, `ledger-*`, `payments-*`). They resume from those groups' committed
 *   offsets, or replay the topics from the beginning where a group has none (other accounts'
 *   events: applied to this run's empty database, harmless but slower). Two runs at once, or any
 *   other process in those groups, would split the partitions between them and a run could miss
 *   its own events.
 */
export const KNOWN_LIMITS = 'fixed consumer group ids (no env override)';

/**
 * Those fixed groups, per service, with the contract topic each reads: the defaults of the
 * services' options (`keysConsumerName`, `usageConsumerName`, `consumerGroupPrefix`). A bench or
 * test that watches the groups (their lag, their members) reads them from here.
 */
export const CONSUMER_GROUPS: Readonly<
  Record<ServiceName, readonly { readonly groupId: string; readonly topic: string }[]>
> = {
  gateway: [{ groupId: 'gateway.keys', topic: TOPICS.keys }],
  keys: [{ groupId: 'keys.usage-recorded', topic: TOPICS.usageRecorded }],
  metering: [{ groupId: 'metering.usage-observed', topic: TOPICS.usageObserved }],
  ledger: [
    { groupId: 'ledger-payments', topic: TOPICS.payments },
    { groupId: 'ledger-usage', topic: TOPICS.usageRecorded },
  ],
  payments: [{ groupId: 'payments-balance-changed', topic: TOPICS.ledger }],
};

export interface DistributedPlatformOptions {
  /** How long to wait for every service's /health (a loaded 2-core machine compiles slowly). */
  readonly startTimeoutMs?: number;
  /** Extra environment for every service (e.g. `HOLD_TTL_SECONDS`). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Another broker than the shared one (a private broker of libs/testing, to stop and start):
   * it has the same SCRAM principals, so each service still logs in as itself.
   */
  readonly kafkaBrokers?: readonly string[];
  /**
   * The admin URL of another PostgreSQL server (a private cluster, to restart) on which the run's
   * database is created; by default the shared one.
   */
  readonly adminDatabaseUrl?: string;
  /**
   * Start each service from its production build with the command of `npm run
   * start:prod:<name>` (`node --max-semi-space-size=16 services/<name>/dist/main.js`, as the
   * images do) instead of its TypeScript sources through the swc loader. `npm run build` must have
   * run. The Stripe stand-in, a test tool, keeps the loader.
   */
  readonly fromBuild?: boolean;
}

export interface DistributedPlatform extends Platform {
  /** Where each process's stdout and stderr are written. */
  readonly logDir: string;
  readonly databaseUrl: string;
  /** Stops every process, drops the database, and removes the logs unless told to keep them. */
  stop(options?: { keepLogs?: boolean }): Promise<void>;
  /**
   * Kills one service (SIGKILL: a crash, nothing flushed) and starts it again with the same
   * environment; resolves once its /health answers.
   */
  restartService(name: ServiceName): Promise<void>;
  /**
   * Kills every running process of one service (SIGKILL by default) and resolves once they have
   * exited, without starting it again (see `startService`). Extra instances are not touched.
   */
  killService(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a service that was killed, with the same environment; resolves once /health answers. */
  startService(name: ServiceName): Promise<void>;
  /**
   * Starts another instance of a service (same environment, another port): it joins the same
   * consumer groups, so Kafka splits the partitions between the instances.
   */
  startInstance(name: ServiceName): Promise<ExtraInstance>;
  /**
   * The first half of `settleTopUp`: the top-up opened on payments and the signed
   * `checkout.session.completed` that settles it, not yet delivered (a test delivers it, and
   * delivers it again, as Stripe would).
   */
  prepareTopUp(accountId: string, amountUsd: string): Promise<PreparedTopUp>;
}

export interface ExtraInstance {
  readonly name: string;
  readonly url: string;
  /** Kills the instance (SIGKILL by default) and resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

interface RunningProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly logFile: string;
  exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export async function startDistributedPlatform(
  options: DistributedPlatformOptions = {},
): Promise<DistributedPlatform> {
  const logDir = mkdtempSync(join(tmpdir(), 'billing-e2e-'));
  const secrets = {
    ADMIN_TOKEN: `e2e-admin-${hex(16)}`,
    CONSOLE_JWT_SECRET: `e2e-console-jwt-${hex(24)}`,
    API_KEY_PEPPER: `e2e-pepper-${hex(24)}`,
    API_KEY_ENCRYPTION_KEY: hex(32),
    STRIPE_SECRET_KEY: `sk_test_e2e${hex(12)}`,
    STRIPE_WEBHOOK_SECRET: `whsec_e2e${hex(16)}`,
  };
  // The gateway's own credential: the ledger accepts it for holds, the keys service for key
  // lookups, and nothing else does.
  const gatewayServiceToken = `e2e-gateway-service-${hex(24)}`;
  const database = await createDatabase(options.adminDatabaseUrl ?? testDatabaseUrl());
  const processes: RunningProcess[] = [];
  const stop = async ({ keepLogs = true }: { keepLogs?: boolean } = {}): Promise<void> => {
    await stopAll(processes);
    process.off('exit', killOnExit);
    await database.drop();
    if (!keepLogs) rmSync(logDir, { recursive: true, force: true });
  };
  // If the test runner dies without running afterAll, do not leave six servers behind.
  const killOnExit = (): void => {
    for (const p of processes) if (p.exited === undefined) p.child.kill('SIGKILL');
  };
  process.on('exit', killOnExit);

  try {
    const [stripe = 0, gateway = 0, keys = 0, metering = 0, ledger = 0, payments = 0] =
      await freePorts(6);
    const ports = { stripe, gateway, keys, metering, ledger, payments };
    const url = (port: number): string => `http://127.0.0.1:${port}`;
    const urls: PlatformUrls = {
      gateway: url(ports.gateway),
      keys: url(ports.keys),
      metering: url(ports.metering),
      ledger: url(ports.ledger),
      payments: url(ports.payments),
    };
    const stripeUrl = url(ports.stripe);
    const webhookUrl = `${urls.payments}/webhooks/stripe`;

    const common: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? tmpdir(),
      NODE_ENV: 'test',
      // Plain log files: Nest colours its lines unless told not to.
      NO_COLOR: '1',
      DATABASE_URL: database.url,
      ...secrets,
      ...options.env,
    };
    const perService: Record<ServiceName, Record<string, string>> = {
      ledger: { PORT: String(ports.ledger), SERVICE_TOKENS: `gateway=${gatewayServiceToken}` },
      // The AI insurance evaluates every second, so the scenario sees its claim at once.
      metering: { PORT: String(ports.metering), INSURANCE_EVALUATE_EVERY_SECONDS: '1' },
      keys: { PORT: String(ports.keys), SERVICE_TOKENS: `gateway=${gatewayServiceToken}` },
      payments: {
        PORT: String(ports.payments),
        STRIPE_API_BASE: stripeUrl,
        REFERRAL_REWARD_PERCENT: E2E_REFERRAL_REWARD.percent,
        REFERRAL_REWARD_FIXED_USD: E2E_REFERRAL_REWARD.fixedUsd,
        REFERRAL_REWARD_CAP_USD: E2E_REFERRAL_REWARD.capUsd,
      },
      gateway: {
        PORT: String(ports.gateway),
        LEDGER_URL: urls.ledger,
        METERING_URL: urls.metering,
        KEYS_URL: urls.keys,
        SERVICE_TOKEN: gatewayServiceToken,
      },
    };

    const standIn = launch(
      'stripe-stand-in',
      'services/payments/src/testing/stripe-stand-in.main.ts',
      logDir,
      {
        PATH: common.PATH ?? '',
        HOME: common.HOME ?? '',
        STRIPE_SECRET_KEY: secrets.STRIPE_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET: secrets.STRIPE_WEBHOOK_SECRET,
        STRIPE_WEBHOOK_URL: webhookUrl,
        STRIPE_STAND_IN_PORT: String(ports.stripe),
      },
    );
    processes.push(standIn);
    const serviceEntry = options.fromBuild === true ? 'dist/main.js' : 'src/main.ts';
    if (options.fromBuild === true) {
      const missing = SERVICES.filter(
        (name) => !existsSync(join(ROOT, `services/${name}/dist/main.js`)),
      );
      if (missing.length > 0) {
        throw new Error(
          `no production build of ${missing.join(', ')}: run \`npm run build\` first`,
        );
      }
    }
    const envOf = (name: ServiceName): Record<string, string> => {
      const env: Record<string, string> = {
        ...common,
        // Each service as its own Kafka principal, so the broker's ACLs apply as in production.
        ...testKafkaServiceEnv(name),
        ...(options.kafkaBrokers === undefined
          ? {}
          : { KAFKA_BROKERS: options.kafkaBrokers.join(',') }),
        ...perService[name],
      };
      // The gateway is not given the operators' token: it has its own service credential.
      if (name === 'gateway') delete env.ADMIN_TOKEN;
      return env;
    };
    const services = SERVICES.map((name) => {
      const running = launch(name, `services/${name}/${serviceEntry}`, logDir, envOf(name));
      processes.push(running);
      return { name, running };
    });
    const kill = async (p: RunningProcess, signal: NodeJS.Signals): Promise<void> => {
      if (p.exited !== undefined) return;
      const exited = new Promise((resolve) => p.child.once('exit', resolve));
      p.child.kill(signal);
      await exited;
    };
    const killService = async (
      name: ServiceName,
      signal: NodeJS.Signals = 'SIGKILL',
    ): Promise<void> => {
      await Promise.all(
        processes
          .filter((p) => p.name === name && p.exited === undefined)
          .map((p) => kill(p, signal)),
      );
    };
    const startService = async (name: ServiceName): Promise<void> => {
      const running = launch(name, `services/${name}/${serviceEntry}`, logDir, envOf(name));
      processes.push(running);
      await waitUntilUp(running, `${urls[name]}/health`, options.startTimeoutMs ?? 90_000);
    };
    const restartService = async (name: ServiceName): Promise<void> => {
      await killService(name);
      await startService(name);
    };
    let instances = 1;
    const startInstance = async (name: ServiceName): Promise<ExtraInstance> => {
      const [port = 0] = await freePorts(1);
      const instanceName = `${name}-${++instances}`;
      const running = launch(instanceName, `services/${name}/${serviceEntry}`, logDir, {
        ...envOf(name),
        PORT: String(port),
      });
      processes.push(running);
      await waitUntilUp(running, `${url(port)}/health`, options.startTimeoutMs ?? 90_000);
      return {
        name: instanceName,
        url: url(port),
        kill: (signal: NodeJS.Signals = 'SIGKILL') => kill(running, signal),
      };
    };

    // Services start in parallel; each retries its Kafka subscription and the gateway its
    // catalog in the background, so /health (the database answers) is what "up" means here.
    const startTimeoutMs = options.startTimeoutMs ?? 90_000;
    await Promise.all([
      // The stand-in has no /health: any answer of its API (a 404 here) means it listens.
      waitUntilUp(standIn, `${stripeUrl}/v1/checkout/sessions/cs_test_probe`, startTimeoutMs),
      ...services.map(({ name, running }) =>
        waitUntilUp(running, `${urls[name]}/health`, startTimeoutMs),
      ),
    ]);
    // A key disabled from here on must reach the gateway's cache within a second: wait until its
    // keys.v1 consumer has joined its group, which takes up to the broker's session timeout
    // when an earlier gateway of the fixed group was killed (KNOWN_LIMITS).
    const gatewayProcess = services.find((s) => s.name === 'gateway')?.running;
    if (gatewayProcess !== undefined) {
      await waitForLog(
        gatewayProcess,
        (line) => line.context === 'gateway.keys' && line.msg === 'consumer joined its group',
        'gateway.keys: consumer joined its group',
        startTimeoutMs,
      );
    }

    const logTail = (lines = 40): string => tails(processes, lines);
    const { deliverStripeWebhook, prepareTopUp, settleTopUp } = stripeTopUps({
      paymentsUrl: urls.payments,
      stripeUrl,
      stripeSecretKey: secrets.STRIPE_SECRET_KEY,
      webhookSecret: secrets.STRIPE_WEBHOOK_SECRET,
      consoleJwtSecret: secrets.CONSOLE_JWT_SECRET,
    });

    const ops = async (args: string[]): Promise<CommandResult> =>
      runCommand([...LOADER, 'tools/ops/src/main.ts', ...args], {
        PATH: common.PATH ?? '',
        HOME: common.HOME ?? '',
        DATABASE_URL: database.url,
      });

    return {
      mode: 'distributed',
      urls,
      adminToken: secrets.ADMIN_TOKEN,
      logDir,
      databaseUrl: database.url,
      accountToken: (accountId, ttlSeconds) =>
        mintAccountToken(secrets.CONSOLE_JWT_SECRET, accountId, ttlSeconds),
      deliverStripeWebhook,
      settleTopUp,
      referralReward: E2E_REFERRAL_REWARD,
      projectionsVerify: () => ops(['projections:verify', '--schema', 'ledger']),
      auditVerify: (accountId) =>
        ops(['audit:verify', '--schema', 'ledger', ...(accountId ? ['--account', accountId] : [])]),
      logTail,
      stop,
      restartService,
      killService,
      startService,
      startInstance,
      prepareTopUp,
    };
  } catch (err) {
    // Stop first, so that every process has written its last words before they are read.
    await stop().catch(() => undefined);
    const detail = tails(processes, 60);
    throw new Error(
      `the distributed platform did not start: ${err instanceof Error ? err.message : String(err)}\n` +
        `logs in ${logDir}\n${detail}`,
      { cause: err },
    );
  }
}

// ---- processes ---------------------------------------------------------------------------------

function launch(
  name: string,
  entry: string,
  logDir: string,
  env: Record<string, string>,
): RunningProcess {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  // A built entry is plain JavaScript, started as in production: with the Node flags of its
  // `start:prod:<service>` script (the images' CMD), no loader.
  const args = entry.endsWith('.js') ? [...productionFlags(entry), entry] : [...LOADER, entry];
  const child = spawn(NODE, args, { cwd: ROOT, env, stdio: ['ignore', fd, fd] });
  closeSync(fd); // the child holds its own copy
  const running: RunningProcess = { name, child, logFile, exited: undefined };
  child.on('exit', (code, signal) => {
    running.exited = { code, signal };
  });
  return running;
}

/** The root package.json's `start:prod*` commands, split into words (read once). */
let startCommands: string[][] | undefined;

/** The Node flags the root package.json's start script of a built entry passes before it. */
function productionFlags(entry: string): string[] {
  startCommands ??= Object.entries(
    (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts,
  )
    .filter(([name]) => name.startsWith('start:prod'))
    .map(([, cmd]) => cmd.split(' '));
  const command = startCommands.find((argv) => argv.at(-1) === entry);
  if (command === undefined) throw new Error(`no start:prod script runs ${entry}`);
  return command.slice(1, -1);
}

/** Polls `url` until it answers (for /health: 200), failing at once if the process exits. */
async function waitUntilUp(p: RunningProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (p.exited) {
      throw new Error(`${p.name} exited (${p.exited.code ?? p.exited.signal}) while starting`);
    }
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (res !== undefined) {
      await res.body?.cancel();
      // /health answers 200 once the database answers; for the stand-in, any answer will do.
      if (res.ok || !url.endsWith('/health')) return;
    }
    if (Date.now() > deadline) {
      throw new Error(`${p.name} is not up at ${url} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Waits until the process's log (JSON lines) has a line `matches` (its start-up announced something). */
async function waitForLog(
  p: RunningProcess,
  matches: (line: LogLine) => boolean,
  text: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const logged = (): boolean =>
    readFileSync(p.logFile, 'utf8')
      .split('\n')
      .some((raw) => {
        const line = parseLogLine(raw);
        return line !== undefined && matches(line);
      });
  while (!logged()) {
    if (p.exited) throw new Error(`${p.name} exited while starting`);
    if (Date.now() > deadline) {
      throw new Error(`${p.name} did not log "${text}" within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function stopAll(processes: readonly RunningProcess[], graceMs = 10_000): Promise<void> {
  await Promise.all(
    processes.map(async (p) => {
      if (p.exited !== undefined) return;
      const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
      p.child.kill('SIGTERM');
      const timer = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }),
  );
}

function tails(processes: readonly RunningProcess[], lines: number): string {
  return processes
    .map((p) => {
      let text = '';
      try {
        text = readFileSync(p.logFile, 'utf8');
      } catch {
        text = '(no log)';
      }
      const tail = text
        .trimEnd()
        .split('\n')
        .filter((line) => !BOOT_NOISE.test(line))
        .slice(-lines)
        .join('\n');
      const state = p.exited ? ` (exited: ${p.exited.code ?? p.exited.signal})` : '';
      return `--- ${p.name}${state}: ${p.logFile}\n${tail}`;
    })
    .join('\n');
}

/** Nest's start-up lines (one per module and route): never the cause of a failure. */
const BOOT_NOISE = /\[(InstanceLoader|RoutesResolver|RouterExplorer)\]/;

function runCommand(args: string[], env: Record<string, string>): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (exitCode) => resolve({ exitCode, stdout, stderr }));
  });
}

// ---- the database ------------------------------------------------------------------------------

async function createDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `e2e_${hex(6)}`;
  const withAdmin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await withAdmin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    // FORCE: a process that ignored SIGTERM and was killed may leave a connection being torn down.
    drop: () => withAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
