import { part } from './contracts.bench.js';
import { runPart } from './table.js';

// Runs the contracts part of `npm run bench` alone (no infrastructure needed):
// node --import @swc-node/register/esm-register tools/bench/src/contracts.main.ts
await runPart(part);
