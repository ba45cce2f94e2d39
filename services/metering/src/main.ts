import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { loadMeteringEnv } from './config.js';
import { meteringOptionsFromEnv } from './metering.options.js';
import { MeteringModule } from './metering.module.js';

try {
  const env = loadMeteringEnv();
  await startService('metering', MeteringModule.forRoot(meteringOptionsFromEnv(env)), env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
