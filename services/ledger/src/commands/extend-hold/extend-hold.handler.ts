import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AccountWriteQueue } from '../../infrastructure/account-write-queue.js';
import { type ExtendHoldResult, ExtendHoldCommand } from './extend-hold.command.js';

@CommandHandler(ExtendHoldCommand)
export class ExtendHoldHandler implements ICommandHandler<ExtendHoldCommand> {
  constructor(private readonly queue: AccountWriteQueue) {}

  async execute({ accountId, holdId, ttlSeconds }: ExtendHoldCommand): Promise<ExtendHoldResult> {
    const outcome = await this.queue.submit({
      accountId,
      command: (nowMs) => ({ type: 'ExtendHold', data: { holdId, ttlSeconds, nowMs } }),
      cause: { type: 'ExtendHold', id: holdId },
    });
    if (outcome.kind === 'refused') return { ok: false, error: outcome.error };
    const extended =
      outcome.kind === 'applied'
        ? outcome.events.find((e) => e.type === 'HoldExtended')
        : undefined;
    // ExtendHold has no idempotency key, so it is never a duplicate: an accepted one is appended.
    if (extended?.type !== 'HoldExtended') {
      throw new Error(`extending hold ${holdId} appended no HoldExtended`);
    }
    return { ok: true, holdId, expiresAtMs: extended.data.expiresAtMs };
  }
}
