import 'reflect-metadata';
import { createServiceApp, runService } from '@billing/service-kit';
import { loadLedgerEnv } from './config.js';
import { ledgerOptionsFromEnv } from './ledger.options.js';
import { LedgerModule } from './ledger.module.js';

await runService('ledger', loadLedgerEnv, (env) =>
  createServiceApp('ledger', LedgerModule.forRoot(ledgerOptionsFromEnv(env))),
);
