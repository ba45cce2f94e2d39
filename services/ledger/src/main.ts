import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { loadLedgerEnv } from './config.js';
import { ledgerOptionsFromEnv } from './ledger.options.js';
import { LedgerModule } from './ledger.module.js';

try {
  const env = loadLedgerEnv();
  await startService('ledger', LedgerModule.forRoot(ledgerOptionsFromEnv(env)), env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
