import { runSoakBench } from './soak.bench.js';
import { printTable } from './table.js';

// Runs the soak part of `npm run bench` alone (needs `npm run infra:up`), e.g. for a short check:
// SOAK_SECONDS=90 node --import @swc-node/register/esm-register tools/bench/src/soak.main.ts
const started = performance.now();
const rows = await runSoakBench();
printTable(
  `soak (the distributed platform under a steady mixed load) — ${((performance.now() - started) / 1000).toFixed(1)} s`,
  rows,
);
