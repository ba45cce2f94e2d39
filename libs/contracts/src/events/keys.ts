// `keys.v1`: the API key lifecycle, consumed by the gateway's key cache. The key secret itself is
// never on the wire; `lookupHash` is what the gateway matches a presented key against.
import type { UsdString } from '../envelope.js';
import { Bool, Id, IsoTimestamp, MAX_ID_LENGTH, Money, OneOf, Optional, Text } from '../rules.js';

export const API_KEY_STATUSES = ['enabled', 'disabled'] as const;
export type ApiKeyStatus = (typeof API_KEY_STATUSES)[number];

/**
 * `payg`: billed to the balance, no rate limit. `builder`: the subscription plan (issue #17),
 * limited at the gateway (requests per minute and per week, a list of models) and never billed to
 * the balance. Added to version 1 ("additions are free"): a consumer that does not know `builder`
 * dead-letters the ApiKeyCreated, so gateways are deployed before the keys service.
 */
export const API_KEY_PLANS = ['payg', 'builder'] as const;
export type ApiKeyPlan = (typeof API_KEY_PLANS)[number];

export interface ApiKeyCreatedV1Data {
  readonly apiKeyId: string;
  readonly name: string;
  readonly plan: ApiKeyPlan;
  readonly status: ApiKeyStatus;
  readonly lookupHash: string;
  /** The visible start of the key, shown in listings. */
  readonly prefix: string;
  /**
   * When the key stops working; absent, never. Added to version 1 after it shipped, as an
   * optional field ("additions are free"): a gateway that does not know it drops it.
   */
  readonly expiresAt?: string;
}

export interface ApiKeyUpdatedV1Data {
  readonly apiKeyId: string;
  readonly name?: string;
  readonly status?: ApiKeyStatus;
}

export interface ApiKeyDeletedV1Data {
  readonly apiKeyId: string;
}

/**
 * The key's expiry was set, moved or removed: `expiresAt` is the whole new state, absent meaning
 * "never expires". An event of its own rather than a field of ApiKeyUpdated because removing an
 * expiry must be said, and an optional field sent as null is read as absent ("unchanged").
 */
export interface ApiKeyExpiryChangedV1Data {
  readonly apiKeyId: string;
  readonly expiresAt?: string;
}

/**
 * The key's spend limits were set, changed or removed (issue #17): `daily` and `monthly` are the
 * whole new limits (decimal USD, positive), each absent meaning "no limit of that period". Periods
 * are UTC calendar days and months. An event of its own, like ApiKeyExpiryChanged, because
 * removing a limit must be said and an optional field sent as null is read as absent.
 */
export interface ApiKeySpendLimitChangedV1Data {
  readonly apiKeyId: string;
  readonly daily?: UsdString;
  readonly monthly?: UsdString;
}

/**
 * Whether the Builder subscription that pays for this builder key is active (issue #17): the whole
 * new state, published for each builder key of the account when its subscription starts or ends.
 * The gateway refuses a builder key whose subscription is not active (403
 * `builder_subscription_inactive`). Never published for a pay-as-you-go key.
 */
export interface ApiKeySubscriptionChangedV1Data {
  readonly apiKeyId: string;
  readonly active: boolean;
}

export type ApiKeyCreatedData = ApiKeyCreatedV1Data;
export type ApiKeySubscriptionChangedData = ApiKeySubscriptionChangedV1Data;
export type ApiKeyUpdatedData = ApiKeyUpdatedV1Data;
export type ApiKeyDeletedData = ApiKeyDeletedV1Data;
export type ApiKeyExpiryChangedData = ApiKeyExpiryChangedV1Data;
export type ApiKeySpendLimitChangedData = ApiKeySpendLimitChangedV1Data;

export class ApiKeyCreatedV1Dto implements ApiKeyCreatedV1Data {
  @Id() apiKeyId!: string;
  @Text(MAX_ID_LENGTH) name!: string;
  @OneOf(API_KEY_PLANS) plan!: ApiKeyPlan;
  @OneOf(API_KEY_STATUSES) status!: ApiKeyStatus;
  @Id() lookupHash!: string;
  @Id() prefix!: string;
  @Optional() @IsoTimestamp() expiresAt?: string;
}

export class ApiKeyUpdatedV1Dto implements ApiKeyUpdatedV1Data {
  @Id() apiKeyId!: string;
  @Optional() @Text(MAX_ID_LENGTH) name?: string;
  @Optional() @OneOf(API_KEY_STATUSES) status?: ApiKeyStatus;
}

export class ApiKeyDeletedV1Dto implements ApiKeyDeletedV1Data {
  @Id() apiKeyId!: string;
}

export class ApiKeyExpiryChangedV1Dto implements ApiKeyExpiryChangedV1Data {
  @Id() apiKeyId!: string;
  @Optional() @IsoTimestamp() expiresAt?: string;
}

export class ApiKeySpendLimitChangedV1Dto implements ApiKeySpendLimitChangedV1Data {
  @Id() apiKeyId!: string;
  @Optional() @Money('positive') daily?: string;
  @Optional() @Money('positive') monthly?: string;
}

export class ApiKeySubscriptionChangedV1Dto implements ApiKeySubscriptionChangedV1Data {
  @Id() apiKeyId!: string;
  @Bool() active!: boolean;
}
