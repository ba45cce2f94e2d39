import { randomUUID } from 'node:crypto';
import { withTransaction } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import {
  decideBuilderSubscription,
  type BuilderSubscriptionSignal,
} from '../domain/builder-subscription.js';
import type { BuilderSubscriptionObservation } from '../infrastructure/stripe/stripe-events.js';
import { PaymentsStore } from '../infrastructure/payments-store.js';
import { PaymentsEvents } from '../messaging/payments-events.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';
import type { StripeEventOutcome } from './handle-stripe-event/handle-stripe-event.command.js';

/**
 * The Builder subscription's provider events, applied once each (issue #17; docs/CONTRACTS.md,
 * "Builder plan"): in one transaction, under the account's subscription lock, the Stripe event id
 * is recorded, the rules of `domain/builder-subscription.ts` decide, and the new state, the
 * period's invoice (the fixed fee as the provider charged it) and BuilderSubscriptionChanged (to
 * the outbox, keyed by the account) are written together. Nothing here touches the balance: the
 * fee is paid to the provider, and the ledger skips BuilderSubscriptionChanged.
 */
@Injectable()
export class BuilderSubscriptions {
  constructor(
    private readonly store: PaymentsStore,
    private readonly events: PaymentsEvents,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async handleEvent(
    eventId: string,
    type: string,
    accountId: string,
    observation: BuilderSubscriptionObservation,
  ): Promise<StripeEventOutcome> {
    return withTransaction<StripeEventOutcome>(this.store.pool, async (client, rollback) => {
      const subscriptions = this.store.builderSubscriptions;
      const current = await subscriptions.lock(client, accountId);
      const fresh = await this.store.stripeEvents.recordOnce(client, {
        eventId,
        type,
        topUpId: null,
        accountId,
        outcome: 'applying',
      });
      if (!fresh) return rollback({ kind: 'duplicate' });
      const signal: BuilderSubscriptionSignal =
        observation.kind === 'invoice_paid'
          ? {
              ...observation,
              alreadyInvoiced: await subscriptions.hasInvoice(
                client,
                observation.providerInvoiceId,
              ),
            }
          : observation;
      const outcome = await this.apply(client, accountId, current, signal, eventId);
      await this.store.stripeEvents.setOutcome(
        client,
        eventId,
        outcome.kind === 'applied' ? outcome.decision : outcome.reason,
      );
      return outcome;
    });
  }

  private async apply(
    client: pg.PoolClient,
    accountId: string,
    current: Awaited<ReturnType<PaymentsStore['builderSubscriptions']['lock']>>,
    signal: BuilderSubscriptionSignal,
    causationId: string,
  ): Promise<Extract<StripeEventOutcome, { kind: 'applied' | 'no_effect' }>> {
    const nowMs = this.options.nowMs();
    const decision = decideBuilderSubscription(current, signal, nowMs);
    if (decision.kind === 'noop') {
      return {
        kind: 'no_effect',
        topUpId: null,
        reason: `builder subscription: ${decision.reason}`,
      };
    }
    const { state } = decision;
    await this.store.builderSubscriptions.save(client, { ...state, accountId, updatedAtMs: nowMs });
    let invoiceId: string | undefined;
    if (decision.invoice && signal.kind === 'invoice_paid') {
      invoiceId = `inv_${randomUUID().replaceAll('-', '')}`;
      // UNIQUE (provider_invoice_id): a second record of one provider invoice rolls back here.
      await this.store.builderSubscriptions.insertInvoice(client, {
        invoiceId,
        sequence: await this.store.invoices.allocateNumber(client),
        accountId,
        subscriptionId: signal.subscriptionId,
        providerInvoiceId: signal.providerInvoiceId,
        amountNanos: signal.amountNanos,
        currency: signal.currency,
        periodStartMs: signal.periodStartMs,
        periodEndMs: signal.periodEndMs,
        issuedAtMs: nowMs,
      });
    }
    if (decision.publish !== null) {
      await this.events.enqueue(client, [
        this.events.message(
          'BuilderSubscriptionChanged',
          accountId,
          {
            subscriptionId: state.subscriptionId,
            active: state.active,
            ...(state.active &&
              state.currentPeriodEndMs !== null && {
                currentPeriodEnd: new Date(state.currentPeriodEndMs).toISOString(),
              }),
            reason: decision.publish,
            ...(invoiceId !== undefined && { invoiceId }),
          },
          { causationId, correlationId: state.subscriptionId },
        ),
      ]);
    }
    const what = decision.publish ?? 'invoice recorded, state unchanged';
    return { kind: 'applied', topUpId: null, decision: `builder subscription: ${what}` };
  }
}
