import { runPart, type BenchPart } from './table.js';

// `npm run bench [-- part ...]`: every benchmark part, each printed as a table with its baseline
// measured in the same run. Needs the local infrastructure (`npm run infra:up`). Parts load
// lazily so that one part can run alone: `npm run bench -- messaging`. Each part's module names
// its title; `<part>.main.ts` runs the same part alone.

type PartModule = Promise<{ readonly part: BenchPart }>;

const parts: Record<string, () => PartModule> = {
  contracts: () => import('./contracts.bench.js'),
  'event-store': () => import('./event-store.bench.js'),
  messaging: () => import('./messaging.bench.js'),
  ledger: () => import('./ledger.bench.js'),
  gateway: () => import('./gateway.bench.js'),
  'gateway-platform': () => import('./gateway-platform.bench.js'),
  'gateway-admission': () => import('./gateway-admission.bench.js'),
  metering: () => import('./metering.bench.js'),
  soak: () => import('./soak.bench.js'),
};

/**
 * Not part of a run of every part (`npm run bench` alone); `npm run bench -- <name>` runs them.
 * The soak takes ten minutes by default.
 */
const ONLY_BY_NAME: ReadonlySet<string> = new Set(['soak']);

const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !(name in parts));
if (unknown.length > 0) {
  console.error(
    `unknown bench part(s): ${unknown.join(', ')}; parts: ${Object.keys(parts).join(', ')}`,
  );
  process.exit(2);
}

console.log(`# npm run bench — ${new Date().toISOString()}, Node ${process.version}`);
const everyPart = Object.keys(parts).filter((name) => !ONLY_BY_NAME.has(name));
for (const name of requested.length > 0 ? requested : everyPart) {
  const load = parts[name];
  if (!load) continue;
  await runPart((await load()).part);
}
