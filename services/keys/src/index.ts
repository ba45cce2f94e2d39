// The keys service as a module, for the process of main.ts, the standalone mode and tools.
export { KeysModule } from './keys.module.js';
export {
  DEFAULT_KEYS_SCHEMA,
  keysOptionsFromEnv,
  type KeysModuleOptions,
  type KeysTopics,
} from './keys.options.js';
export { KeysMessaging } from './messaging/keys-messaging.js';
