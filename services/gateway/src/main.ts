import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { GatewayModule } from './gateway.module.js';
import { loadGatewayEnv } from './config.js';

try {
  const env = loadGatewayEnv();
  await startService('gateway', GatewayModule.forRoot(env), env.PORT);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
