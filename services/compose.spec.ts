import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { loadLedgerEnv } from './ledger/src/config.js';
import { knownVariables, SERVICE_CONFIGS as services } from './service-configs.js';

// docker-compose.yml cannot run on a machine without Docker, so this test keeps it honest: every
// service it names exists, and every variable it sets is one the service's configuration reads
// and accepts. A renamed variable or a new required one fails here, not on someone's laptop.

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | number>;
}
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };
const rootPackage = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as {
  scripts: Record<string, string>;
};

describe('docker-compose.yml', () => {
  it('runs each of the five services, and only those, besides the infrastructure', () => {
    const names = Object.keys(compose.services).filter(
      (n) => !['postgres', 'kafka', 'kafka-init'].includes(n),
    );
    expect(names.sort()).toEqual(Object.keys(services).sort());
  });

  describe.each(Object.entries(services))('%s', (name, { cls, load, script }) => {
    const service = compose.services[name];

    it('starts through the npm script that exists in package.json', () => {
      expect(service?.command).toEqual(['npm', 'run', script]);
      expect(rootPackage.scripts[script]).toBeDefined();
    });

    it('sets only variables that the configuration knows', () => {
      const known = knownVariables(cls);
      const unknown = Object.keys(service?.environment ?? {}).filter((v) => !known.has(v));
      expect(unknown).toEqual([]);
    });

    it('sets every variable the configuration requires, with acceptable values', () => {
      const env = Object.fromEntries(
        Object.entries(service?.environment ?? {}).map(([k, v]) => [k, String(v)]),
      );
      expect(() => load(env)).not.toThrow();
    });
  });

  it('is checked against a configuration that does reject a missing variable', () => {
    // Guards the test above: if loaders accepted anything, it would pass vacuously.
    expect(() => loadLedgerEnv({})).toThrow(/DATABASE_URL/);
  });
});
