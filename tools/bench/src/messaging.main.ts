import { part } from './messaging.bench.js';
import { runPart } from './table.js';

// Runs the messaging part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/messaging.main.ts
await runPart(part);
