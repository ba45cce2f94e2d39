import 'reflect-metadata';
import { createServiceApp, runService } from '@billing/service-kit';
import { loadMeteringEnv } from './config.js';
import { meteringOptionsFromEnv } from './metering.options.js';
import { MeteringModule } from './metering.module.js';

await runService('metering', loadMeteringEnv, (env) =>
  createServiceApp('metering', MeteringModule.forRoot(meteringOptionsFromEnv(env))),
);
