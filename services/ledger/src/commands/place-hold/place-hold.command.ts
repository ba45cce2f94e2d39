import { Command } from '@nestjs/cqrs';
import type { LedgerOutcome } from '../../domain/index.js';

export type HoldResult = LedgerOutcome<{
  readonly holdId: string;
  readonly availableNanos: bigint;
}>;

/**
 * Reserve `amountNanos` of an account's Available for a request about to run upstream
 * (`POST /v1/accounts/{accountId}/holds`). Refused with LEDGER.INSUFFICIENT_FUNDS when Available
 * would go below zero; placing the same hold again answers as the first time.
 */
export class PlaceHoldCommand extends Command<HoldResult> {
  constructor(
    readonly accountId: string,
    readonly holdId: string,
    readonly amountNanos: bigint,
    readonly ttlSeconds: number,
  ) {
    super();
  }
}
