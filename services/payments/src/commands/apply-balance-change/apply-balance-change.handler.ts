import { parseUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { onBalanceReported, onTick, type AutoTopUpOutcome } from '../../domain/index.js';
import type { AutoTopUpSettings } from '../../infrastructure/auto-top-up-repository.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { ApplyBalanceChangeCommand } from './apply-balance-change.command.js';
import { randomUUID } from 'node:crypto';

/**
 * Decides, under the settings row lock, whether this report starts an auto top-up. Starting one
 * only writes an in-flight row (`charge_state = 'to_charge'`) and a notification; the charger calls
 * Stripe after this transaction commits, never inside it.
 */
@CommandHandler(ApplyBalanceChangeCommand)
export class ApplyBalanceChangeHandler implements ICommandHandler<ApplyBalanceChangeCommand> {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({ event, client }: ApplyBalanceChangeCommand): Promise<{ charged: string | null }> {
    const settings = await this.store.autoTopUps.get(client, event.accountId, true);
    if (settings === undefined) return { charged: null };
    const nowMs = this.options.nowMs();
    const inFlight = await this.store.topUps.hasAutoInFlight(client, event.accountId);
    const outcome = onBalanceReported(
      settings,
      { totalNanos: parseUsd(event.data.total), version: event.data.version },
      inFlight,
      nowMs,
    );
    return { charged: await startIfDecided(this.store, client, settings, outcome, nowMs) };
  }
}

/**
 * Saves the decision and, when it says so, starts one auto top-up of the configured amount on the
 * saved card. Shared with the sweeper's tick.
 */
export async function startIfDecided(
  store: PaymentsStore,
  client: pg.PoolClient,
  settings: AutoTopUpSettings,
  outcome: AutoTopUpOutcome,
  nowMs: number,
): Promise<string | null> {
  await store.autoTopUps.save(client, { ...settings, ...outcome.state, updatedAtMs: nowMs });
  if (!outcome.charge) return null;
  const topUpId = `tu_${randomUUID().replaceAll('-', '')}`;
  // The unique partial index (one pending auto top-up per account) backs the in-flight check.
  await store.topUps.insert(client, {
    topUpId,
    accountId: settings.accountId,
    amountNanos: settings.amountNanos,
    trigger: 'auto',
    requestedMethod: null,
    createdAtMs: nowMs,
    chargeState: 'to_charge',
    customerId: settings.customerId,
    paymentMethodId: settings.paymentMethodId,
  });
  await store.notifyCharger(client);
  return topUpId;
}

/** The sweeper's re-decision for one account (backoff elapsed, or an in-flight charge ended). */
export async function tickAccount(
  store: PaymentsStore,
  client: pg.PoolClient,
  accountId: string,
  nowMs: number,
): Promise<string | null> {
  const settings = await store.autoTopUps.get(client, accountId, true);
  if (settings === undefined) return null;
  const inFlight = await store.topUps.hasAutoInFlight(client, accountId);
  return startIfDecided(store, client, settings, onTick(settings, inFlight, nowMs), nowMs);
}
