import 'reflect-metadata';
import { ConfigError } from '@billing/service-kit';
import { Logger } from '@nestjs/common';
import { createGatewayApp } from './app.js';
import { loadGatewayEnv } from './config.js';
import { gatewayOptionsFromEnv } from './gateway.options.js';

try {
  const env = loadGatewayEnv();
  const app = await createGatewayApp(gatewayOptionsFromEnv(env));
  await app.listen(env.PORT, '0.0.0.0');
  new Logger('gateway').log(`listening on :${env.PORT}`);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
