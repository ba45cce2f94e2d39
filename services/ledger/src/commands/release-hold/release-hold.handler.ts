import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AccountWriteQueue } from '../../infrastructure/account-write-queue.js';
import type { HoldResult } from '../place-hold/place-hold.command.js';
import { ReleaseHoldCommand } from './release-hold.command.js';

@CommandHandler(ReleaseHoldCommand)
export class ReleaseHoldHandler implements ICommandHandler<ReleaseHoldCommand> {
  constructor(private readonly queue: AccountWriteQueue) {}

  async execute({ accountId, holdId }: ReleaseHoldCommand): Promise<HoldResult> {
    const outcome = await this.queue.submit({
      accountId,
      command: (nowMs) => ({ type: 'ReleaseHold', data: { holdId, nowMs } }),
      cause: { type: 'ReleaseHold', id: holdId },
    });
    if (outcome.kind === 'refused') return { ok: false, error: outcome.error };
    return { ok: true, holdId, availableNanos: outcome.balance.availableNanos };
  }
}
