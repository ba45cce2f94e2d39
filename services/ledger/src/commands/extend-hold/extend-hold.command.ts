import { Command } from '@nestjs/cqrs';
import type { LedgerOutcome } from '../../domain/index.js';

export type ExtendHoldResult = LedgerOutcome<{
  readonly holdId: string;
  readonly expiresAtMs: number;
}>;

/**
 * Keep a running request's hold (`POST /v1/accounts/{accountId}/holds/{holdId}/extend`): the
 * gateway calls it while a stream is alive, so that the hold never expires under a request that
 * is still spending. Refused with LEDGER.HOLD_CLOSED once the hold was captured, released or
 * has expired: the request must then stop.
 */
export class ExtendHoldCommand extends Command<ExtendHoldResult> {
  constructor(
    readonly accountId: string,
    readonly holdId: string,
    readonly ttlSeconds: number,
  ) {
    super();
  }
}
