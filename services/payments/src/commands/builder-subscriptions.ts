import { randomUUID } from 'node:crypto';
import { nameBasedUuid } from '@billing/messaging';
import { withTransaction } from '@billing/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import {
  decideBuilderSubscription,
  type BuilderSubscriptionSignal,
} from '../domain/builder-subscription.js';
import type { BuilderSubscriptionRow } from '../infrastructure/builder-subscription-repository.js';
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
 *
 * The lapse of a paid period that no renewal followed (`lapse`) is decided the same way, under the
 * same lock, by the sweep of `commands/lapse-builder-subscriptions/`: the state and its event
 * commit together, and a second sweep finds the subscription inactive already.
 */
/** Who paid, as the provider's invoice names them (printed on our invoice); null when unknown. */
type InvoiceCustomer = { readonly name: string | null; readonly email: string | null } | null;

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
      let signal: BuilderSubscriptionSignal;
      let customer: InvoiceCustomer = null;
      if (observation.kind === 'invoice_paid') {
        const { customer: payer, ...paid } = observation;
        customer = payer;
        const alreadyInvoiced = await subscriptions.hasInvoice(client, paid.providerInvoiceId);
        signal = { ...paid, alreadyInvoiced };
      } else {
        signal = observation;
      }
      const outcome = await this.apply(client, accountId, current, signal, {
        causationId: eventId,
        customer,
      });
      await this.store.stripeEvents.setOutcome(
        client,
        eventId,
        outcome.kind === 'applied' ? outcome.decision : outcome.reason,
      );
      return outcome;
    });
  }

  /**
   * Lapses the account's subscription if its paid period and grace are over at this instant and
   * it is still `subscriptionId` and active (read again under the lock: the sweep's list may be
   * stale). Answers whether it lapsed. The event's id is derived from the subscription and the
   * period that lapsed, so even a republished outbox row is one message.
   */
  async lapse(accountId: string, subscriptionId: string): Promise<boolean> {
    return withTransaction(this.store.pool, async (client) => {
      const current = await this.store.builderSubscriptions.lock(client, accountId);
      const lapsedPeriodEnd = current?.currentPeriodEndMs ?? null;
      const name = `payments.v1/BuilderSubscriptionChanged/period_lapsed/${subscriptionId}/${lapsedPeriodEnd}`;
      const outcome = await this.apply(
        client,
        accountId,
        current,
        { kind: 'lapse_due', subscriptionId },
        {
          causationId: `lapse:${subscriptionId}:${lapsedPeriodEnd}`,
          messageId: nameBasedUuid(name),
        },
      );
      return outcome.kind === 'applied';
    });
  }

  private async apply(
    client: pg.PoolClient,
    accountId: string,
    current: BuilderSubscriptionRow | undefined,
    signal: BuilderSubscriptionSignal,
    context: {
      readonly causationId: string;
      readonly messageId?: string;
      readonly customer?: InvoiceCustomer;
    },
  ): Promise<Extract<StripeEventOutcome, { kind: 'applied' | 'no_effect' }>> {
    const { causationId } = context;
    const nowMs = this.options.nowMs();
    const decision = decideBuilderSubscription(current, signal, {
      nowMs,
      graceMs: this.options.builderPlan.graceMs,
    });
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
        // Frozen at issue, as a top-up invoice's: a later change of address rewrites nothing.
        issuer: this.options.invoiceIssuer,
        customerName: context.customer?.name ?? null,
        customerEmail: context.customer?.email ?? null,
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
          {
            causationId,
            correlationId: state.subscriptionId,
            ...(context.messageId !== undefined && { id: context.messageId }),
          },
        ),
      ]);
    }
    const what = decision.publish ?? 'invoice recorded, state unchanged';
    return { kind: 'applied', topUpId: null, decision: `builder subscription: ${what}` };
  }
}
