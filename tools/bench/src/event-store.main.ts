import { runEventStoreBench } from './event-store.bench.js';
import { printTable } from './table.js';

// Runs the event-store part of `npm run bench` alone:
// node --import @swc-node/register/esm-register tools/bench/src/event-store.main.ts
const rows = await runEventStoreBench();
printTable('event store (PostgreSQL)', rows);
