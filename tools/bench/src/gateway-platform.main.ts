import { part } from './gateway-platform.bench.js';
import { runPart } from './table.js';

// Runs the gateway-platform part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/gateway-platform.main.ts
await runPart(part);
