import { withTransaction } from '@billing/service-kit';
import { Inject, Logger } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { BuilderSubscriptions } from '../builder-subscriptions.js';
import { PaymentMethods } from '../payment-methods.js';
import { PaymentOutcomes } from '../payment-outcomes.js';
import { nanosOfCents, type PaymentSignal } from '../../domain/index.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import {
  readStripeEvent,
  type StripeObservation,
  type TopUpLocator,
} from '../../infrastructure/stripe/stripe-events.js';
import type { TopUpRow } from '../../infrastructure/top-up-repository.js';
import {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type PaymentProvider,
} from '../../domain/payment-provider.js';
import {
  HandleStripeEventCommand,
  type StripeEventOutcome,
} from './handle-stripe-event.command.js';

/**
 * One Stripe event, applied at most once: the event id is inserted into `stripe_events` in the
 * same transaction as its effect, under the top-up's row lock, so two deliveries of one event, or
 * two events about one payment (`payment_intent.succeeded` and `checkout.session.completed`, in
 * either order), serialise and the second finds the work done.
 */
@CommandHandler(HandleStripeEventCommand)
export class HandleStripeEventHandler implements ICommandHandler<HandleStripeEventCommand> {
  private readonly logger = new Logger('StripeWebhook');

  constructor(
    private readonly store: PaymentsStore,
    private readonly outcomes: PaymentOutcomes,
    private readonly paymentMethods: PaymentMethods,
    private readonly builderSubscriptions: BuilderSubscriptions,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
  ) {}

  async execute({ event }: HandleStripeEventCommand): Promise<StripeEventOutcome> {
    const reading = readStripeEvent(event);
    if (reading.kind === 'malformed') return { kind: 'malformed', reason: reading.reason };
    if (reading.kind === 'ignored') return { kind: 'ignored', reason: reading.reason };
    if (reading.kind === 'payment_method') {
      return this.paymentMethods.handleEvent(reading.eventId, reading.type, reading.change);
    }
    if (reading.kind === 'builder_subscription') {
      try {
        return await this.builderSubscriptions.handleEvent(
          reading.eventId,
          reading.type,
          reading.accountId,
          reading.observation,
        );
      } catch (err) {
        // Two deliveries of one event racing: the second's insert of the event id conflicts.
        if (isUniqueViolation(err)) return { kind: 'duplicate' };
        throw err;
      }
    }
    const { eventId, type, locator, observation } = reading;

    const topUp = await this.find(locator);
    if (topUp === undefined) return { kind: 'ignored', reason: 'no such top-up: not ours' };
    if (locator.accountId !== null && locator.accountId !== topUp.accountId) {
      this.logger.error(
        `Stripe event ${eventId} names account ${locator.accountId} for top-up ${topUp.topUpId} of another account`,
      );
      return { kind: 'ignored', reason: 'the account does not match the top-up' };
    }
    const seen = await this.store.pool.query(
      `SELECT 1 FROM ${this.store.schema}.stripe_events WHERE event_id = $1`,
      [eventId],
    );
    if ((seen.rowCount ?? 0) > 0) return { kind: 'duplicate' };

    // Asked from Stripe outside the transaction, only when the event does not say (a Checkout
    // Session that allowed card and Alipay). A failure answers 503: Stripe delivers again.
    let signal: PaymentSignal;
    try {
      signal = await this.signalOf(observation, topUp);
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.warn(`Stripe event ${eventId}: ${err.message}`);
      return { kind: 'deferred', reason: 'could not ask Stripe which payment method paid' };
    }

    try {
      return await withTransaction<StripeEventOutcome>(
        this.store.pool,
        async (client, rollback) => {
          const locked = await this.store.lockTopUp(client, topUp.topUpId);
          if (locked === undefined) throw new Error(`top-up ${topUp.topUpId} vanished`);
          const fresh = await this.store.stripeEvents.recordOnce(client, {
            eventId,
            type,
            topUpId: topUp.topUpId,
            outcome: 'applying',
          });
          if (!fresh) return rollback({ kind: 'duplicate' });
          const decision = await this.outcomes.apply(
            client,
            locked.topUp,
            locked.settings,
            signal,
            {
              causationId: eventId,
              customer: observation.kind === 'succeeded' ? observation.customer : null,
            },
          );
          if (decision.kind === 'defer') {
            return rollback({ kind: 'deferred', reason: decision.reason });
          }
          const outcome: StripeEventOutcome =
            decision.kind === 'noop' || decision.kind === 'reject'
              ? {
                  kind: 'no_effect',
                  topUpId: topUp.topUpId,
                  reason: `${decision.kind}: ${decision.reason}`,
                }
              : { kind: 'applied', topUpId: topUp.topUpId, decision: decision.kind };
          await this.store.stripeEvents.setOutcome(
            client,
            eventId,
            outcome.kind === 'applied' ? outcome.decision : outcome.reason,
          );
          return outcome;
        },
      );
    } catch (err) {
      if (isUniqueViolation(err)) return { kind: 'duplicate' };
      throw err;
    }
  }

  private async find(locator: TopUpLocator): Promise<TopUpRow | undefined> {
    const db = this.store.pool;
    if (locator.topUpId !== null) {
      return this.store.topUps.get(db, locator.topUpId);
    }
    if (locator.paymentReference !== null) {
      const id = await this.store.topUps.idByPaymentReference(db, locator.paymentReference);
      return id === undefined ? undefined : this.store.topUps.get(db, id);
    }
    return undefined;
  }

  private async signalOf(observation: StripeObservation, topUp: TopUpRow): Promise<PaymentSignal> {
    switch (observation.kind) {
      case 'succeeded': {
        const method =
          observation.method ??
          topUp.method ??
          topUp.requestedMethod ??
          (await this.provider.paymentMethodOf(observation.paymentReference));
        return {
          kind: 'succeeded',
          source: observation.source,
          amountNanos: nanosOfCents(observation.amountCents),
          currency: observation.currency,
          paymentReference: observation.paymentReference,
          method,
        };
      }
      case 'failed':
        return observation;
      case 'refunded':
        return {
          kind: 'refunded',
          paymentReference: observation.paymentReference,
          totalRefundedNanos: nanosOfCents(observation.amountRefundedCents),
          currency: observation.currency,
          refundReference: observation.refundReference,
        };
    }
  }
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
