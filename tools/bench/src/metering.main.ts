import { part } from './metering.bench.js';
import { runPart } from './table.js';

// Runs the metering part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/metering.main.ts
await runPart(part);
