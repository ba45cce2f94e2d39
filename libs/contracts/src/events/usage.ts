import type { IsoTimestampString, UsdString } from '../envelope.js';
import { API_KEY_PLANS, type ApiKeyPlan } from './keys.js';
import {
  Bool,
  Id,
  IsoTimestamp,
  Money,
  Nested,
  NotBefore,
  OneOf,
  Optional,
  TokenCount,
} from '../rules.js';

export const USAGE_STATUSES = ['succeeded', 'failed', 'cancelled'] as const;
export type UsageStatus = (typeof USAGE_STATUSES)[number];

/** `usage.observed.v1`: the gateway saw a request finish; tokens as reported (or estimated). */
export interface UsageObservedV1Data {
  /** The gateway's id of the request; the idempotency key of the usage and of its charge. */
  readonly requestId: string;
  readonly apiKeyId?: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens?: number;
  readonly cacheWriteTokens?: number;
  readonly reasoningTokens?: number;
  readonly status: UsageStatus;
  /** True when the upstream did not report usage and the gateway estimated the tokens. */
  readonly estimated?: boolean;
  /** The ledger hold taken before the request, to be settled by the charge. */
  readonly holdId?: string;
  readonly startedAt: IsoTimestampString;
  /** Not before `startedAt`. */
  readonly completedAt: IsoTimestampString;
  /**
   * The plan of the key the request came with; absent, `payg`. A `builder` request is covered by
   * the account's subscription: metering records it with `cost` 0 (and no unit prices), so the
   * ledger's charge leaves the balance as it was, while the request log and the key's usage still
   * show it. Added to version 1 (optional: a consumer that does not know it drops it).
   */
  readonly plan?: ApiKeyPlan;
  /**
   * When the first token of a streamed answer was sent to the client (not before `startedAt`);
   * absent for an answer that was not streamed or sent no token. The AI insurance measures time
   * to first token from it. An addition to version 1: absent from earlier events.
   */
  readonly firstTokenAt?: IsoTimestampString;
}

/**
 * The unit prices of the price version a request was priced at: USD per million tokens of each
 * kind, decimal strings. Which tokens fall under which price is the token accounting of
 * CONTRACTS.md: `input` is paid on `inputTokens − cachedInputTokens − cacheWriteTokens`,
 * `cachedInput` and `cacheWrite` on those counts, `output` on `outputTokens` (reasoning included).
 */
export interface UsagePricesPerMillionTokens {
  readonly input: UsdString;
  readonly output: UsdString;
  readonly cachedInput: UsdString;
  readonly cacheWrite: UsdString;
}

/**
 * `usage.recorded.v1`: metering priced the usage. Carries every field of UsageObserved (keys needs
 * `apiKeyId`, the ledger's analytics need `model` and the times) plus the price.
 */
export interface UsageRecordedV1Data extends UsageObservedV1Data {
  /** What the request costs, at least 0. */
  readonly cost: UsdString;
  /** The catalog price version used, as an opaque id. */
  readonly priceVersion: string;
  /**
   * The unit prices of `priceVersion`, so that a charge can be explained without asking the
   * catalog ("explain this charge"). Optional: an addition to version 1, absent from the events
   * metering wrote before it, and dropped by consumers that do not know it yet.
   */
  readonly pricesPerMillionTokens?: UsagePricesPerMillionTokens;
}

export type UsageObservedData = UsageObservedV1Data;
export type UsageRecordedData = UsageRecordedV1Data;

export class UsageObservedV1Dto implements UsageObservedV1Data {
  @Id() requestId!: string;
  @Optional() @Id() apiKeyId?: string;
  @Id() model!: string;
  @TokenCount() inputTokens!: number;
  @TokenCount() outputTokens!: number;
  @Optional() @TokenCount() cachedInputTokens?: number;
  @Optional() @TokenCount() cacheWriteTokens?: number;
  @Optional() @TokenCount() reasoningTokens?: number;
  @OneOf(USAGE_STATUSES) status!: UsageStatus;
  @Optional() @Bool() estimated?: boolean;
  @Optional() @Id() holdId?: string;
  @IsoTimestamp() startedAt!: string;
  @IsoTimestamp() @NotBefore('startedAt') completedAt!: string;
  @Optional() @OneOf(API_KEY_PLANS) plan?: ApiKeyPlan;
  @Optional() @IsoTimestamp() @NotBefore('startedAt') firstTokenAt?: string;
}

// Declared before UsageRecordedV1Dto: decorator metadata refers to it when that class is defined.
export class UsagePricesPerMillionTokensDto implements UsagePricesPerMillionTokens {
  @Money('nonNegative') input!: string;
  @Money('nonNegative') output!: string;
  @Money('nonNegative') cachedInput!: string;
  @Money('nonNegative') cacheWrite!: string;
}

export class UsageRecordedV1Dto extends UsageObservedV1Dto implements UsageRecordedV1Data {
  @Money('nonNegative') cost!: string;
  @Id() priceVersion!: string;
  @Optional()
  @Nested(() => UsagePricesPerMillionTokensDto)
  pricesPerMillionTokens?: UsagePricesPerMillionTokensDto;
}
