// The metering service as a module, for the process of main.ts, the standalone mode and tools.
export { MeteringModule } from './metering.module.js';
export {
  DEFAULT_METERING_SCHEMA,
  meteringOptionsFromEnv,
  type MeteringModuleOptions,
  type MeteringTopics,
} from './metering.options.js';
export { MeteringMessaging } from './messaging/metering-messaging.js';
// For tools (the benchmark drives the recording code directly) and the standalone mode.
export {
  RecordUsageCommand,
  type PricedUsage,
} from './commands/record-usage/record-usage.command.js';
export { CatalogStore } from './infrastructure/catalog-store.js';
export { priceObservation, type PricedObservation } from './domain/price-observation.js';
export { defaultCatalog } from './domain/index.js';
