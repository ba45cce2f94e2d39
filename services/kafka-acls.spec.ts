import { readFileSync } from 'node:fs';
import { compose, environmentOf } from './compose-file.js';
import { loadGatewayEnv } from './gateway/src/config.js';
import { gatewayOptionsFromEnv, resolveGatewayOptions } from './gateway/src/gateway.options.js';
import { loadKeysEnv } from './keys/src/config.js';
import { keysOptionsFromEnv, resolveKeysOptions } from './keys/src/keys.options.js';
import { loadLedgerEnv } from './ledger/src/config.js';
import { ledgerOptionsFromEnv, resolveLedgerOptions } from './ledger/src/ledger.options.js';
import { loadMeteringEnv } from './metering/src/config.js';
import { meteringOptionsFromEnv, resolveMeteringOptions } from './metering/src/metering.options.js';
import { loadPaymentsEnv } from './payments/src/config.js';
import { paymentsOptionsFromEnv, resolvePaymentsOptions } from './payments/src/payments.options.js';

// The broker's ACLs (deploy/local/kafka/acls.txt, docs/adr/007-kafka-sasl-acls.md) name topics and
// consumer groups; the services derive theirs from their options. A renamed consumer or topic
// would leave a service refused by the broker in production, or an ACL wider than needed: this
// test derives what each service needs from its production options (built from the
// docker-compose environment) and compares it with the file, line for line.

const file = (path: string): string => readFileSync(new URL(path, import.meta.url), 'utf8');
const lines = (text: string): string[][] =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(/\s+/));

const acls = lines(file('../deploy/local/kafka/acls.txt'));
const principals = new Set(lines(file('../deploy/local/kafka/principals.txt')).map(([n]) => n));
const topics = new Set(lines(file('../deploy/local/topics.txt')).map(([t]) => t));
const envOf = (service: string): Record<string, string> => environmentOf(compose.services[service]);

interface Needs {
  readonly writes: string[];
  readonly reads: string[];
  readonly groups: string[];
}
const dlq = (topic: string): string => `${topic}.dlq`;

function needs(service: string): Needs {
  const env = envOf(service);
  switch (service) {
    case 'gateway': {
      const o = resolveGatewayOptions(gatewayOptionsFromEnv(loadGatewayEnv(env), env));
      return {
        writes: [o.topics.usageObserved, dlq(o.topics.keys)],
        reads: [o.topics.keys],
        groups: [o.keysConsumerName],
      };
    }
    case 'keys': {
      const o = resolveKeysOptions(keysOptionsFromEnv(loadKeysEnv(env)));
      return {
        writes: [o.topics.keys, dlq(o.topics.usageRecorded), dlq(o.topics.payments)],
        reads: [o.topics.usageRecorded, o.topics.payments],
        groups: [o.usageConsumerName, o.paymentsConsumerName],
      };
    }
    case 'metering': {
      const o = resolveMeteringOptions(meteringOptionsFromEnv(loadMeteringEnv(env)));
      return {
        writes: [o.topics.usageRecorded, dlq(o.topics.usageObserved)],
        reads: [o.topics.usageObserved],
        groups: [o.usageConsumerName],
      };
    }
    case 'ledger': {
      const o = resolveLedgerOptions(ledgerOptionsFromEnv(loadLedgerEnv(env)));
      return {
        writes: [o.topics.ledger, dlq(o.topics.payments), dlq(o.topics.usageRecorded)],
        reads: [o.topics.payments, o.topics.usageRecorded],
        groups: [`${o.consumerGroupPrefix}-payments`, `${o.consumerGroupPrefix}-usage`],
      };
    }
    case 'payments': {
      const o = resolvePaymentsOptions(paymentsOptionsFromEnv(loadPaymentsEnv(env)));
      return {
        writes: [o.topics.payments, dlq(o.topics.ledger)],
        reads: [o.topics.ledger],
        groups: [`${o.consumerGroupPrefix}-balance-changed`],
      };
    }
    default:
      throw new Error(`unknown service ${service}`);
  }
}

describe('deploy/local/kafka/acls.txt', () => {
  it.each(['gateway', 'keys', 'metering', 'ledger', 'payments'])(
    'gives %s exactly what its production options need, as its own principal',
    (service) => {
      const n = needs(service);
      const expected = [
        ...n.writes.map((t) => `Write topic ${t}`),
        ...n.reads.map((t) => `Read topic ${t}`),
        ...n.groups.map((g) => `Read group ${g}`),
      ].sort();
      const granted = acls
        .filter(([p]) => p === service)
        .map(([, op, kind, name]) => `${op} ${kind} ${name}`)
        .sort();
      expect(granted).toEqual(expected);
      expect(principals.has(service)).toBe(true);
      expect(envOf(service).KAFKA_SASL_USERNAME).toBe(service);
    },
  );

  it('names only known principals and existing topics, and no operation beyond Read and Write', () => {
    for (const [principal, operation, kind] of acls) {
      expect(principals.has(principal)).toBe(true);
      expect(['Read', 'Write']).toContain(operation);
      expect(['topic', 'group']).toContain(kind);
    }
    const unknownTopics = acls
      .filter(([, , kind, name]) => kind === 'topic' && !topics.has(name))
      .map(([, , , name]) => name);
    expect(unknownTopics).toEqual([]);
    // Only the payments service may credit accounts; only metering may record usage.
    const writers = (topic: string): string[] =>
      acls
        .filter(([, op, kind, name]) => op === 'Write' && kind === 'topic' && name === topic)
        .map(([p]) => p ?? '');
    expect(writers('payments.v1')).toEqual(['payments']);
    expect(writers('usage.recorded.v1')).toEqual(['metering']);
    expect(writers('keys.v1')).toEqual(['keys']);
    expect(writers('ledger.v1')).toEqual(['ledger']);
    expect(writers('usage.observed.v1')).toEqual(['gateway']);
  });
});
