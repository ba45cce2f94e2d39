import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AccountWriteQueue } from '../../infrastructure/account-write-queue.js';
import { LedgerMetrics } from '../../infrastructure/ledger-metrics.js';
import { type HoldResult, PlaceHoldCommand } from './place-hold.command.js';

@CommandHandler(PlaceHoldCommand)
export class PlaceHoldHandler implements ICommandHandler<PlaceHoldCommand> {
  constructor(
    private readonly queue: AccountWriteQueue,
    private readonly metrics: LedgerMetrics,
  ) {}

  async execute({
    accountId,
    holdId,
    amountNanos,
    ttlSeconds,
    key,
  }: PlaceHoldCommand): Promise<HoldResult> {
    const outcome = await this.queue.submit({
      accountId,
      command: (nowMs) => ({
        type: 'PlaceHold',
        data: {
          holdId,
          amountNanos,
          ttlSeconds,
          nowMs,
          ...(key !== undefined && { apiKeyId: key.apiKeyId, keySpendLimits: key.limits }),
        },
      }),
      cause: { type: 'PlaceHold', id: holdId },
    });
    if (outcome.kind === 'refused') {
      this.metrics.holdRefused(outcome.error.code);
      return { ok: false, error: outcome.error };
    }
    if (outcome.kind === 'applied' && outcome.events.some((e) => e.type === 'HoldPlaced')) {
      this.metrics.holdPlaced();
    }
    return { ok: true, holdId, availableNanos: outcome.balance.availableNanos };
  }
}
