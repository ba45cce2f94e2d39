import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCOUNT_ID_PATTERN } from '@billing/contracts';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** The `{accountId}` path parameter of every `/v1/accounts/{accountId}/...` route. */
export class AccountParams {
  @ApiProperty({ example: 'acct_42', pattern: ACCOUNT_ID_PATTERN.source })
  @Matches(ACCOUNT_ID_PATTERN, { message: 'accountId must match ^[A-Za-z0-9_-]{1,64}$' })
  accountId!: string;
}

/** A query class with the paging `limit` of a list route. */
export type PageQueryClass = new () => { limit?: number };

/**
 * The `?limit=` of every paged list route: an integer from 1 to `max`, `defaultLimit` when absent
 * (the handler applies the default; the DTO only documents it). A route's query class extends it
 * with its own fields (`class TransactionsQuery extends PageQuery(200, 50) { cursor?: string }`).
 */
export function PageQuery(max: number, defaultLimit: number): PageQueryClass {
  class Page {
    @ApiPropertyOptional({ minimum: 1, maximum: max, default: defaultLimit })
    @IsOptional()
    @Type(() => Number)
    @IsInt({ message: 'limit must be an integer' })
    @Min(1)
    @Max(max)
    limit?: number;
  }
  return Page;
}
