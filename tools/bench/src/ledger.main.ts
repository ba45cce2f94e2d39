import { part } from './ledger.bench.js';
import { runPart } from './table.js';

// Runs the ledger part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/ledger.main.ts
await runPart(part);
