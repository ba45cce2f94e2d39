import { Query } from '@nestjs/cqrs';

/** One active hold, money as a USD string (CONTRACTS.md). */
export interface HoldItemView {
  readonly holdId: string;
  readonly amount: string;
  readonly expiresAt: string;
}

export interface HoldListView {
  readonly accountId: string;
  readonly data: readonly HoldItemView[];
  /** Their sum: the `held` of the balance once due holds have expired. */
  readonly held: string;
}

/**
 * `GET /v1/accounts/{accountId}/holds`: the account's active holds, soonest expiry first. What an
 * account may see of its holds: it may not place, extend or release them (the gateway does).
 */
export class ListHoldsQuery extends Query<HoldListView> {
  constructor(readonly accountId: string) {
    super();
  }
}
