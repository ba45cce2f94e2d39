import { Command } from '@nestjs/cqrs';
import type { HoldResult } from '../place-hold/place-hold.command.js';

/**
 * Give a hold back before its TTL (`DELETE /v1/accounts/{accountId}/holds/{holdId}`): the request
 * it admitted never ran. Releasing a hold already released, captured or expired changes nothing.
 */
export class ReleaseHoldCommand extends Command<HoldResult> {
  constructor(
    readonly accountId: string,
    readonly holdId: string,
  ) {
    super();
  }
}
