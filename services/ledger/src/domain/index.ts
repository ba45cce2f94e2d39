// The pure domain of the ledger (README.md beside this file): decide/evolve over one stream per
// account, the balance types, the credits breakdown and the transaction history as functions of
// events. No framework, no I/O, no clock: adapters around it do those.
export type * from './commands.js';
export type * from './events.js';
export { LEDGER_EVENT_TYPES, tokenCountsOf } from './events.js';
export { CREDITS, isCreditEvent } from './credits.js';
export {
  LEDGER_ERROR_CODES,
  LedgerInvariantError,
  type LedgerErrorCode,
  type LedgerFailure,
} from './errors.js';
export type { Decision, LedgerOutcome } from './decision.js';
export {
  LOT_KINDS,
  consumptionOrder,
  isTopUpKind,
  lotIdOf,
  type Draw,
  type Lot,
  type LotKind,
} from './lots.js';
export {
  DEFAULT_MAX_ACTIVE_HOLDS,
  DEFAULT_RECENT_IDS_REMEMBERED,
  evolve,
  foldLedger,
  initialLedgerState,
  type ActiveHold,
  type BonusLink,
  type LedgerState,
  type LedgerStateOptions,
  type TopUpRecord,
} from './state.js';
export { decide, dueHoldExpiries, dueLotExpiries } from './decide.js';
export { HoldBook } from './hold-book.js';
export { nextExpiryAtMs } from './schedule.js';
export { chargeKeyOf, holdKeyOf, idempotencyKeyOf } from './idempotency.js';
export {
  EMPTY_BALANCE,
  applyToBalance,
  balanceDeltaOf,
  balanceOf,
  balanceOfEvents,
  type Balance,
  type BalanceDelta,
} from './balance.js';
export {
  EMPTY_BREAKDOWN,
  addToBreakdown,
  breakdownOf,
  type CreditsBreakdown,
} from './breakdown.js';
export {
  TRANSACTION_TYPES,
  mergeTransactionRows,
  transactionHistoryOf,
  transactionRowsOf,
  utcDay,
  type TransactionRow,
  type TransactionType,
} from './transactions.js';
export {
  STORED_EVENT_VERSION,
  decodeLedgerEvent,
  encodeLedgerEvent,
  type StoredLedgerEvent,
} from './codec/index.js';
export {
  decodeBreakdown,
  decodeLedgerState,
  encodeBreakdown,
  encodeLedgerState,
  type CreditsBreakdownV1,
  type LedgerStateV2,
} from './state-codec.js';
export {
  EMPTY_KEY_SPEND,
  keySpendLimitBreach,
  keySpentNanos,
  periodResetsAtMs,
  utcDayStartMs,
  utcMonthStartMs,
  type KeySpendBook,
  type KeySpendLimitBreach,
  type KeySpendLimits,
  type SpendPeriod,
} from './key-spend.js';
