import 'reflect-metadata';
import { createServiceApp, runService } from '@billing/service-kit';
import { loadKeysEnv } from './config.js';
import { keysOptionsFromEnv } from './keys.options.js';
import { KeysModule } from './keys.module.js';

await runService('keys', loadKeysEnv, (env) =>
  createServiceApp('keys', KeysModule.forRoot(keysOptionsFromEnv(env))),
);
