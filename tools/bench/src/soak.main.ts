import { part } from './soak.bench.js';
import { runPart } from './table.js';

// Runs the soak part of `npm run bench` alone (needs `npm run infra:up`), e.g. for a short check:
// SOAK_SECONDS=90 node --import @swc-node/register/esm-register tools/bench/src/soak.main.ts
await runPart(part);
