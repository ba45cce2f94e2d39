import { runMeteringBench } from './metering.bench.js';
import { printTable } from './table.js';

// Runs the metering part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/metering.main.ts
const rows = await runMeteringBench();
printTable('metering (UsageObserved priced and recorded end to end; PostgreSQL + Kafka)', rows);
