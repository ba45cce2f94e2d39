import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { MeteringCatalogStandIn } from '@billing/gateway';
import { testDatabaseUrl, testKafkaServiceEnv, eventually } from '@billing/testing';

// Each service runs as its own process, exactly as `npm run start:<service>` starts it, against
// the real PostgreSQL. A service with a broken environment must refuse to start and say why.

const root = new URL('..', import.meta.url).pathname;
const node = process.execPath;
const baseEnv = {
  PATH: process.env.PATH ?? '',
  NODE_ENV: 'test',
  DATABASE_URL: testDatabaseUrl(),
  ADMIN_TOKEN: 'test-admin-token-0123456789',
  CONSOLE_JWT_SECRET: 'test-console-jwt-secret-0123456789abcdef',
  API_KEY_PEPPER: 'test-api-key-pepper-0123456789abcdef0123',
  API_KEY_ENCRYPTION_KEY: '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
  STRIPE_SECRET_KEY: 'sk_test_0123456789',
  STRIPE_WEBHOOK_SECRET: 'whsec_0123456789',
  SERVICE_TOKEN: 'test-gateway-service-token-0123456789abcdef',
  SERVICE_TOKENS: 'gateway=test-gateway-service-token-0123456789abcdef',
  // The gateway's peers; nothing needs to answer there for it to boot and report health, but
  // metering's catalog (a stand-in answers it in the test that waits for the gateway's health).
  LEDGER_URL: 'http://127.0.0.1:18083',
  KEYS_URL: 'http://127.0.0.1:18081',
  METERING_URL: 'http://127.0.0.1:18082',
};

function startService(
  name: string,
  env: Record<string, string>,
): { child: ChildProcess; output: () => string } {
  const child = spawn(
    node,
    ['--import', '@swc-node/register/esm-register', `services/${name}/src/main.ts`],
    {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return { child, output: () => out };
}

const ports: Record<string, number> = {
  gateway: 18080,
  keys: 18081,
  metering: 18082,
  ledger: 18083,
  payments: 18084,
};

describe.each(Object.entries(ports))('the %s service', (name, port) => {
  it('boots and answers /health with the database up', async () => {
    // The gateway is ready once it holds metering's price catalog.
    const metering = name === 'gateway' ? new MeteringCatalogStandIn() : undefined;
    await metering?.start();
    const { child, output } = startService(name, {
      ...baseEnv,
      ...testKafkaServiceEnv(name),
      ...(metering !== undefined && { METERING_URL: metering.url }),
      PORT: String(port),
    });
    try {
      const body = await eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        return res?.ok ? await res.json() : undefined;
        // A cold start compiles the service's sources on the fly: seconds when the machine is
        // quiet, tens of seconds when it runs other suites beside this one.
      }, 60_000).catch((err: unknown) => {
        throw new Error(`${String(err)}\n--- service output ---\n${output()}`);
      });
      // `/health` is readiness: the database, where the service uses Kafka its broker and each
      // consumer, and for the gateway its catalog, all up.
      const health = body as { status: string; service: string; checks: Record<string, string> };
      expect(health).toMatchObject({ status: 'ok', service: name, checks: { database: 'up' } });
      expect(
        Object.entries(health.checks).filter(
          ([check, state]) =>
            state !== 'up' || !/^(database|broker|consumer:.+|catalog)$/.test(check),
        ),
      ).toEqual([]);
      const metrics = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(await metrics.text()).toContain(`service="${name}"`);
      expect(health.checks.catalog).toBe(name === 'gateway' ? 'up' : undefined);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await metering?.stop();
    }
  }, 75_000);

  it('refuses to start without DATABASE_URL, naming it and exiting non-zero', async () => {
    const { DATABASE_URL: _omitted, ...env } = baseEnv;
    const { child, output } = startService(name, {
      ...env,
      ...testKafkaServiceEnv(name),
      PORT: String(port),
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(output()).toContain(`${name}: refusing to start`);
    expect(output()).toContain('DATABASE_URL');
  }, 40_000);
});

describe('the payments service with a bad credit expiry policy', () => {
  it.each([
    ['BONUS_LIFETIME_DAYS', '0'],
    ['GIFT_LIFETIME_DAYS', 'P90D'],
  ])(
    'refuses to start with %s=%s, naming the variable and exiting non-zero',
    async (variable, value) => {
      const { child, output } = startService('payments', {
        ...baseEnv,
        ...testKafkaServiceEnv('payments'),
        PORT: String(ports.payments),
        [variable]: value,
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(1);
      expect(output()).toContain('payments: refusing to start');
      expect(output()).toContain(variable);
    },
    40_000,
  );
});
