import 'reflect-metadata';
import { ConfigError, startService } from '@billing/service-kit';
import { KeysModule } from './keys.module.js';
import { loadKeysEnv } from './config.js';

try {
  const env = loadKeysEnv();
  await startService('keys', KeysModule.forRoot(env), env.PORT);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}
