import { part } from './gateway.bench.js';
import { runPart } from './table.js';

// Runs the gateway part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/gateway.main.ts
await runPart(part);
