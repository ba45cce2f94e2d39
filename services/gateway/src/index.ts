// @billing/gateway: what other workspaces may use from the gateway service: the standalone mode
// hosts its module, tools/bench drives it in process with the simulated upstream.
export { createGatewayApp, GatewayModule } from './gateway.module.js';
export {
  builderPlanFromEnv,
  DEFAULT_GATEWAY_SCHEMA,
  gatewayOptionsFromEnv,
  resolveGatewayOptions,
  type GatewayModuleOptions,
  type GatewayTopics,
} from './gateway.options.js';
export {
  BUILDER_PLAN_VARIABLES,
  GatewayEnv,
  loadBuilderPlanEnv,
  loadGatewayEnv,
  type BuilderPlanEnv,
} from './config.js';
export { parseUpstreamProviders, type UpstreamProvider } from './domain/index.js';
export { migrateGateway } from './infrastructure/migrations.js';
export { UsageOutbox } from './messaging/usage-outbox.js';
export {
  SimulatedUpstreamServer,
  type SimulatedUpstreamOptions,
} from './testing/simulated-upstream-server.js';
export { LedgerStandIn } from './testing/ledger-stand-in.js';
export { MeteringCatalogStandIn, TEST_CATALOG } from './testing/metering-stand-in.js';
