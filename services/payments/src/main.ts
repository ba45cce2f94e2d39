import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { PaymentsModule } from './payments.module.js';
import { loadPaymentsEnv } from './config.js';

try {
  const env = loadPaymentsEnv();
  await startService('payments', PaymentsModule.forRoot(env), env.PORT);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
