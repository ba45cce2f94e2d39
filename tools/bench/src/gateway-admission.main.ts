import { part } from './gateway-admission.bench.js';
import { runPart } from './table.js';

// Runs the gateway admission part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/gateway-admission.main.ts
await runPart(part);
