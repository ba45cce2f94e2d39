import { ApiProperty } from '@nestjs/swagger';
import { ACCOUNT_ID_PATTERN } from '@billing/contracts';
import { Matches } from 'class-validator';

/** The `{accountId}` path parameter of every `/v1/accounts/{accountId}/...` route. */
export class AccountParams {
  @ApiProperty({ example: 'acct_42', pattern: ACCOUNT_ID_PATTERN.source })
  @Matches(ACCOUNT_ID_PATTERN, { message: 'accountId must match ^[A-Za-z0-9_-]{1,64}$' })
  accountId!: string;
}
