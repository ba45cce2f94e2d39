import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, freePorts, testDatabaseUrl, testKafkaServiceEnv } from '@billing/testing';

// The production build, as an image would ship it: the built dist/ folders and the package
// manifests copied into an empty folder (no src/, no tsconfig), `npm ci --omit=dev` there, and the
// services started with plain `node <workspace>/dist/main.js`: no TypeScript loader, no swc, no
// devDependency. A service runs against the real PostgreSQL and Kafka; the standalone app on its
// embedded database.

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = process.execPath;

let app: string;

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: process.env });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

/** Each workspace folder (libs/money, services/ledger, ...) named by the root package.json. */
function workspaceFolders(root: string): string[] {
  const globs = (
    JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] }
  ).workspaces;
  return globs.flatMap((glob) => {
    const parent = glob.replace(/\/\*$/, '');
    return readdirSync(join(root, parent))
      .map((name) => `${parent}/${name}`)
      .filter((dir) => existsSync(join(root, dir, 'package.json')));
  });
}

interface Started {
  child: ChildProcess;
  output: () => string;
}

/** The root package.json's scripts: the start:prod commands are what an image's CMD runs. */
const SCRIPTS = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;

/** V8's young generation capped, as every production start command runs Node (RUNBOOK.md). */
const RUNTIME_FLAGS = '--max-semi-space-size=16';

/** Starts what `npm run <script>` starts, with the Node this test runs on. */
function start(script: string, env: Record<string, string>): Started {
  const [node, ...args] = (SCRIPTS[script] ?? '').split(' ');
  expect(node).toBe('node');
  const child = spawn(NODE, args, { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

async function health(port: number, started: Started): Promise<unknown> {
  return eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    return res?.ok ? await res.json() : undefined;
  }, 60_000).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- output ---\n${started.output()}`);
  });
}

async function stop(started: Started): Promise<number | null> {
  if (started.child.exitCode !== null) return started.child.exitCode;
  const exited = once(started.child, 'exit');
  started.child.kill('SIGTERM');
  const [code] = (await exited) as [number | null];
  return code;
}

beforeAll(() => {
  run(NODE, ['tools/build/build.js'], ROOT);
  app = mkdtempSync(join(tmpdir(), 'billing-prod-'));
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  cpSync(join(ROOT, 'package-lock.json'), join(app, 'package-lock.json'));
  for (const folder of workspaceFolders(ROOT)) {
    cpSync(join(ROOT, folder, 'package.json'), join(app, folder, 'package.json'));
    const dist = join(ROOT, folder, 'dist');
    if (existsSync(dist)) cpSync(dist, join(app, folder, 'dist'), { recursive: true });
  }
  // The install an image makes: production dependencies only, no install scripts.
  run(
    'npm',
    ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'],
    app,
  );
}, 240_000);

afterAll(() => {
  if (app !== undefined) rmSync(app, { recursive: true, force: true });
});

describe('the production build with production dependencies only', () => {
  it('holds no TypeScript source and installs no devDependency (no swc loader)', () => {
    const sources = workspaceFolders(app).filter((folder) => existsSync(join(app, folder, 'src')));
    expect(sources).toEqual([]);
    // (typescript itself does install: @nestjs/swagger depends on it.)
    for (const dev of ['@swc-node/register', '@swc/core', '@swc/jest', 'jest', 'node']) {
      expect({ dev, installed: existsSync(join(app, 'node_modules', dev)) }).toEqual({
        dev,
        installed: false,
      });
    }
    // What does install: a workspace links to its folder, and the services' runtime libraries.
    expect(existsSync(join(app, 'node_modules/@billing/ledger/dist/main.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/@nestjs/core'))).toBe(true);
  });

  it("starts the ledger with `npm run start:prod:ledger`'s command against PostgreSQL and Kafka", async () => {
    const [port = 0] = await freePorts(1);
    const started = start('start:prod:ledger', {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: testDatabaseUrl(),
      ADMIN_TOKEN: 'test-admin-token-0123456789',
      CONSOLE_JWT_SECRET: 'test-console-jwt-secret-0123456789abcdef',
      SERVICE_TOKENS: 'gateway=test-gateway-service-token-0123456789abcdef',
      ...testKafkaServiceEnv('ledger'),
    });
    try {
      // Ready means the database, the broker and both consumers are up: the consumers joined
      // their groups on the real broker (a failing Kafka login would not).
      expect(await health(port, started)).toEqual({
        status: 'ok',
        service: 'ledger',
        checks: {
          database: 'up',
          broker: 'up',
          'consumer:ledger-payments': 'up',
          'consumer:ledger-usage': 'up',
        },
      });
    } finally {
      expect(await stop(started)).toBe(0);
    }
  }, 120_000);

  it("starts the standalone app with `npm run start:prod`'s command", async () => {
    const [port = 0] = await freePorts(1);
    const dataDir = mkdtempSync(join(tmpdir(), 'billing-prod-standalone-'));
    const started = start('start:prod', {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      HOST: '127.0.0.1',
      STANDALONE_DATA_DIR: dataDir,
    });
    try {
      const body = (await health(port, started)) as { status: string };
      expect(body.status).toBe('ok');
      // A route served by the built code: metering's public price catalog.
      const models = await fetch(`http://127.0.0.1:${port}/v1/models`);
      expect(models.status).toBe(200);
    } finally {
      expect(await stop(started)).toBe(0);
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);

  it('is what the start scripts run', () => {
    expect(SCRIPTS['start:prod']).toBe(`node ${RUNTIME_FLAGS} apps/standalone/dist/main.js`);
    for (const service of ['gateway', 'keys', 'metering', 'ledger', 'payments']) {
      const entry = `services/${service}/dist/main.js`;
      expect(SCRIPTS[`start:prod:${service}`]).toBe(`node ${RUNTIME_FLAGS} ${entry}`);
      expect(existsSync(join(app, entry))).toBe(true);
    }
    expect(SCRIPTS['ops:prod']).toBe('node tools/ops/dist/main.js');
    expect(existsSync(join(app, 'tools/ops/dist/main.js'))).toBe(true);
  });
});
