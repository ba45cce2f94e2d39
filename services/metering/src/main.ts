import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { MeteringModule } from './metering.module.js';
import { loadMeteringEnv } from './config.js';

try {
  const env = loadMeteringEnv();
  await startService('metering', MeteringModule.forRoot(env), env.PORT);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
