import { existsSync, readFileSync } from 'node:fs';
import {
  CONSOLE_SERVER_VARIABLES,
  loadConsoleServerEnv,
  SERVICE_URL_VARIABLES,
} from '../apps/console-server/src/config.js';
import { compose, environmentOf, interpolated } from './compose-file.js';
import { loadLedgerEnv } from './ledger/src/config.js';
import { knownVariables, SERVICE_CONFIGS as services } from './service-configs.js';

// Keeps docker-compose.yml honest without a Docker engine (npm run test:compose runs it for
// real): every service it names exists, every variable it sets is one the service's configuration
// reads and accepts, each runs the image target of deploy/images/Dockerfile whose command is the
// service's `start:prod:<name>` script, and nothing clashes with the host's own PostgreSQL and
// Kafka. A renamed variable or a new required one fails here, not on someone's laptop.

const rootPackage = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as {
  scripts: Record<string, string>;
};
const dockerfile = readFileSync(new URL('../deploy/images/Dockerfile', import.meta.url), 'utf8');
const INFRASTRUCTURE = ['postgres', 'kafka', 'kafka-init', 'stripe-stand-in'];
/** The one-shots and the front door, besides the five services. */
const APPS = ['console', 'demo'];
/** Each service's default host port: its own, but the gateway's 8080 is the front door's. */
const PUBLISHED: Record<string, string> = { gateway: '8085' };

/** The exec-form CMD of one target (`FROM runtime AS <target>` up to the next FROM). */
function targetCommand(target: string): string[] | undefined {
  const stages = dockerfile.split(/^FROM /m);
  const stage = stages.find((s) => new RegExp(`^\\S+ AS ${target}\\s*$`, 'm').test(s));
  const cmd = stage?.match(/^CMD (\[.*\])\s*$/m)?.[1];
  return cmd === undefined ? undefined : (JSON.parse(cmd) as string[]);
}

describe('docker-compose.yml', () => {
  it('runs each of the five services, and only those, besides the infrastructure and the console', () => {
    const names = Object.keys(compose.services).filter(
      (n) => !INFRASTRUCTURE.includes(n) && !APPS.includes(n),
    );
    expect(names.sort()).toEqual(Object.keys(services).sort());
  });

  describe.each(Object.entries(services))('%s', (name, { cls, load }) => {
    const service = compose.services[name];

    it('runs its image target, whose command is the start:prod script of package.json', () => {
      expect(service?.build?.dockerfile).toBe('deploy/images/Dockerfile');
      expect(service?.build?.target).toBe(name);
      expect(service?.command).toBeUndefined();
      expect(targetCommand(name)?.join(' ')).toBe(rootPackage.scripts[`start:prod:${name}`]);
    });

    it('starts once PostgreSQL is healthy and the topics and ACLs exist', () => {
      expect(service?.depends_on).toEqual({
        postgres: { condition: 'service_healthy' },
        'kafka-init': { condition: 'service_completed_successfully' },
      });
    });

    it('publishes its port on the configurable bind address (127.0.0.1) only', () => {
      const port = String(service?.environment?.PORT);
      expect(service?.ports).toEqual([
        `\${BIND_ADDRESS:-127.0.0.1}:\${${name.toUpperCase()}_PORT:-${PUBLISHED[name] ?? port}}:${port}`,
      ]);
    });

    it('sets only variables that the configuration knows', () => {
      const known = knownVariables(cls);
      const unknown = Object.keys(service?.environment ?? {}).filter((v) => !known.has(v));
      expect(unknown).toEqual([]);
    });

    it('sets every variable the configuration requires, with acceptable values', () => {
      expect(() => load(environmentOf(service))).not.toThrow();
    });
  });

  describe('console (apps/console-server)', () => {
    const consoleService = compose.services.console;
    const env = environmentOf(consoleService);

    it('runs its image target, whose command is the start:prod:console script', () => {
      expect(consoleService?.build?.target).toBe('console');
      expect(consoleService?.command).toBeUndefined();
      expect(targetCommand('console')?.join(' ')).toBe(rootPackage.scripts['start:prod:console']);
    });

    it('starts once the five services it passes requests to are healthy', () => {
      expect(consoleService?.depends_on).toEqual(
        Object.fromEntries(
          Object.keys(services).map((name) => [name, { condition: 'service_healthy' }]),
        ),
      );
    });

    it("is the front door: published on the README's http://localhost:8080, on the configurable bind address only", () => {
      expect(consoleService?.ports).toEqual([
        `\${BIND_ADDRESS:-127.0.0.1}:\${CONSOLE_PORT:-8080}:${env.CONSOLE_PORT}`,
      ]);
      const published = Object.values(compose.services).flatMap((s) =>
        (s.ports ?? []).map((p) => interpolated(p).split(':')[1]),
      );
      expect(published.filter((p) => p === '8080')).toHaveLength(1);
    });

    it("points at each service's own port, sets only variables it reads, and loads", () => {
      for (const [name, variable] of Object.entries(SERVICE_URL_VARIABLES)) {
        const port = String(compose.services[name]?.environment?.PORT);
        expect(env[variable]).toBe(`http://${name}:${port}`);
      }
      expect(Object.keys(env).filter((v) => !CONSOLE_SERVER_VARIABLES.includes(v))).toEqual([]);
      expect(() => loadConsoleServerEnv(env)).not.toThrow();
    });

    it('shows the bonus rate payments credits', () => {
      expect(env.BONUS_RATE).toBe(String(compose.services.payments?.environment?.BONUS_RATE));
    });
  });

  describe('demo (apps/standalone/src/demo.main.ts)', () => {
    const demo = compose.services.demo;
    const env = environmentOf(demo);
    const ledger = environmentOf(compose.services.ledger);

    it("runs the demo entry point, built into the console's image, once the front door is ready", () => {
      expect(demo?.image).toBe(compose.services.console?.image);
      expect(demo?.build?.target).toBe('console');
      expect(demo?.command).toEqual(['node', 'apps/standalone/dist/demo.main.js']);
      expect(existsSync(new URL('../apps/standalone/src/demo.main.ts', import.meta.url))).toBe(
        true,
      );
      expect(demo?.depends_on).toEqual({ console: { condition: 'service_healthy' } });
    });

    it("seeds through the console server with the services' admin token and signs with their JWT secret", () => {
      const consolePort = environmentOf(compose.services.console).CONSOLE_PORT;
      expect(env.PLATFORM_URL).toBe(`http://console:${consolePort}`);
      expect(env.ADMIN_TOKEN).toBe(ledger.ADMIN_TOKEN);
      expect(env.CONSOLE_JWT_SECRET).toBe(ledger.CONSOLE_JWT_SECRET);
      expect(env.DEMO_PUBLIC_URL).toBe('http://localhost:8080');
      expect(demo?.ports).toBeUndefined();
    });
  });

  it('settles top-ups with the simulated provider unless PAYMENT_PROVIDER says stripe', () => {
    expect(compose.services.payments?.environment?.PAYMENT_PROVIDER).toBe(
      '${PAYMENT_PROVIDER:-simulated}',
    );
    expect(environmentOf(compose.services.payments).NODE_ENV).not.toBe('production');
  });

  it('publishes no PostgreSQL or Kafka port (the host may run its own on 5432 and 9092)', () => {
    expect(compose.services.postgres?.ports).toBeUndefined();
    expect(compose.services.kafka?.ports).toBeUndefined();
  });

  it('keeps the data in named volumes', () => {
    expect(Object.keys(compose.volumes ?? {}).sort()).toEqual(['kafka-data', 'postgres-data']);
    expect(compose.services.postgres?.volumes).toContain('postgres-data:/var/lib/postgresql/data');
    expect(compose.services.kafka?.volumes).toContain('kafka-data:/var/lib/kafka');
  });

  it('points payments at the Stripe stand-in, which signs its webhooks with the same secret', () => {
    const payments = compose.services.payments?.environment ?? {};
    const standIn = compose.services['stripe-stand-in']?.environment ?? {};
    expect(payments.STRIPE_API_BASE).toBe('http://stripe-stand-in:12111');
    expect(standIn.STRIPE_WEBHOOK_URL).toBe(`http://payments:${payments.PORT}/webhooks/stripe`);
    expect(standIn.STRIPE_WEBHOOK_SECRET).toBe(payments.STRIPE_WEBHOOK_SECRET);
    expect(standIn.STRIPE_SECRET_KEY).toBe(payments.STRIPE_SECRET_KEY);
  });

  it('is checked against a configuration that does reject a missing variable', () => {
    // Guards the test above: if loaders accepted anything, it would pass vacuously.
    expect(() => loadLedgerEnv({})).toThrow(/DATABASE_URL/);
  });
});
