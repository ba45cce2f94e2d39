import 'reflect-metadata';
import { runService } from '@billing/service-kit';
import { createGatewayApp } from './gateway.module.js';
import { loadGatewayEnv } from './config.js';
import { gatewayOptionsFromEnv } from './gateway.options.js';

await runService('gateway', loadGatewayEnv, (env) => createGatewayApp(gatewayOptionsFromEnv(env)));
