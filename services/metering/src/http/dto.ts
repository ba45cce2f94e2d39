import { MAX_ID_LENGTH } from '@billing/contracts';
import { PageQuery } from '@billing/service-kit';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
} from 'class-validator';

/**
 * The most UsageObserved one `POST /v1/usage` may carry (one transaction records them all). It
 * also keeps a batch under the 100 KB JSON body limit of the HTTP server (service-kit's default),
 * which answers 413 beyond it.
 */
export const MAX_USAGE_BATCH = 250;

// The account path parameter is shared by every service; re-exported for the controllers.
export { AccountParams } from '@billing/service-kit';

export class ModelsQuery {
  @ApiPropertyOptional({ description: 'Show the prices in force at this instant (default: now)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'at must be an ISO-8601 time' })
  at?: string;
}

/**
 * The body of `PUT /v1/admin/models/{modelId}`. Every field is checked by the domain's
 * `validatePriceUpdate` (which names every problem at once); the decorators only let the fields
 * through the global whitelist.
 */
export class PriceUpdateBody {
  @ApiProperty({
    example: { input: '1.25', output: '10', cachedInput: '0.125', cacheWrite: '1.25' },
    description:
      'USD per million tokens, decimal strings; cachedInput and cacheWrite default to input',
  })
  @Allow()
  prices!: { input: string; output: string; cachedInput?: string; cacheWrite?: string };

  @ApiPropertyOptional({ example: '2026-07-01T00:00:00Z', description: 'Default: now' })
  @Allow()
  effectiveFrom?: string;

  @ApiPropertyOptional({ description: 'Allow an effectiveFrom before now' })
  @Allow()
  allowRetroactive?: boolean;

  @ApiPropertyOptional({ example: 'GPT-5' })
  @Allow()
  displayName?: string;

  @ApiPropertyOptional({ example: 'openai' })
  @Allow()
  provider?: string;

  @ApiPropertyOptional({ example: 400000 })
  @Allow()
  contextWindow?: number;

  @ApiPropertyOptional({ example: 128000 })
  @Allow()
  maxOutputTokens?: number;
}

export class RecordUsageBody {
  @ApiProperty({
    description:
      'UsageObserved data (CONTRACTS.md) plus accountId, one per request; validated one by one ' +
      'against the contract',
    example: [
      {
        accountId: 'acct_42',
        requestId: 'req_01J9',
        apiKeyId: 'key_0f8c',
        model: 'openai/gpt-5',
        inputTokens: 1200,
        cachedInputTokens: 1000,
        outputTokens: 350,
        status: 'succeeded',
        startedAt: '2026-11-27T03:09:30.000Z',
        completedAt: '2026-11-27T03:09:32.123Z',
      },
    ],
  })
  @IsArray({ message: 'events must be an array' })
  @ArrayMinSize(1, { message: 'events must hold at least one event' })
  @ArrayMaxSize(MAX_USAGE_BATCH, { message: `events may hold at most ${MAX_USAGE_BATCH} events` })
  events!: unknown[];
}

export class RequestsQuery extends PageQuery(200, 50) {
  @ApiPropertyOptional({ description: 'Only the requests made with this API key' })
  @IsOptional()
  @IsString()
  @Length(1, MAX_ID_LENGTH)
  apiKeyId?: string;

  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,600}$/, { message: 'cursor is not valid' })
  cursor?: string;
}

export class ClaimsQuery extends PageQuery(200, 50) {
  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,600}$/, { message: 'cursor is not valid' })
  cursor?: string;
}
