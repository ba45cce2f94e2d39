export { CanonicalJsonError, canonicalJson } from './canonical-json.js';
export {
  EventStoreError,
  IdempotencyConflictError,
  WrongExpectedVersionError,
  isIdempotencyConflict,
  isWrongExpectedVersion,
} from './errors.js';
export { GENESIS_HASH, eventHash, requestHash, sha256Hex } from './hashing.js';
export type { HashInput, RequestHashInput } from './hashing.js';
export {
  LOG_START,
  compareLogPositions,
  decodeLogPosition,
  encodeLogPosition,
} from './log-position.js';
export { eventStoreMigrations, migrateEventStore, notifyChannel } from './migrations.js';
export type { EdgeDefaults } from './plan.js';
export { PostgresEventStore, createEventStore } from './postgres-event-store.js';
export type { PostgresEventStoreOptions } from './postgres-event-store.js';
export { CheckpointMovedError } from './subscription.js';
export type * from './types.js';
