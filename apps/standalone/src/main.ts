import 'reflect-metadata';
import { parseUpstreamProviders, type UpstreamProvider } from '@billing/gateway';
import { setupLogging, startTracing } from '@billing/service-kit';
import { Logger } from '@nestjs/common';
import { join } from 'node:path';
import { banner } from './banner.js';
import {
  loadStandaloneConfig,
  REPO_ROOT,
  StandaloneConfigError,
  type StandaloneConfig,
} from './config.js';
import { mintAccountToken } from './console/account-token.js';
import { ConsoleAssets } from './console/console-assets.js';
import { ConsoleFront } from './console/console-front.js';
import { SignInCodes } from './console/sign-in-codes.js';
import { DataDir, loadSecrets, type LoadedSecrets } from './data-dir.js';
import { ensureDemo } from './demo.js';
import { EmbeddedPostgres } from './embedded-postgres/embedded-postgres.js';
import { FrontServer } from './front-server.js';
import { MAX_CONNECTIONS, Platform } from './platform.js';
import { loadServiceSettings, type ServiceSettings } from './service-settings.js';

/**
 * `npm start`: the whole platform in one process. See README.md beside this folder.
 *
 * 1. the data folder (locked for this process) and its secrets;
 * 2. PGlite on a local socket;
 * 3. the one HTTP port (503 for a service until it has started);
 * 4. the five services, sharing an in-process bus;
 * 5. the demo account, then the banner.
 *
 * SIGINT/SIGTERM stop it in the reverse order.
 */

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let config: StandaloneConfig;
let settings: ServiceSettings;
try {
  config = loadStandaloneConfig(process.env, process.stdout.isTTY === true);
  settings = loadServiceSettings(process.env);
} catch (err) {
  if (err instanceof StandaloneConfigError) fail(err.message);
  throw err;
}

// One JSON line per event for all five services (pretty on a terminal); Nest's start-up lines
// only with STANDALONE_VERBOSE=1. Each line written while a request is handled names the service
// that handles it; the banner is the only place the standalone mode shows secrets.
const logger = setupLogging({ service: 'standalone', frameworkLines: config.verbose });
const log = new Logger('Standalone');
// Spans over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set; nothing started otherwise. The five
// services share the process, so they share its `service.name`; each server span names its own.
startTracing('standalone');

const dir = new DataDir(config.dataDir);
let upstreams: ReadonlyMap<string, UpstreamProvider> = new Map();
let secrets: LoadedSecrets;
try {
  dir.lock();
  secrets = loadSecrets(dir, process.env);
  if (config.upstreamProviders !== undefined) {
    const parsed = parseUpstreamProviders(config.upstreamProviders, process.env);
    if (!parsed.ok)
      throw new StandaloneConfigError(parsed.problems.map((p) => `UPSTREAM_PROVIDERS: ${p}`));
    upstreams = parsed.providers;
  }
} catch (err) {
  dir.unlock();
  if (err instanceof StandaloneConfigError) fail(err.message);
  throw err;
}
if (secrets.generated.length > 0) {
  log.log(`generated ${secrets.generated.join(', ')} into ${dir.secretsFile} (mode 0600)`);
}
if (secrets.fromEnvironment.length > 0) {
  log.log(`taking ${secrets.fromEnvironment.join(', ')} from the environment`);
}

/**
 * A console session is a working day: the token the sign-in link is exchanged for lives 8 hours
 * (account tokens may live at most CONSOLE_JWT_MAX_LIFETIME_SECONDS, 24 hours by default).
 */
const CONSOLE_SESSION_SECONDS = 8 * 3600;

let database: EmbeddedPostgres | undefined;
let platform: Platform | undefined;
// The console's built files (`npm start` builds them first when they are missing or stale:
// tools/build/console.js); without them `/` says how to build them and the API works all the same.
const consoleAssets = ConsoleAssets.load(join(REPO_ROOT, 'apps/console/dist'));
if (consoleAssets === undefined) log.warn('the console is not built (npm run console:build)');
const signInCodes = new SignInCodes();
const consoleSecret = secrets.secrets.CONSOLE_JWT_SECRET;
const front = new FrontServer({
  console: new ConsoleFront({
    assets: consoleAssets,
    codes: signInCodes,
    mintToken: (accountId) => mintAccountToken(consoleSecret, accountId, CONSOLE_SESSION_SECONDS),
    operatorSession: (role) => ({
      token: role === 'admin' ? secrets.secrets.ADMIN_TOKEN : secrets.secrets.AUDITOR_TOKEN,
      expiresAt: new Date(Date.now() + CONSOLE_SESSION_SECONDS * 1000).toISOString(),
    }),
    settings: () => platform?.consoleSettings(),
  }),
  health: () =>
    platform?.health() ??
    Promise.resolve({ ok: false, body: { status: 'starting', service: 'standalone', checks: {} } }),
  metrics: () => platform?.metrics() ?? Promise.resolve({ contentType: 'text/plain', text: '' }),
  openApi: () => platform?.openApi() ?? Promise.reject(new Error('starting')),
});

/** A stop that hangs (a stuck transaction) must not keep the terminal: exit after this. */
const STOP_TIMEOUT_MS = 30_000;

let stopping: Promise<void> | undefined;
async function stop(): Promise<void> {
  const watchdog = setTimeout(() => {
    log.error(
      `did not stop within ${STOP_TIMEOUT_MS / 1000} s; exiting (PGlite recovers at the next start)`,
    );
    dir.unlock();
    process.exit(1);
  }, STOP_TIMEOUT_MS);
  watchdog.unref();
  await front.close();
  await platform?.stop();
  await database?.stop();
  dir.unlock();
  clearTimeout(watchdog);
  log.log('stopped');
}

async function start(): Promise<void> {
  const pgStarted = Date.now();
  database = await EmbeddedPostgres.start({
    dataDir: dir.pglite,
    socketDir: dir.socketDir,
    maxConnections: MAX_CONNECTIONS,
  });
  log.log(
    `embedded PostgreSQL (PGlite) on ${database.address}, ready in ${Date.now() - pgStarted} ms`,
  );

  let port: number;
  try {
    port = await front.listen(config.port, config.host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new StandaloneConfigError([
        `port ${config.port} on ${config.host} is in use (another npm start?); set PORT to a free port`,
      ]);
    }
    throw err;
  }
  const loopback = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(config.host);
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const selfUrl = `http://${loopback ? '127.0.0.1' : hostForUrl}:${port}`;
  const baseUrl = `http://${loopback ? 'localhost' : hostForUrl}:${port}`;

  platform = new Platform({
    databaseUrl: database.url,
    selfUrl,
    secrets: secrets.secrets,
    nodeEnv: config.nodeEnv,
    upstreams,
    holdTtlSeconds: config.holdTtlSeconds,
    insuranceEvaluateEverySeconds: config.insuranceEvaluateEverySeconds,
    settings,
    consoleUrl: baseUrl,
    logger,
    onReady: (service, handler) => front.serve(service, handler),
  });
  await platform.start();
  log.log(`five services on ${baseUrl}`);

  const demo = await ensureDemo(selfUrl, secrets.secrets, dir);
  process.stdout.write(
    banner({
      baseUrl,
      demo,
      signInUrl: `${baseUrl}/sign-in?code=${signInCodes.issue(demo.accountId).code}`,
      operatorSignInUrl: `${baseUrl}/sign-in?code=${signInCodes.issueOperator('admin').code}`,
      auditorSignInUrl: `${baseUrl}/sign-in?code=${signInCodes.issueOperator('auditor').code}`,
      adminToken: secrets.secrets.ADMIN_TOKEN,
      auditorToken: secrets.secrets.AUDITOR_TOKEN,
      showSecrets: config.showSecrets,
      dataDir: dir.path,
      seconds: process.uptime(),
    }),
  );
}

const starting = start();

function onSignal(signal: NodeJS.Signals): void {
  if (stopping !== undefined) {
    log.warn(`${signal} again: exiting without waiting`);
    process.exit(130);
  }
  log.log(`${signal}: stopping`);
  stopping = starting
    .catch(() => undefined)
    .then(stop)
    .then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(
          `stopping failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
        process.exit(1);
      },
    );
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

starting.catch(async (err: unknown) => {
  if (stopping !== undefined) return;
  stopping = Promise.resolve();
  if (err instanceof StandaloneConfigError) console.error(err.message);
  else
    log.error(`start failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await stop().catch(() => undefined);
  process.exit(1);
});
