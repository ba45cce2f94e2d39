import { Query } from '@nestjs/cqrs';

export interface ChainVerificationView {
  readonly accountId: string;
  readonly ok: boolean;
  readonly events: number;
  readonly headHash: string;
  readonly firstBreak?: { readonly version: number; readonly reason: string };
}

/**
 * `GET /v1/audit/accounts/{accountId}/verify`: recompute the account's hash chain from the stored
 * rows and say whether the history was rewritten, and where first.
 */
export class VerifyAccountChainQuery extends Query<ChainVerificationView> {
  constructor(readonly accountId: string) {
    super();
  }
}
