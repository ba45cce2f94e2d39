import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { LedgerModule } from './ledger.module.js';
import { loadLedgerEnv } from './config.js';

try {
  const env = loadLedgerEnv();
  await startService('ledger', LedgerModule.forRoot(env), env.PORT);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
