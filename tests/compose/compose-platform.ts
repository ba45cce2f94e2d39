import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { freePorts } from '@billing/testing';
import { parse } from 'yaml';
import {
  mintAccountToken,
  stripeTopUps,
  type CommandResult,
  type Platform,
  type PlatformUrls,
} from '../e2e/platform.js';

/**
 * docker-compose.yml brought up for real (npm run test:compose), seen as the end-to-end
 * scenario's `Platform`: the services' ports are published on 127.0.0.1 (free ports picked here),
 * payments on the provider asked for (the file's default, simulated, or the Stripe stand-in),
 * the secrets are the file's development placeholders, the ops CLI runs inside the ledger's
 * container, and a service is killed with `docker kill` (SIGKILL: a crash) and started again with
 * `docker compose start`. The images must exist (deploy/images/build.sh); nothing is built here.
 */

const ROOT = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

export const COMPOSE_SERVICES = ['gateway', 'keys', 'metering', 'ledger', 'payments'] as const;
export type ComposeServiceName = (typeof COMPOSE_SERVICES)[number];

export interface ComposePlatform extends Platform {
  /** The compose project, e.g. for `docker compose -p <project> logs`. */
  readonly project: string;
  /** The console server (apps/console-server), the front door, published on a free port. */
  readonly consoleUrl: string;
  /**
   * What the one-shot `demo` service printed (`export KEY=...`, `export ACCOUNT=...`), read
   * from `logs demo` once it has; fails if it exits without them. Not with `demo: false`.
   */
  demoExports(): Promise<DemoExports>;
  /** `run --rm demo`: the demo service once more, as a reader gets a new account token. */
  rerunDemo(): Promise<DemoExports>;
  /** `docker kill` of the service's container (SIGKILL by default); resolves once it is dead. */
  killService(name: ComposeServiceName, signal?: string): Promise<void>;
  /** Starts the killed container again; resolves once its /health answers. */
  startService(name: ComposeServiceName): Promise<void>;
  /** `docker compose down -v`: containers, network and named volumes. */
  down(): Promise<void>;
}

/** The two lines the `demo` service prints for the README's walkthrough. */
export interface DemoExports {
  readonly KEY: string;
  readonly ACCOUNT: string;
}

/** `export KEY=...` and `export ACCOUNT=...` in the demo's output (compose's log prefix or not). */
function exportsIn(output: string): DemoExports | undefined {
  const key = /^(?:.*\| )?export KEY=(\S+)\s*$/m.exec(output)?.[1];
  const account = /^(?:.*\| )?export ACCOUNT=(\S+)\s*$/m.exec(output)?.[1];
  return key === undefined || account === undefined ? undefined : { KEY: key, ACCOUNT: account };
}

export interface ComposeOptions {
  /** Compose project name (default llm-billing-test): its own containers, network, volumes. */
  readonly project?: string;
  /** How long to wait for every service's /health after `up -d`. */
  readonly startTimeoutMs?: number;
  /** PAYMENT_PROVIDER for payments; unset: the file's default (simulated). */
  readonly paymentProvider?: 'simulated' | 'stripe';
  /** Whether the one-shot `demo` runs (default true; on the stand-in its top-up is never paid). */
  readonly demo?: boolean;
}

/** `docker compose` where the plugin is there, else Debian's `docker-compose` (1.29); or $COMPOSE. */
export function composeCommand(): string[] {
  const configured = process.env.COMPOSE;
  if (configured !== undefined && configured !== '') return configured.split(/\s+/);
  const plugin = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' });
  return plugin.status === 0 ? ['docker', 'compose'] : ['docker-compose'];
}

interface ComposeFile {
  services: Record<string, { environment?: Record<string, string | number> }>;
}

export async function startComposePlatform(options: ComposeOptions = {}): Promise<ComposePlatform> {
  const project = options.project ?? 'llm-billing-test';
  const file = parse(readFileSync(`${ROOT}docker-compose.yml`, 'utf8'), {
    merge: true,
  }) as ComposeFile;
  const envOf = (service: string, name: string): string => {
    const value = file.services[service]?.environment?.[name];
    if (value === undefined) throw new Error(`docker-compose.yml: ${service} sets no ${name}`);
    return String(value);
  };
  const secrets = {
    admin: envOf('ledger', 'ADMIN_TOKEN'),
    console: envOf('ledger', 'CONSOLE_JWT_SECRET'),
    stripeKey: envOf('payments', 'STRIPE_SECRET_KEY'),
    webhook: envOf('payments', 'STRIPE_WEBHOOK_SECRET'),
  };

  const [gateway = 0, keys = 0, metering = 0, ledger = 0, payments = 0, stripe = 0, console = 0] =
    await freePorts(7);
  const ports = { gateway, keys, metering, ledger, payments, stripe, console };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COMPOSE_PROJECT_NAME: project,
    BIND_ADDRESS: '127.0.0.1',
    GATEWAY_PORT: String(ports.gateway),
    KEYS_PORT: String(ports.keys),
    METERING_PORT: String(ports.metering),
    LEDGER_PORT: String(ports.ledger),
    PAYMENTS_PORT: String(ports.payments),
    STRIPE_STAND_IN_PORT: String(ports.stripe),
    CONSOLE_PORT: String(ports.console),
    ...(options.paymentProvider === undefined ? {} : { PAYMENT_PROVIDER: options.paymentProvider }),
  };
  const services =
    options.demo === false ? Object.keys(file.services).filter((name) => name !== 'demo') : [];
  const [bin = 'docker-compose', ...pre] = composeCommand();
  const compose = async (args: string[], timeoutMs = 300_000): Promise<CommandResult> => {
    try {
      const { stdout, stderr } = await run(bin, [...pre, '-p', project, ...args], {
        cwd: ROOT,
        env,
        timeout: timeoutMs,
        maxBuffer: 64 * 1024 * 1024,
      });
      return { exitCode: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return {
        exitCode: typeof e.code === 'number' ? e.code : 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? String(err),
      };
    }
  };
  const must = async (args: string[], timeoutMs?: number): Promise<string> => {
    const r = await compose(args, timeoutMs);
    if (r.exitCode !== 0) {
      throw new Error(`compose ${args.join(' ')} failed (${r.exitCode}):\n${r.stderr}${r.stdout}`);
    }
    return r.stdout;
  };
  const containerOf = async (name: string): Promise<string> => {
    const id = (await must(['ps', '-q', name])).trim();
    if (id === '') throw new Error(`no container for ${name}`);
    return id;
  };
  const url = (port: number): string => `http://127.0.0.1:${port}`;
  const urls: PlatformUrls = {
    gateway: url(ports.gateway),
    keys: url(ports.keys),
    metering: url(ports.metering),
    ledger: url(ports.ledger),
    payments: url(ports.payments),
  };
  const logTail = (lines = 40): string => {
    const r = spawnSync(
      bin,
      [...pre, '-p', project, 'logs', '--no-color', '--tail', String(lines)],
      {
        cwd: ROOT,
        env,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    return `${r.stdout}${r.stderr}`;
  };
  const down = async (): Promise<void> => {
    await must(['down', '-v', '--remove-orphans'], 180_000);
  };
  const startTimeoutMs = options.startTimeoutMs ?? 360_000;

  try {
    // Health-gated start order is the file's own (depends_on conditions).
    await must(['up', '-d', '--no-build', ...services], startTimeoutMs);
    await Promise.all([
      waitUntil(
        `${url(ports.stripe)}/v1/checkout/sessions/cs_test_probe`,
        startTimeoutMs,
        () => true,
      ),
      ...COMPOSE_SERVICES.map((name) =>
        waitUntil(`${urls[name]}/health`, startTimeoutMs, (status) => status === 200),
      ),
      // Ready once the five are (its /health asks each one's /health/ready).
      waitUntil(`${url(ports.console)}/health`, startTimeoutMs, (status) => status === 200),
    ]);
    // A key disabled from here on must reach the gateway's cache within a second (the scenario
    // checks it): wait until its keys.v1 consumer has joined its group.
    const deadline = Date.now() + startTimeoutMs;
    while (!(await must(['logs', '--no-color', 'gateway'])).includes('consumer joined its group')) {
      if (Date.now() > deadline) throw new Error('gateway.keys did not join its consumer group');
      await sleep(500);
    }
  } catch (err) {
    const tail = logTail(60);
    await down().catch(() => undefined);
    throw new Error(
      `the compose platform did not start: ${err instanceof Error ? err.message : String(err)}\n${tail}`,
      { cause: err },
    );
  }

  const topUps = stripeTopUps({
    paymentsUrl: urls.payments,
    stripeUrl: url(ports.stripe),
    stripeSecretKey: secrets.stripeKey,
    webhookSecret: secrets.webhook,
    consoleJwtSecret: secrets.console,
  });
  const ops = (args: string[]): Promise<CommandResult> =>
    compose(['exec', '-T', 'ledger', 'node', 'tools/ops/dist/main.js', ...args], 120_000);

  const demoExports = async (): Promise<DemoExports> => {
    const deadline = Date.now() + startTimeoutMs;
    for (;;) {
      const logs = await must(['logs', '--no-color', 'demo']);
      const printed = exportsIn(logs);
      if (printed !== undefined) return printed;
      const state = (await must(['ps', '-a', 'demo'])).toLowerCase();
      if (/exit(ed)? ?\(?[1-9]/.test(state) || Date.now() > deadline) {
        throw new Error(`the demo service printed no KEY and ACCOUNT:\n${logs}\n${state}`);
      }
      await sleep(1_000);
    }
  };

  return {
    mode: 'distributed',
    project,
    consoleUrl: url(ports.console),
    demoExports,
    rerunDemo: async () => {
      const output = await must(['run', '--rm', '-T', 'demo'], 120_000);
      const printed = exportsIn(output);
      if (printed === undefined)
        throw new Error(`run --rm demo printed no KEY and ACCOUNT:\n${output}`);
      return printed;
    },
    urls,
    adminToken: secrets.admin,
    accountToken: (accountId, ttlSeconds) =>
      mintAccountToken(secrets.console, accountId, ttlSeconds),
    ...topUps,
    // docker-compose.yml configures no referral reward: the default, nothing is paid.
    referralReward: null,
    projectionsVerify: () => ops(['projections:verify', '--schema', 'ledger']),
    auditVerify: (accountId) =>
      ops(['audit:verify', '--schema', 'ledger', ...(accountId ? ['--account', accountId] : [])]),
    logTail,
    killService: async (name, signal = 'KILL') => {
      const id = await containerOf(name);
      const state = async (): Promise<string[]> =>
        (
          await run('docker', [
            'inspect',
            '--format',
            '{{.State.Running}} {{.State.StartedAt}}',
            id,
          ])
        ).stdout
          .trim()
          .split(' ');
      const [, startedAt] = await state();
      await run('docker', ['kill', '--signal', signal, id]);
      // Dead, or already started again by a restart policy (a new StartedAt).
      const deadline = Date.now() + 60_000;
      for (;;) {
        const [running, started] = await state();
        if (running === 'false' || started !== startedAt) return;
        if (Date.now() > deadline) throw new Error(`${name} still runs after docker kill`);
        await sleep(200);
      }
    },
    startService: async (name) => {
      await must(['start', name]);
      await waitUntil(`${urls[name]}/health`, startTimeoutMs, (status) => status === 200);
    },
    down,
  };
}

/** Polls `target` until `ok(status)`; a refused connection is "not yet". */
async function waitUntil(
  target: string,
  timeoutMs: number,
  ok: (status: number) => boolean,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(target, { signal: AbortSignal.timeout(2_000) }).catch(() => undefined);
    if (res !== undefined) {
      await res.body?.cancel();
      if (ok(res.status)) return;
    }
    if (Date.now() > deadline) throw new Error(`${target} is not up after ${timeoutMs} ms`);
    await sleep(500);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
