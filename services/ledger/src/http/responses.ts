import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type {
  TransactionPage,
  TransactionView,
} from '../queries/list-transactions/list-transactions.query.js';
import type { BalanceView } from '../queries/get-balance/get-balance.query.js';
import type { CreditsBreakdownView } from '../queries/get-credits-breakdown/get-credits-breakdown.query.js';

// The answers' schemas in the OpenAPI document (`/docs`), for clients to read and for the console's
// check (apps/console/src/api-contract.spec.ts). Each class implements the view its handler returns,
// so a field the view gains must be declared here too.

const usd = (example: string, description = 'USD, a decimal string') => ({ example, description });

/** `GET /v1/accounts/{accountId}/balance`. */
export class BalanceResponse implements BalanceView {
  @ApiProperty({ example: 'acct_42' })
  readonly accountId!: string;
  @ApiProperty(usd('12.5', 'Top-up plus bonus and compensation credits (USD, a decimal string)'))
  readonly total!: string;
  @ApiProperty(usd('10'))
  readonly topUp!: string;
  @ApiProperty(usd('2.5'))
  readonly bonusAndCompensation!: string;
  @ApiProperty(usd('0.05', 'Held by requests in flight (USD, a decimal string)'))
  readonly held!: string;
  @ApiProperty(usd('12.45', 'total minus held (USD, a decimal string)'))
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
  @ApiProperty(usd('10', 'Top-ups net of refunds (USD, a decimal string)'))
  readonly topUps!: string;
  @ApiProperty(usd('1'))
  readonly bonuses!: string;
  @ApiProperty(usd('0'))
  readonly gifts!: string;
  @ApiProperty(usd('0'))
  readonly referrals!: string;
  @ApiProperty(usd('0'))
  readonly compensations!: string;
  @ApiProperty(usd('0', 'Signed (USD, a decimal string)'))
  readonly adjustments!: string;
  @ApiProperty(usd('0', 'Subtracted by the total (USD, a decimal string)'))
  readonly expired!: string;
  @ApiProperty(usd('0.5', 'Subtracted by the total (USD, a decimal string)'))
  readonly usage!: string;
  @ApiProperty(usd('10.5'))
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
  @ApiProperty(usd('-0.05', 'Signed: credits positive; usage, expiries, refunds negative'))
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
