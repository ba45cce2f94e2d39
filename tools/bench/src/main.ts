import { printTable, type BenchRow } from './table.js';

// `npm run bench [-- part ...]`: every benchmark part, each printed as a table with its baseline
// measured in the same run. Needs the local infrastructure (`npm run infra:up`). Parts load
// lazily so that one part can run alone: `npm run bench -- messaging`.

interface Part {
  title: string;
  run: () => Promise<BenchRow[]>;
  /** Not part of a run of every part (`npm run bench` alone); `npm run bench -- <name>` runs it. */
  onlyByName?: boolean;
}

const parts: Record<string, Part> = {
  'event-store': {
    title: 'event store (PostgreSQL)',
    run: async () => (await import('./event-store.bench.js')).runEventStoreBench(),
  },
  messaging: {
    title: 'messaging (outbox relay, idempotent consumer; PostgreSQL + Kafka)',
    run: async () => (await import('./messaging.bench.js')).runMessagingBench(),
  },
  ledger: {
    title: 'ledger (UsageRecorded from Kafka into the ledger with projections; rebuild)',
    run: async () => (await import('./ledger.bench.js')).runLedgerBench(),
  },
  gateway: {
    title: 'gateway (autocannon: through the gateway to sim/ versus straight to a bare upstream)',
    run: async () => (await import('./gateway.bench.js')).runGatewayBench(),
  },
  'gateway-admission': {
    title: 'gateway admission (4 MiB one-word prompts; /health latency while ten arrive at once)',
    run: async () => (await import('./gateway-admission.bench.js')).runGatewayAdmissionBench(),
  },
  metering: {
    title: 'metering (UsageObserved priced and recorded end to end through Kafka)',
    run: async () => (await import('./metering.bench.js')).runMeteringBench(),
  },
  soak: {
    title: 'soak (the distributed platform under a steady mixed load; SOAK_SECONDS, SOAK_RPS)',
    run: async () => (await import('./soak.bench.js')).runSoakBench(),
    // Ten minutes by default: only when asked for by name.
    onlyByName: true,
  },
};

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in parts));
if (unknown.length > 0) {
  console.error(
    `unknown bench part(s): ${unknown.join(', ')}; parts: ${Object.keys(parts).join(', ')}`,
  );
  process.exit(2);
}

console.log(`# npm run bench — ${new Date().toISOString()}, Node ${process.version}`);
const everyPart = Object.keys(parts).filter((name) => parts[name]?.onlyByName !== true);
for (const name of requested.length > 0 ? requested : everyPart) {
  const part = parts[name];
  if (!part) continue;
  const started = performance.now();
  const rows = await part.run();
  printTable(`${part.title} — ${((performance.now() - started) / 1000).toFixed(1)} s`, rows);
}
