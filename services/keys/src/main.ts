import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { loadKeysEnv } from './config.js';
import { keysOptionsFromEnv } from './keys.options.js';
import { KeysModule } from './keys.module.js';

try {
  const env = loadKeysEnv();
  await startService('keys', KeysModule.forRoot(keysOptionsFromEnv(env)), env);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
