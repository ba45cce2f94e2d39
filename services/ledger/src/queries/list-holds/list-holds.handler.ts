import { formatUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { LedgerWriter } from '../../infrastructure/ledger-writer.js';
import { LEDGER_OPTIONS, type ResolvedLedgerOptions } from '../../ledger.options.js';
import { ListHoldsQuery, type HoldListView } from './list-holds.query.js';

@QueryHandler(ListHoldsQuery)
export class ListHoldsHandler implements IQueryHandler<ListHoldsQuery> {
  constructor(
    private readonly writer: LedgerWriter,
    @Inject(LEDGER_OPTIONS) private readonly options: ResolvedLedgerOptions,
  ) {}

  async execute({ accountId }: ListHoldsQuery): Promise<HoldListView> {
    // Folded from the committed stream, never from the write cache (which may hold a state whose
    // transaction has not committed yet). Holds past their expiry that the scheduler has not
    // expired yet no longer hold anything, so they are not shown.
    const { state } = await this.writer.load(accountId);
    const nowMs = this.options.nowMs();
    const active = [...state.holds.values()]
      .filter((hold) => hold.expiresAtMs > nowMs)
      .sort((a, b) => a.expiresAtMs - b.expiresAtMs || a.holdId.localeCompare(b.holdId));
    return {
      accountId,
      data: active.map((hold) => ({
        holdId: hold.holdId,
        amount: formatUsd(hold.amountNanos),
        expiresAt: new Date(hold.expiresAtMs).toISOString(),
      })),
      held: formatUsd(active.reduce((sum, hold) => sum + hold.amountNanos, 0n)),
    };
  }
}
