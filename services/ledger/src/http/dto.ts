import { AccountParams, PageQuery } from '@billing/service-kit';
import { MAX_ID_LENGTH } from '@billing/contracts';
import { tryParseUsd } from '@billing/money';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  type ValidationOptions,
} from 'class-validator';
import { TRANSACTION_TYPES, type TransactionType } from '../domain/index.js';
import { USAGE_GROUPINGS, type UsageGrouping } from '../queries/get-usage/get-usage.query.js';

/** A positive decimal USD string with at most 9 fraction digits ("0.05"), as CONTRACTS.md says. */
function IsPositiveUsd(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isPositiveUsd',
      validator: {
        validate: (value: unknown) => {
          const nanos = tryParseUsd(value);
          return nanos !== undefined && nanos > 0n;
        },
        defaultMessage: (args) =>
          `${args?.property ?? 'amount'} must be a positive decimal USD string with at most 9 fraction digits, e.g. "0.05"`,
      },
    },
    options,
  );
}

/** A source id (hold id, ...): what the contract calls an id, without whitespace. */
const ID = /^\S+$/;

// The account path parameter is shared by every service; re-exported for the controllers.
export { AccountParams };

export class HoldParams extends AccountParams {
  @ApiProperty({ example: 'hold_01J9' })
  @Length(1, MAX_ID_LENGTH)
  @Matches(ID, { message: 'holdId must not contain whitespace' })
  holdId!: string;
}

export class RequestParams extends AccountParams {
  @ApiProperty({ example: 'req_01J9', description: "The request id (the gateway's x-request-id)" })
  @Length(1, MAX_ID_LENGTH, { message: `requestId must be 1 to ${MAX_ID_LENGTH} characters` })
  @Matches(ID, { message: 'requestId must not contain whitespace' })
  requestId!: string;
}

export class AsOfQuery {
  @ApiPropertyOptional({ description: 'An ISO-8601 instant: the answer as the ledger stood then' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'asOf must be an ISO-8601 time' })
  asOf?: string;
}

/**
 * The `type` filter of the transaction history: one or more transaction types, comma-separated
 * (`gift` or `top_up,bonus`), without repeats; undefined when the text is anything else.
 */
export function parseTransactionTypes(text: unknown): TransactionType[] | undefined {
  if (typeof text !== 'string') return undefined;
  const parts = text.split(',');
  const known = new Set<string>(TRANSACTION_TYPES);
  if (!parts.every((p) => known.has(p)) || new Set(parts).size !== parts.length) return undefined;
  return parts as TransactionType[];
}

export class TransactionsQuery extends PageQuery(200, 50) {
  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_-]{1,512}$/, { message: 'cursor is not valid' })
  cursor?: string;

  @ApiPropertyOptional({
    description: `Only rows of these types, comma-separated: ${TRANSACTION_TYPES.join(', ')}`,
    example: 'top_up,bonus',
  })
  @IsOptional()
  @ValidateBy({
    name: 'isTransactionTypeList',
    validator: {
      validate: (value: unknown) => parseTransactionTypes(value) !== undefined,
      defaultMessage: () =>
        `type must be one or more of ${TRANSACTION_TYPES.join(', ')}, comma-separated, each once`,
    },
  })
  type?: string;

  @ApiPropertyOptional({
    description: 'Only rows from this UTC day on (YYYY-MM-DD, or an ISO instant: its UTC day)',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'from must be an ISO-8601 date' })
  from?: string;

  @ApiPropertyOptional({
    description:
      'Only rows up to this UTC day, included (YYYY-MM-DD, or an ISO instant: its UTC day)',
  })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'to must be an ISO-8601 date' })
  to?: string;
}

export class UsageQuery {
  @ApiPropertyOptional({ description: 'First UTC day included (YYYY-MM-DD or an ISO instant)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'from must be an ISO-8601 date' })
  from?: string;

  @ApiPropertyOptional({ description: 'Last UTC day included (YYYY-MM-DD or an ISO instant)' })
  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'to must be an ISO-8601 date' })
  to?: string;

  @ApiPropertyOptional({ enum: USAGE_GROUPINGS, default: 'day' })
  @IsOptional()
  @IsIn(USAGE_GROUPINGS, { message: 'groupBy must be one of day, model, apiKey' })
  groupBy?: UsageGrouping;
}

export class PlaceHoldBody {
  @ApiProperty({
    example: 'hold_01J9',
    description: 'Chosen by the caller; placing it again is idempotent',
  })
  @IsString()
  @Length(1, MAX_ID_LENGTH)
  @Matches(ID, { message: 'holdId must not contain whitespace' })
  holdId!: string;

  @ApiProperty({ example: '0.05', description: 'USD, a decimal string' })
  @IsPositiveUsd()
  amount!: string;

  @ApiProperty({ example: 300, minimum: 1, maximum: 86_400 })
  @IsInt({ message: 'ttlSeconds must be an integer' })
  @Min(1)
  @Max(86_400)
  ttlSeconds!: number;

  @ApiPropertyOptional({
    example: 'key_01J9',
    description:
      "The API key whose request the hold admits: it counts against the key's spend (issue #17)",
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_ID_LENGTH)
  @Matches(ID, { message: 'apiKeyId must not contain whitespace' })
  apiKeyId?: string;

  @ApiPropertyOptional({
    example: '5',
    description:
      "The key's daily spend limit (USD, UTC day): the hold is refused with 402 " +
      "LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED if the key's charges today + its open holds + this " +
      'hold would exceed it. Needs apiKeyId.',
  })
  @IsOptional()
  @IsPositiveUsd()
  dailySpendLimit?: string;

  @ApiPropertyOptional({
    example: '100',
    description:
      "The key's monthly spend limit (USD, UTC calendar month), as dailySpendLimit " +
      '(LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED). Needs apiKeyId.',
  })
  @IsOptional()
  @IsPositiveUsd()
  monthlySpendLimit?: string;
}

export class ExtendHoldBody {
  @ApiProperty({
    example: 300,
    minimum: 1,
    maximum: 86_400,
    description: 'The hold then expires this many seconds from now (never earlier than before)',
  })
  @IsInt({ message: 'ttlSeconds must be an integer' })
  @Min(1)
  @Max(86_400)
  ttlSeconds!: number;
}

export class AccountEventsQuery extends PageQuery(1000, 100) {
  @ApiPropertyOptional({ minimum: 1, default: 1 })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: 'fromVersion must be an integer' })
  @Min(1)
  fromVersion?: number;
}

export class LogQuery extends PageQuery(1000, 100) {
  @ApiPropertyOptional({ description: 'The nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,20}\.\d{1,20}$/, { message: 'after must be a cursor returned by this route' })
  after?: string;
}

export class ProjectionRunParams {
  @ApiProperty({ example: '0b9f1f3e-2c1e-4c55-9a52-0c3c9b0d6a71', description: 'The run id' })
  @Length(1, 64)
  @Matches(ID, { message: 'runId must not contain whitespace' })
  runId!: string;
}
