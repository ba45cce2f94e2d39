import { runGatewayBench } from './gateway.bench.js';
import { printTable } from './table.js';

// Runs the gateway part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/gateway.main.ts
const rows = await runGatewayBench();
printTable(
  'gateway (chat completions through the gateway to sim/ vs straight to the bare simulated upstream; autocannon)',
  rows,
);
