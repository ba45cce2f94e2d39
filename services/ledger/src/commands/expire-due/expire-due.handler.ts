import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { AccountWriteQueue } from '../../infrastructure/account-write-queue.js';
import { LedgerMetrics } from '../../infrastructure/ledger-metrics.js';
import { ExpireDueCommand, type ExpireDueResult } from './expire-due.command.js';

@CommandHandler(ExpireDueCommand)
export class ExpireDueHandler implements ICommandHandler<ExpireDueCommand> {
  constructor(
    private readonly queue: AccountWriteQueue,
    private readonly metrics: LedgerMetrics,
  ) {}

  async execute({ accountIds }: ExpireDueCommand): Promise<ExpireDueResult> {
    const outcomes = await Promise.all(
      accountIds.map((accountId) =>
        this.queue.submitAll([
          {
            accountId,
            command: (nowMs) => ({ type: 'ExpireHolds', data: { nowMs } }),
            cause: { type: 'ExpireHolds', id: `expire-holds-${accountId}` },
            refreshSchedule: true,
          },
          {
            accountId,
            command: (nowMs) => ({ type: 'ExpireLots', data: { nowMs } }),
            cause: { type: 'ExpireLots', id: `expire-lots-${accountId}` },
            refreshSchedule: true,
          },
        ]),
      ),
    );
    this.metrics.holdsExpired(
      outcomes
        .flat()
        .reduce(
          (sum, o) =>
            sum +
            (o.kind === 'applied' ? o.events.filter((e) => e.type === 'HoldExpired').length : 0),
          0,
        ),
    );
    const events = outcomes
      .flat()
      .reduce((sum, o) => sum + (o.kind === 'applied' ? o.events.length : 0), 0);
    return { accounts: accountIds.length, events };
  }
}
