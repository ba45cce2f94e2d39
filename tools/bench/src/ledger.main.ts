import { runLedgerBench } from './ledger.bench.js';
import { printTable } from './table.js';

// Runs the ledger part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/ledger.main.ts
const rows = await runLedgerBench();
printTable('ledger (UsageRecorded from Kafka into the ledger with projections; rebuild)', rows);
