import { runMessagingBench } from './messaging.bench.js';
import { printTable } from './table.js';

// Runs the messaging part of `npm run bench` alone (needs `npm run infra:up`):
// node --import @swc-node/register/esm-register tools/bench/src/messaging.main.ts
const rows = await runMessagingBench();
printTable('messaging (outbox relay, idempotent consumer; PostgreSQL + Kafka)', rows);
