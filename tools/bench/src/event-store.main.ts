import { part } from './event-store.bench.js';
import { runPart } from './table.js';

// Runs the event-store part of `npm run bench` alone:
// node --import @swc-node/register/esm-register tools/bench/src/event-store.main.ts
await runPart(part);
