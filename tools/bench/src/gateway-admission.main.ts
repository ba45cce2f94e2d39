import { runGatewayAdmissionBench } from './gateway-admission.bench.js';
import { printTable } from './table.js';

// Runs the gateway admission part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/gateway-admission.main.ts
const rows = await runGatewayAdmissionBench();
printTable('gateway admission (4 MiB one-word prompts; /health latency under them)', rows);
