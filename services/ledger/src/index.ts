// @billing/ledger: what other workspaces may use from the ledger service. tools/ops registers the
// operations commands; tools/bench drives the service in-process.
export { LedgerModule } from './ledger.module.js';
export {
  DEFAULT_LEDGER_SCHEMA,
  type LedgerModuleOptions,
  type LedgerTopics,
} from './ledger.options.js';
export { ledgerOpsCommands, type OpsCommand } from './ops/cli.js';
export { rebuildProjections, type RebuildOptions, type RebuildReport } from './ops/rebuild.js';
export {
  verifyProjections,
  type AccountDifference,
  type VerifyOptions,
  type VerifyReport,
} from './ops/verify.js';
export { verifyAuditChains, type AuditOptions, type AuditReport } from './ops/audit.js';
export { PROJECTION_NAMES, type ProjectionName } from './infrastructure/projection-tables.js';
export { migrateLedger } from './infrastructure/migrations.js';
export { AccountLoader, type LoadedAccount } from './infrastructure/account-loader.js';
