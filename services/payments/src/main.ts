import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { loadPaymentsEnv } from './config.js';
import { paymentsOptionsFromEnv } from './payments.options.js';
import { PaymentsModule } from './payments.module.js';

try {
  const env = loadPaymentsEnv();
  await startService('payments', PaymentsModule.forRoot(paymentsOptionsFromEnv(env)), env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
