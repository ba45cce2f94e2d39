import { INSTANT_PROPERTY, usdProperty } from '@billing/service-kit';
import { ApiProperty } from '@nestjs/swagger';
import type {
  ClaimPage,
  ClaimRequestView,
  ClaimView,
} from '../queries/list-claims/list-claims.query.js';
import type {
  RequestLogPage,
  RequestLogView,
} from '../queries/list-requests/list-requests.query.js';

// The answers' schemas in the OpenAPI document (`/docs`), for clients to read and for the console's
// check (apps/console/src/api-contract.spec.ts). Each class implements the view its handler returns,
// so a field the view gains must be declared here too.

const nullableCount = (description: string) => ({
  type: Number,
  nullable: true,
  example: 0,
  description,
});
const nextCursor = {
  type: String,
  nullable: true,
  description: 'Pass as `cursor` for the next page; null on the last page',
};

/** One priced request of the request log. */
export class RequestLogResponse implements RequestLogView {
  @ApiProperty({ example: 'req_01J9' })
  readonly requestId!: string;
  @ApiProperty({ type: String, nullable: true, example: 'key_01J9' })
  readonly apiKeyId!: string | null;
  @ApiProperty({ example: 'gpt-4o-mini' })
  readonly model!: string;
  @ApiProperty({ example: 'succeeded', description: 'succeeded, failed or cancelled' })
  readonly status!: string;
  @ApiProperty({ example: 1200 })
  readonly inputTokens!: number;
  @ApiProperty({ example: 400 })
  readonly outputTokens!: number;
  @ApiProperty(nullableCount('null when not reported'))
  readonly cachedInputTokens!: number | null;
  @ApiProperty(nullableCount('null when not reported'))
  readonly cacheWriteTokens!: number | null;
  @ApiProperty(nullableCount('null when not reported'))
  readonly reasoningTokens!: number | null;
  @ApiProperty({
    example: false,
    description: "The token counts are an estimate, not the upstream's",
  })
  readonly estimated!: boolean;
  @ApiProperty(usdProperty('0.000153', 'What the request was charged (USD, a decimal string)'))
  readonly cost!: string;
  @ApiProperty({ example: '2026-11-01', description: 'The catalog price version it was priced at' })
  readonly priceVersion!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly startedAt!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly completedAt!: string;
  @ApiProperty({ example: 840 })
  readonly latencyMs!: number;
  @ApiProperty(INSTANT_PROPERTY)
  readonly recordedAt!: string;
}

/** `GET /v1/accounts/{accountId}/requests`: one page, newest first. */
export class RequestLogPageResponse implements RequestLogPage {
  @ApiProperty({ type: [RequestLogResponse] })
  readonly data!: readonly RequestLogResponse[];
  @ApiProperty(nextCursor)
  readonly nextCursor!: string | null;
}

/** A request a claim compensates, as the request log has it. */
export class ClaimRequestResponse implements ClaimRequestView {
  @ApiProperty({ example: 'req_01J9' })
  readonly requestId!: string;
  @ApiProperty({ example: 'gpt-4o-mini' })
  readonly model!: string;
  @ApiProperty({ example: 'failed', description: 'succeeded, failed or cancelled' })
  readonly status!: string;
  @ApiProperty(usdProperty('0.000153'))
  readonly cost!: string;
  @ApiProperty(nullableCount('Time to first token in ms; null when not streamed'))
  readonly ttftMs!: number | null;
  @ApiProperty(INSTANT_PROPERTY)
  readonly startedAt!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly completedAt!: string;
}

/** One AI-insurance claim. */
export class ClaimResponse implements ClaimView {
  @ApiProperty({ example: 'clm_01J9' })
  readonly claimId!: string;
  @ApiProperty({
    example: 'cmp_01J9',
    description: "The compensation credited (the history's row)",
  })
  readonly compensationId!: string;
  @ApiProperty({ example: 'failed_charged', description: 'failed_charged or slow_first_token' })
  readonly rule!: string;
  @ApiProperty({ example: '2026-12-01', description: 'The compensation policy version' })
  readonly policyVersion!: string;
  @ApiProperty(usdProperty('0.000153', 'What the claim credited (USD, a decimal string)'))
  readonly amount!: string;
  @ApiProperty({ description: 'Why the request earned it, in words' })
  readonly reason!: string;
  @ApiProperty({ type: [String], example: ['req_01J9'] })
  readonly requestIds!: readonly string[];
  @ApiProperty({ type: [ClaimRequestResponse] })
  readonly requests!: readonly ClaimRequestResponse[];
  @ApiProperty(INSTANT_PROPERTY)
  readonly issuedAt!: string;
}

/** `GET /v1/accounts/{accountId}/claims`: one page, newest first. */
export class ClaimPageResponse implements ClaimPage {
  @ApiProperty({ type: [ClaimResponse] })
  readonly data!: readonly ClaimResponse[];
  @ApiProperty(nextCursor)
  readonly nextCursor!: string | null;
}
