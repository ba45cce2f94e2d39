import type { Envelope } from './envelope.js';
import {
  ApiKeyCreatedV1Dto,
  ApiKeyDeletedV1Dto,
  ApiKeyExpiryChangedV1Dto,
  ApiKeySpendLimitChangedV1Dto,
  ApiKeySubscriptionChangedV1Dto,
  ApiKeyUpdatedV1Dto,
  type ApiKeyCreatedData,
  type ApiKeyDeletedData,
  type ApiKeyExpiryChangedData,
  type ApiKeySpendLimitChangedData,
  type ApiKeySubscriptionChangedData,
  type ApiKeyUpdatedData,
} from './events/keys.js';
import { BalanceChangedV1Dto, type BalanceChangedData } from './events/ledger.js';
import {
  BonusGrantedV1Dto,
  BuilderSubscriptionChangedV1Dto,
  CompensationIssuedV1Dto,
  CreditsAdjustedV1Dto,
  DiscountAppliedV1Dto,
  GiftGrantedV1Dto,
  ReferralRewardedV1Dto,
  ReferralRewardRevokedV1Dto,
  TopUpRefundedV1Dto,
  TopUpSettledV1Dto,
  type BonusGrantedData,
  type BuilderSubscriptionChangedData,
  type CompensationIssuedData,
  type CreditsAdjustedData,
  type DiscountAppliedData,
  type GiftGrantedData,
  type ReferralRewardedData,
  type ReferralRewardRevokedData,
  type TopUpRefundedData,
  type TopUpSettledData,
} from './events/payments.js';
import {
  UsageObservedV1Dto,
  UsageRecordedV1Dto,
  type UsageObservedData,
  type UsageRecordedData,
} from './events/usage.js';
import type { DataClass } from './rules.js';

// One alias per event, at its current version. When a V2 lands, the alias moves to the V2 data and
// the V1 data type stays, for the upcaster.
export type UsageObserved = Envelope<'UsageObserved', UsageObservedData>;
export type UsageRecorded = Envelope<'UsageRecorded', UsageRecordedData>;
export type TopUpSettled = Envelope<'TopUpSettled', TopUpSettledData>;
export type DiscountApplied = Envelope<'DiscountApplied', DiscountAppliedData>;
export type BonusGranted = Envelope<'BonusGranted', BonusGrantedData>;
export type CompensationIssued = Envelope<'CompensationIssued', CompensationIssuedData>;
export type GiftGranted = Envelope<'GiftGranted', GiftGrantedData>;
export type ReferralRewarded = Envelope<'ReferralRewarded', ReferralRewardedData>;
export type ReferralRewardRevoked = Envelope<'ReferralRewardRevoked', ReferralRewardRevokedData>;
export type CreditsAdjusted = Envelope<'CreditsAdjusted', CreditsAdjustedData>;
export type TopUpRefunded = Envelope<'TopUpRefunded', TopUpRefundedData>;
export type BuilderSubscriptionChanged = Envelope<
  'BuilderSubscriptionChanged',
  BuilderSubscriptionChangedData
>;
export type BalanceChanged = Envelope<'BalanceChanged', BalanceChangedData>;
export type ApiKeyCreated = Envelope<'ApiKeyCreated', ApiKeyCreatedData>;
export type ApiKeyUpdated = Envelope<'ApiKeyUpdated', ApiKeyUpdatedData>;
export type ApiKeyDeleted = Envelope<'ApiKeyDeleted', ApiKeyDeletedData>;
export type ApiKeyExpiryChanged = Envelope<'ApiKeyExpiryChanged', ApiKeyExpiryChangedData>;
export type ApiKeySpendLimitChanged = Envelope<
  'ApiKeySpendLimitChanged',
  ApiKeySpendLimitChangedData
>;
export type ApiKeySubscriptionChanged = Envelope<
  'ApiKeySubscriptionChanged',
  ApiKeySubscriptionChangedData
>;

/** Every event of the wire contract, discriminated by the persisted `type` string. */
export type ContractEvent =
  | UsageObserved
  | UsageRecorded
  | TopUpSettled
  | DiscountApplied
  | BonusGranted
  | CompensationIssued
  | GiftGranted
  | ReferralRewarded
  | ReferralRewardRevoked
  | CreditsAdjusted
  | TopUpRefunded
  | BuilderSubscriptionChanged
  | BalanceChanged
  | ApiKeyCreated
  | ApiKeyUpdated
  | ApiKeyDeleted
  | ApiKeyExpiryChanged
  | ApiKeySpendLimitChanged
  | ApiKeySubscriptionChanged;

export type EventType = ContractEvent['type'];
export type EventOf<T extends EventType> = Extract<ContractEvent, { readonly type: T }>;
export type DataOf<T extends EventType> = EventOf<T>['data'];

/** The shape an event type is validated at: its current version and the class of its data. */
export interface EventSchema<TData extends object = object> {
  readonly version: number;
  readonly dataClass: DataClass<TData>;
}

/**
 * The current version of every event type and the class that validates its data. Decoding
 * upcasts older versions to this one; producing always writes this one.
 */
export const EVENT_SCHEMAS = Object.freeze({
  UsageObserved: { version: 1, dataClass: UsageObservedV1Dto },
  UsageRecorded: { version: 1, dataClass: UsageRecordedV1Dto },
  TopUpSettled: { version: 1, dataClass: TopUpSettledV1Dto },
  DiscountApplied: { version: 1, dataClass: DiscountAppliedV1Dto },
  BonusGranted: { version: 1, dataClass: BonusGrantedV1Dto },
  CompensationIssued: { version: 1, dataClass: CompensationIssuedV1Dto },
  GiftGranted: { version: 1, dataClass: GiftGrantedV1Dto },
  ReferralRewarded: { version: 1, dataClass: ReferralRewardedV1Dto },
  ReferralRewardRevoked: { version: 1, dataClass: ReferralRewardRevokedV1Dto },
  CreditsAdjusted: { version: 1, dataClass: CreditsAdjustedV1Dto },
  TopUpRefunded: { version: 1, dataClass: TopUpRefundedV1Dto },
  BuilderSubscriptionChanged: { version: 1, dataClass: BuilderSubscriptionChangedV1Dto },
  BalanceChanged: { version: 1, dataClass: BalanceChangedV1Dto },
  ApiKeyCreated: { version: 1, dataClass: ApiKeyCreatedV1Dto },
  ApiKeyUpdated: { version: 1, dataClass: ApiKeyUpdatedV1Dto },
  ApiKeyDeleted: { version: 1, dataClass: ApiKeyDeletedV1Dto },
  ApiKeyExpiryChanged: { version: 1, dataClass: ApiKeyExpiryChangedV1Dto },
  ApiKeySpendLimitChanged: { version: 1, dataClass: ApiKeySpendLimitChangedV1Dto },
  ApiKeySubscriptionChanged: { version: 1, dataClass: ApiKeySubscriptionChangedV1Dto },
} satisfies { readonly [T in EventType]: EventSchema<DataOf<T>> });

export const EVENT_TYPES: readonly EventType[] = Object.freeze(
  Object.keys(EVENT_SCHEMAS) as EventType[],
);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && Object.hasOwn(EVENT_SCHEMAS, value);
}

/** The version a producer writes today for `type`. */
export function currentVersion(type: EventType): number {
  return EVENT_SCHEMAS[type].version;
}
