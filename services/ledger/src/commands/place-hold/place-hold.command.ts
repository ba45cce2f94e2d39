import { Command } from '@nestjs/cqrs';
import type { KeySpendLimits, LedgerOutcome } from '../../domain/index.js';

export type HoldResult = LedgerOutcome<{
  readonly holdId: string;
  readonly availableNanos: bigint;
}>;

/** The API key a hold admits a request of, and that key's spend limits (none: unlimited). */
export interface HoldKey {
  readonly apiKeyId: string;
  readonly limits: KeySpendLimits;
}

/**
 * Reserve `amountNanos` of an account's Available for a request about to run upstream
 * (`POST /v1/accounts/{accountId}/holds`). Refused with LEDGER.INSUFFICIENT_FUNDS when Available
 * would go below zero, and with LEDGER.KEY_DAILY_/MONTHLY_SPEND_LIMIT_REACHED when `key`'s spend
 * in the period would pass its limit (decided together, on one state); placing the same hold
 * again answers as the first time.
 */
export class PlaceHoldCommand extends Command<HoldResult> {
  constructor(
    readonly accountId: string,
    readonly holdId: string,
    readonly amountNanos: bigint,
    readonly ttlSeconds: number,
    readonly key?: HoldKey,
  ) {
    super();
  }
}
