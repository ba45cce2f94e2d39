import 'reflect-metadata';
import { createServiceApp, runService } from '@billing/service-kit';
import { loadPaymentsEnv } from './config.js';
import { paymentsOptionsFromEnv } from './payments.options.js';
import { PaymentsModule } from './payments.module.js';

await runService('payments', loadPaymentsEnv, (env) =>
  createServiceApp('payments', PaymentsModule.forRoot(paymentsOptionsFromEnv(env))),
);
