import { Query } from '@nestjs/cqrs';

/** `GET /v1/accounts/{accountId}/credits-breakdown` (CONTRACTS.md), plus the account and instant. */
export interface CreditsBreakdownView {
  readonly accountId: string;
  readonly topUps: string;
  readonly bonuses: string;
  readonly gifts: string;
  readonly referrals: string;
  readonly compensations: string;
  readonly adjustments: string;
  readonly expired: string;
  readonly usage: string;
  readonly totalBalance: string;
  readonly version: number;
  readonly asOf: string;
}

/**
 * Where the balance came from: credits granted by kind, minus usage and expired credits
 * (top-ups and bonuses net of refunds). Now from the `breakdowns` projection, or as of a past
 * instant folded from the log.
 */
export class GetCreditsBreakdownQuery extends Query<CreditsBreakdownView> {
  constructor(
    readonly accountId: string,
    readonly asOf?: Date,
  ) {
    super();
  }
}
