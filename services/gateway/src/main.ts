import 'reflect-metadata';
import { ConfigError, listen } from '@billing/service-kit';
import { createGatewayApp } from './app.js';
import { loadGatewayEnv } from './config.js';
import { gatewayOptionsFromEnv } from './gateway.options.js';

try {
  const env = loadGatewayEnv();
  const app = await createGatewayApp(gatewayOptionsFromEnv(env));
  await listen(app, 'gateway', env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
