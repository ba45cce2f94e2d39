import { INSTANT_PROPERTY, NULLABLE_INSTANT_PROPERTY, usdProperty } from '@billing/service-kit';
import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { PROJECTION_NAMES, type ProjectionName } from '../infrastructure/projection-tables.js';
import {
  RUN_KINDS,
  RUN_STATUSES,
  type ProjectionRunView,
  type ProjectionStatusView,
  type ProjectionsView,
  type RunKind,
  type RunStartedBy,
  type RunStatus,
  type RunSummary,
} from '../ops/projection-runs.js';
import type {
  DrawView,
  LedgerEventRef,
  RequestExplanationView,
  UnitPricesView,
} from '../queries/explain-request/explain-request.query.js';
import type { BalanceView } from '../queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from '../queries/get-credits-breakdown/get-credits-breakdown.query.js';
import {
  USAGE_GROUPINGS,
  type UsageGrouping,
  type UsageRowView,
  type UsageView,
} from '../queries/get-usage/get-usage.query.js';
import type {
  AccountEventsPage,
  AuditEventView,
} from '../queries/list-account-events/list-account-events.query.js';
import type { LogEventView, LogPage } from '../queries/list-log-events/list-log-events.query.js';
import type {
  TransactionPage,
  TransactionView,
} from '../queries/list-transactions/list-transactions.query.js';
import type { ChainVerificationView } from '../queries/verify-account-chain/verify-account-chain.query.js';

// The answers' schemas in the OpenAPI document (`/docs`), for clients to read and for the console's
// check (apps/console/src/api-contract.spec.ts). Each class implements the view its handler returns,
// so a field the view gains must be declared here too.

// The views' nested parts, which the views declare inline.
type UsageTotals = UsageView['total'];
type RequestTokens = RequestExplanationView['tokens'];
type RequestPrice = RequestExplanationView['price'];
type RequestHold = NonNullable<RequestExplanationView['hold']>;
type ChainBreak = NonNullable<ChainVerificationView['firstBreak']>;
type ProjectionRunProgress = ProjectionRunView['progress'];
type Summary<K extends RunSummary['kind']> = Extract<RunSummary, { readonly kind: K }>;
type AccountThatDiffers = Summary<'verify'>['accountsThatDiffer'][number];

/** `GET /v1/accounts/{accountId}/balance`. */
export class BalanceResponse implements BalanceView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty(
    usdProperty('12.5', 'Top-up plus bonus and compensation credits (USD, a decimal string)'),
  )
  readonly total!: string;
  @ApiProperty(usdProperty('10'))
  readonly topUp!: string;
  @ApiProperty(usdProperty('2.5'))
  readonly bonusAndCompensation!: string;
  @ApiProperty(usdProperty('0.05', 'Held by requests in flight (USD, a decimal string)'))
  readonly held!: string;
  @ApiProperty(usdProperty('12.45', 'total minus held (USD, a decimal string)'))
  readonly available!: string;
  @ApiProperty({ example: 7, description: 'The account stream version the figures reflect' })
  readonly version!: number;
  @ApiProperty({ example: '2026-11-30T12:00:00.000Z' })
  readonly asOf!: string;
}

/** `GET /v1/accounts/{accountId}/credits-breakdown`. */
export class CreditsBreakdownResponse implements CreditsBreakdownView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty(usdProperty('10', 'Top-ups net of refunds (USD, a decimal string)'))
  readonly topUps!: string;
  @ApiProperty(usdProperty('1'))
  readonly bonuses!: string;
  @ApiProperty(usdProperty('0'))
  readonly gifts!: string;
  @ApiProperty(usdProperty('0'))
  readonly referrals!: string;
  @ApiProperty(usdProperty('0'))
  readonly compensations!: string;
  @ApiProperty(usdProperty('0', 'Signed (USD, a decimal string)'))
  readonly adjustments!: string;
  @ApiProperty(usdProperty('0', 'Subtracted by the total (USD, a decimal string)'))
  readonly expired!: string;
  @ApiProperty(usdProperty('0.5', 'Subtracted by the total (USD, a decimal string)'))
  readonly usage!: string;
  @ApiProperty(usdProperty('10.5'))
  readonly totalBalance!: string;
  @ApiProperty({ example: 7 })
  readonly version!: number;
  @ApiProperty({ example: '2026-11-30T12:00:00.000Z' })
  readonly asOf!: string;
}

/** One row of `GET /v1/accounts/{accountId}/transactions`. */
export class TransactionResponse implements TransactionView {
  @ApiProperty({ example: 'evt_01J9' })
  readonly id!: string;
  @ApiProperty({ example: '2026-11-30T12:00:00.000Z' })
  readonly occurredAt!: string;
  @ApiProperty(usdProperty('-0.05', 'Signed: credits positive; usage, expiries, refunds negative'))
  readonly amount!: string;
  @ApiProperty({ example: 'usage' })
  readonly type!: string;
  @ApiPropertyOptional({ example: 'card' })
  readonly method?: string;
  @ApiProperty({ example: 'API usage' })
  readonly description!: string;
  @ApiPropertyOptional({ example: 'in_01J9' })
  readonly invoiceId?: string;
  @ApiPropertyOptional({ description: 'Usage rows: the API key' })
  readonly apiKeyId?: string;
  @ApiPropertyOptional({ description: "Usage rows: the requests the day's row adds up" })
  readonly requestCount?: number;
}

/** `GET /v1/accounts/{accountId}/transactions`: one page, newest first. */
export class TransactionPageResponse implements TransactionPage {
  @ApiProperty({ type: [TransactionResponse] })
  readonly data!: readonly TransactionResponse[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next (older) page; null on the last page',
  })
  readonly nextCursor!: string | null;
}

/** One group of `GET /v1/accounts/{accountId}/usage`: the sums over its requests. */
export class UsageRowResponse implements UsageRowView {
  @ApiPropertyOptional({ example: '2026-11-27', description: 'groupBy=day: the UTC day' })
  readonly day?: string;
  @ApiPropertyOptional({ example: 'gpt-4o-mini', description: 'groupBy=model: the model' })
  readonly model?: string;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    example: 'key_01J9',
    description: 'groupBy=apiKey: the API key; null for requests that reported none',
  })
  readonly apiKeyId?: string | null;
  @ApiProperty(usdProperty('0.007'))
  readonly cost!: string;
  @ApiProperty({ example: 3 })
  readonly requests!: number;
  @ApiProperty({ example: 1200 })
  readonly inputTokens!: number;
  @ApiProperty({ example: 400 })
  readonly outputTokens!: number;
  @ApiProperty({ example: 0, description: '0 where none were reported' })
  readonly cachedInputTokens!: number;
  @ApiProperty({ example: 0, description: '0 where none were reported' })
  readonly cacheWriteTokens!: number;
  @ApiProperty({ example: 0, description: '0 where none were reported' })
  readonly reasoningTokens!: number;
}

export class UsageTotalResponse implements UsageTotals {
  @ApiProperty(usdProperty('0.007'))
  readonly cost!: string;
  @ApiProperty({ example: 3 })
  readonly requests!: number;
}

/** `GET /v1/accounts/{accountId}/usage`: cost over whole UTC days, both ends included. */
export class UsageResponse implements UsageView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty({ example: '2026-11-01', description: 'The first UTC day' })
  readonly from!: string;
  @ApiProperty({ example: '2026-11-30', description: 'The last UTC day' })
  readonly to!: string;
  @ApiProperty({ enum: USAGE_GROUPINGS })
  readonly groupBy!: UsageGrouping;
  @ApiProperty({
    type: [UsageRowResponse],
    description: 'By day: oldest first; by model or key: costliest first',
  })
  readonly data!: readonly UsageRowResponse[];
  @ApiProperty({ type: UsageTotalResponse })
  readonly total!: UsageTotalResponse;
}

/** Where an event sits in the ledger: what an auditor looks it up by (the audit routes). */
export class LedgerEventRefResponse implements LedgerEventRef {
  @ApiProperty({ example: 'evt_01J9' })
  readonly eventId!: string;
  @ApiProperty({ example: 'UsageCharged' })
  readonly type!: string;
  @ApiProperty({ example: 'account-acct_42' })
  readonly streamId!: string;
  @ApiProperty({ example: 7 })
  readonly streamVersion!: number;
  @ApiProperty({ example: '1042', description: 'The global log position (an int8, as a string)' })
  readonly position!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly recordedAt!: string;
}

export class RequestTokensResponse implements RequestTokens {
  @ApiProperty({ example: 1200 })
  readonly input!: number;
  @ApiProperty({ example: 0 })
  readonly cachedInput!: number;
  @ApiProperty({ example: 0 })
  readonly cacheWrite!: number;
  @ApiProperty({ example: 400 })
  readonly output!: number;
  @ApiProperty({ example: 0 })
  readonly reasoning!: number;
}

/** USD per million tokens of each kind. */
export class UnitPricesResponse implements UnitPricesView {
  @ApiProperty(usdProperty('0.15'))
  readonly input!: string;
  @ApiProperty(usdProperty('0.6'))
  readonly output!: string;
  @ApiProperty(usdProperty('0.075'))
  readonly cachedInput!: string;
  @ApiProperty(usdProperty('0.15'))
  readonly cacheWrite!: string;
}

export class RequestPriceResponse implements RequestPrice {
  @ApiProperty({ example: '2026-11-01', description: 'The catalog price version' })
  readonly version!: string;
  @ApiProperty({
    type: UnitPricesResponse,
    nullable: true,
    description: 'null for a charge recorded before usage carried its unit prices',
  })
  readonly perMillionTokens!: UnitPricesResponse | null;
}

export class DrawResponse implements DrawView {
  @ApiProperty({ example: 'lot_01J9' })
  readonly lotId!: string;
  @ApiProperty({ example: 'bonus' })
  readonly kind!: string;
  @ApiProperty(usdProperty('0.0004', 'What the charge took from the lot (USD, a decimal string)'))
  readonly amount!: string;
  @ApiProperty({
    type: LedgerEventRefResponse,
    nullable: true,
    description: 'The credit event that opened the lot',
  })
  readonly lotOpenedBy!: LedgerEventRefResponse | null;
}

export class RequestHoldResponse implements RequestHold {
  @ApiProperty({ example: 'hold_01J9' })
  readonly holdId!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '0.0004',
    description: 'What the charge captured (USD, a decimal string); null when the hold had ended',
  })
  readonly captured!: string | null;
  @ApiProperty({ type: LedgerEventRefResponse, nullable: true })
  readonly placedBy!: LedgerEventRefResponse | null;
}

/** `GET /v1/accounts/{accountId}/requests/{requestId}`: one charged request explained. */
export class RequestExplanationResponse implements RequestExplanationView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty({ example: 'req_01J9' })
  readonly requestId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'key_01J9' })
  readonly apiKeyId!: string | null;
  @ApiProperty({ example: 'gpt-4o-mini' })
  readonly model!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly completedAt!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly chargedAt!: string;
  @ApiProperty({ type: RequestTokensResponse, description: 'A kind not reported is 0' })
  readonly tokens!: RequestTokensResponse;
  @ApiProperty({ type: RequestPriceResponse })
  readonly price!: RequestPriceResponse;
  @ApiProperty(usdProperty('0.0004'))
  readonly cost!: string;
  @ApiProperty({
    type: [DrawResponse],
    description: 'In consumption order; with debtIncurred they add up to cost',
  })
  readonly draws!: readonly DrawResponse[];
  @ApiProperty(usdProperty('0', 'The part of the cost no lot covered (USD, a decimal string)'))
  readonly debtIncurred!: string;
  @ApiProperty({
    type: RequestHoldResponse,
    nullable: true,
    description: 'The hold the request was admitted with; null when it had none',
  })
  readonly hold!: RequestHoldResponse | null;
  @ApiProperty({ type: LedgerEventRefResponse, description: 'The UsageCharged event' })
  readonly chargedBy!: LedgerEventRefResponse;
}

// The audit routes (`/v1/audit`): the stored events and their hash chain.

/** One stored event: its JSON as stored and its place in the hash chain. */
export class AuditEventResponse implements AuditEventView {
  @ApiProperty({ example: '1042', description: 'The global log position (an int8, as a string)' })
  readonly position!: string;
  @ApiProperty({ example: 7, description: 'The version in the account stream' })
  readonly version!: number;
  @ApiProperty({ example: 'UsageCharged' })
  readonly type!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly occurredAt!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly recordedAt!: string;
  @ApiProperty({ example: 'evt_01J9' })
  readonly eventId!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "The event's data as stored (its shape is the event type's)",
  })
  readonly data!: unknown;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'As stored' })
  readonly metadata!: unknown;
  @ApiProperty({
    description: "The hash of the stream's event before it (SHA-256, hex; 64 zeros for the first)",
  })
  readonly prevHash!: string;
  @ApiProperty({ description: "This event's hash (SHA-256, hex)" })
  readonly hash!: string;
}

/** `GET /v1/audit/accounts/{accountId}/events`: an account's stream, in version order. */
export class AccountEventsPageResponse implements AccountEventsPage {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty({ type: [AuditEventResponse] })
  readonly data!: readonly AuditEventResponse[];
  @ApiProperty({
    type: Number,
    nullable: true,
    example: 101,
    description: 'Pass as `fromVersion` for the next page; null when the stream ends here',
  })
  readonly nextFromVersion!: number | null;
}

export class LogEventResponse extends AuditEventResponse implements LogEventView {
  @ApiProperty({ example: 'account-acct_42' })
  readonly streamId!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'acct_42',
    description: "null for a stream that is not an account's",
  })
  readonly accountId!: string | null;
}

/** `GET /v1/audit/events`: the global log of every account, in the store's order. */
export class LogPageResponse implements LogPage {
  @ApiProperty({ type: [LogEventResponse] })
  readonly data!: readonly LogEventResponse[];
  @ApiProperty({
    example: '1042',
    description: 'Pass as `after` to continue; the same cursor again when nothing new was there',
  })
  readonly nextCursor!: string;
}

export class ChainBreakResponse implements ChainBreak {
  @ApiProperty({ example: 8 })
  readonly version!: number;
  @ApiProperty({
    example: 'hash_mismatch',
    description:
      'version_gap, prev_hash_mismatch, hash_mismatch, head_mismatch or unreadable_event',
  })
  readonly reason!: string;
}

/** `GET /v1/audit/accounts/{accountId}/verify`: the account's hash chain recomputed. */
export class ChainVerificationResponse implements ChainVerificationView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty({ example: true })
  readonly ok!: boolean;
  @ApiProperty({ example: 7 })
  readonly events!: number;
  @ApiProperty({ description: 'The hash of the last event checked (SHA-256, hex)' })
  readonly headHash!: string;
  @ApiPropertyOptional({ type: ChainBreakResponse, description: 'Where the chain first breaks' })
  readonly firstBreak?: ChainBreakResponse;
}

// The projections' runs (`/v1/admin/projections`).

export class ProjectionRunProgressResponse implements ProjectionRunProgress {
  @ApiProperty({ example: 'folding the event log' })
  readonly phase!: string;
  @ApiProperty({ example: 1200 })
  readonly eventsDone!: number;
  @ApiProperty({ type: Number, nullable: true, example: 4000, description: 'Once known' })
  readonly eventsTotal!: number | null;
  @ApiProperty({ type: Number, nullable: true, example: 12 })
  readonly accounts!: number | null;
}

export class AccountThatDiffersResponse implements AccountThatDiffers {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty({ type: [String] })
  readonly problems!: readonly string[];
  @ApiProperty({ example: 0, description: 'Problems of this account left out of problems' })
  readonly moreProblems!: number;
}

/** What a finished verify found. */
export class VerifySummaryResponse implements Summary<'verify'> {
  @ApiProperty({ enum: ['verify'] })
  readonly kind!: 'verify';
  @ApiProperty({ example: 12 })
  readonly accounts!: number;
  @ApiProperty({ example: 4000 })
  readonly events!: number;
  @ApiProperty({ example: 0, description: 'How many accounts differ from the event log, all' })
  readonly differences!: number;
  @ApiProperty({ type: [AccountThatDiffersResponse], description: 'The first of them' })
  readonly accountsThatDiffer!: readonly AccountThatDiffersResponse[];
}

/** What a finished rebuild did. */
export class RebuildSummaryResponse implements Summary<'rebuild'> {
  @ApiProperty({ enum: ['rebuild'] })
  readonly kind!: 'rebuild';
  @ApiProperty({ example: 12 })
  readonly accounts!: number;
  @ApiProperty({ example: 4000 })
  readonly events!: number;
  @ApiProperty({ example: 0, description: 'Events appended during the replay, folded in' })
  readonly caughtUp!: number;
  @ApiProperty({ example: 1.25 })
  readonly seconds!: number;
}

/** Why a run did not finish. */
export class ErrorSummaryResponse implements Summary<'error'> {
  @ApiProperty({ enum: ['error'] })
  readonly kind!: 'error';
  @ApiProperty({ example: 'the process running it stopped sending heartbeats' })
  readonly error!: string;
}

/** The models the summary's variants are, for the controller's `@ApiExtraModels`. */
export const RUN_SUMMARY_MODELS = [
  VerifySummaryResponse,
  RebuildSummaryResponse,
  ErrorSummaryResponse,
];

/** `GET /v1/admin/projections/runs/{runId}`: a rebuild or verify, running or finished. */
export class ProjectionRunResponse implements ProjectionRunView {
  @ApiProperty({ example: '0b9f1f3e-2c1e-4c55-9a52-0c3c9b0d6a71' })
  readonly runId!: string;
  @ApiProperty({ enum: RUN_KINDS })
  readonly kind!: RunKind;
  @ApiProperty({ type: [String], example: ['balances'] })
  readonly projections!: readonly string[];
  @ApiProperty({ enum: ['cli', 'admin'] })
  readonly startedBy!: RunStartedBy;
  @ApiProperty({ enum: RUN_STATUSES })
  readonly status!: RunStatus;
  @ApiProperty(INSTANT_PROPERTY)
  readonly startedAt!: string;
  @ApiProperty({
    ...NULLABLE_INSTANT_PROPERTY,
    description: 'For an abandoned run, its last heartbeat; null while it runs',
  })
  readonly finishedAt!: string | null;
  @ApiProperty({ type: ProjectionRunProgressResponse })
  readonly progress!: ProjectionRunProgressResponse;
  @ApiProperty({
    oneOf: RUN_SUMMARY_MODELS.map((model) => ({ $ref: getSchemaPath(model) })),
    nullable: true,
    description: 'What a finished run found, by its kind; null while it runs',
  })
  readonly summary!: RunSummary | null;
}

export class ProjectionStatusResponse implements ProjectionStatusView {
  @ApiProperty({ enum: PROJECTION_NAMES })
  readonly name!: ProjectionName;
  @ApiProperty({ type: ProjectionRunResponse, nullable: true })
  readonly lastRebuild!: ProjectionRunResponse | null;
  @ApiProperty({ type: ProjectionRunResponse, nullable: true })
  readonly lastVerify!: ProjectionRunResponse | null;
}

/** `GET /v1/admin/projections`: each projection's last rebuild and verify, and the runs in flight. */
export class ProjectionsResponse implements ProjectionsView {
  @ApiProperty({ type: [ProjectionStatusResponse] })
  readonly projections!: readonly ProjectionStatusResponse[];
  @ApiProperty({ type: [ProjectionRunResponse], description: 'At most one of each kind' })
  readonly running!: readonly ProjectionRunResponse[];
}

/** `POST /v1/admin/projections/verify`: the run started, to poll. */
export class StartedVerifyResponse {
  @ApiProperty({ example: '0b9f1f3e-2c1e-4c55-9a52-0c3c9b0d6a71' })
  readonly runId!: string;
}
