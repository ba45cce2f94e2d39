// @billing/contracts: the wire contract of the billing platform (CONTRACTS.md, "Kafka"): topics,
// the envelope, every event's data, and the one decoder and encoder all services use. README.md
// explains how to add an event or a version.
export {
  TOPICS,
  TOPIC_EVENT_TYPES,
  dlqTopic,
  eventTypesOn,
  isTopic,
  topicOf,
  topicsOf,
  type EventOnTopic,
  type KeysEvent,
  type LedgerEvent,
  type PaymentsEvent,
  type Topic,
  type UsageObservedTopicEvent,
  type UsageRecordedTopicEvent,
} from './topics.js';
export type { Envelope, IsoTimestampString, UsdString } from './envelope.js';
export {
  EVENT_SCHEMAS,
  EVENT_TYPES,
  currentVersion,
  isEventType,
  type ApiKeyCreated,
  type ApiKeyDeleted,
  type ApiKeyExpiryChanged,
  type ApiKeySpendLimitChanged,
  type ApiKeyUpdated,
  type BalanceChanged,
  type ApiKeySubscriptionChanged,
  type BonusGranted,
  type BuilderSubscriptionChanged,
  type CompensationIssued,
  type ContractEvent,
  type CreditsAdjusted,
  type DataOf,
  type DiscountApplied,
  type EventOf,
  type EventSchema,
  type EventType,
  type GiftGranted,
  type ReferralRewarded,
  type ReferralRewardRevoked,
  type TopUpRefunded,
  type TopUpSettled,
  type UsageObserved,
  type UsageRecorded,
} from './events.js';
export * from './events/usage.js';
export * from './events/payments.js';
export * from './events/ledger.js';
export * from './events/keys.js';
export {
  upcasters,
  type UpcastContext,
  type Upcaster,
  type UpcasterRegistry,
} from './upcasters.js';
export {
  decodeEvent,
  type DecodeErrorCode,
  type DecodeFailure,
  type DecodeOptions,
  type DecodeResult,
} from './decode.js';
export {
  InvalidEventError,
  createEvent,
  encodeEvent,
  messageKey,
  type CreateEventInput,
} from './encode.js';
export { UnsupportedContractClassError } from './compile.js';
export {
  ACCOUNT_ID_PATTERN,
  MAX_ID_LENGTH,
  MAX_METHOD_LENGTH,
  MAX_TEXT_LENGTH,
  parseIsoUtc,
  type DataClass,
  type MoneySign,
} from './rules.js';
