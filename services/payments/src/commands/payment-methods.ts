import { withTransaction, type Queryable } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import { fail, ok, onPaymentMethodRemoved, type Result } from '../domain/index.js';
import { PaymentsStore } from '../infrastructure/payments-store.js';
import type { PaymentMethodChange } from '../infrastructure/stripe/stripe-events.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';
import {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type PaymentProvider,
  type SavedPaymentMethod,
} from '../domain/payment-provider.js';
import type { StripeEventOutcome } from './handle-stripe-event/handle-stripe-event.command.js';

/** The failure code of a charge refused because its card is no longer the account's own. */
export const PAYMENT_METHOD_NOT_ATTACHED = 'payment_method_not_attached';

const NOT_ATTACHED_MESSAGE = 'paymentMethodId is not a card saved on this account';

/**
 * Cards are attached, not named: the account's one customer at the provider is created and owned
 * here (`stripe_customers`), a card exists for this service only once the provider says it is
 * attached to that customer, and every use of a card id coming from a caller (auto top-up
 * settings, removal) or from storage (an auto top-up charge) is checked against both this
 * service's record and the provider's answer at that moment. Another account's card, an unknown
 * one and a detached one get the same answer, which tells nothing about other accounts.
 */
@Injectable()
export class PaymentMethods {
  private readonly logger = new Logger('PaymentMethods');

  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENT_PROVIDER) private readonly provider: PaymentProvider,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  /**
   * The account's customer, created at the provider the first time. The creation's idempotency
   * key is the account id, so concurrent first calls and a retry after a lost answer get the
   * same customer; the row's primary key keeps the first one recorded.
   */
  async ensureCustomer(accountId: string): Promise<string> {
    const known = await this.store.paymentMethods.customerOf(this.store.pool, accountId);
    if (known !== undefined) return known;
    const { customerId } = await this.provider.createCustomer({
      accountId,
      idempotencyKey: `customer:${accountId}`,
    });
    return this.store.paymentMethods.saveCustomer(
      this.store.pool,
      accountId,
      customerId,
      this.options.nowMs(),
    );
  }

  /**
   * Records a card the provider reports as attached to one of our customers; answers its account,
   * or undefined when the customer is not one of ours (nothing recorded).
   */
  async recordSaved(db: Queryable, pm: SavedPaymentMethod): Promise<string | undefined> {
    if (pm.customerId === null) return undefined;
    const accountId = await this.store.paymentMethods.accountOfCustomer(db, pm.customerId);
    if (accountId === undefined) return undefined;
    await this.store.paymentMethods.recordAttached(db, {
      paymentMethodId: pm.id,
      accountId,
      customerId: pm.customerId,
      type: pm.type,
      brand: pm.card?.brand ?? null,
      last4: pm.card?.last4 ?? null,
      expMonth: pm.card?.expMonth ?? null,
      expYear: pm.card?.expYear ?? null,
      attachedAtMs: this.options.nowMs(),
    });
    return accountId;
  }

  /**
   * `paymentMethodId` is a card of this account: recorded under its own customer and not
   * detached here, and attached to that customer at the provider now. A card the provider
   * reports attached before its setup webhook arrived is recorded on the way.
   */
  async verifyOwn(
    accountId: string,
    paymentMethodId: string,
  ): Promise<Result<{ readonly customerId: string }>> {
    const db = this.store.pool;
    const customerId = await this.store.paymentMethods.customerOf(db, accountId);
    if (customerId === undefined)
      return fail('PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED', NOT_ATTACHED_MESSAGE);
    const local = await this.store.paymentMethods.get(db, paymentMethodId);
    if (local !== undefined && (local.accountId !== accountId || local.detachedAtMs !== null)) {
      return fail('PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED', NOT_ATTACHED_MESSAGE);
    }
    let live: SavedPaymentMethod | undefined;
    try {
      live = await this.provider.retrievePaymentMethod(paymentMethodId);
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.warn(`cannot verify payment method ${paymentMethodId}: ${err.message}`);
      return fail('PAYMENTS.PROVIDER_UNAVAILABLE', 'the payment provider could not be reached');
    }
    if (live?.customerId !== customerId) {
      if (local !== undefined) {
        // Ours here, gone at the provider (detached in the Dashboard, the webhook not yet in).
        await withTransaction(db, (client) =>
          this.recordDetached(
            client,
            accountId,
            paymentMethodId,
            'it was detached at the payment provider',
          ),
        );
      }
      return fail('PAYMENTS.PAYMENT_METHOD_NOT_ATTACHED', NOT_ATTACHED_MESSAGE);
    }
    if (local === undefined) await this.recordSaved(db, live);
    return ok({ customerId });
  }

  /**
   * At charge time: the card stored on an auto top-up is still the account's own, here and at the
   * provider. Throws ProviderUnavailableError when the provider cannot say (retry later).
   */
  async isChargeable(
    accountId: string,
    customerId: string,
    paymentMethodId: string,
  ): Promise<boolean> {
    const db = this.store.pool;
    const own = await this.store.paymentMethods.customerOf(db, accountId);
    if (own === undefined || own !== customerId) return false;
    const local = await this.store.paymentMethods.get(db, paymentMethodId);
    if (local?.accountId !== accountId || local.customerId !== own || local.detachedAtMs !== null) {
      return false;
    }
    const live = await this.provider.retrievePaymentMethod(paymentMethodId);
    return live?.customerId === own;
  }

  /**
   * The card can no longer be charged: recorded as detached and, when auto top-up uses it, auto
   * top-up switched off at once with the reason. In the caller's transaction; the settings row is
   * locked before the card's, the order every writer of both follows (when the account has no
   * settings yet, a PUT saving the first ones is waited for through the card's row lock).
   */
  async recordDetached(
    client: pg.PoolClient,
    accountId: string,
    paymentMethodId: string,
    why: string,
  ): Promise<{ readonly changed: boolean; readonly autoTopUpSwitchedOff: boolean }> {
    const nowMs = this.options.nowMs();
    let settings = await this.store.autoTopUps.get(client, accountId, true);
    const changed = await this.store.paymentMethods.markDetached(client, paymentMethodId, nowMs);
    // First settings being saved with this card hold its row lock until they commit (the PUT
    // locks it), so the update above waited for them: read again, they are visible now.
    settings ??= await this.store.autoTopUps.get(client, accountId, true);
    if (settings?.paymentMethodId !== paymentMethodId || !settings.enabled) {
      return { changed, autoTopUpSwitchedOff: false };
    }
    const reason = `its card ${paymentMethodId} can no longer be charged: ${why}`;
    await this.store.autoTopUps.save(client, {
      ...settings,
      ...onPaymentMethodRemoved(settings, reason),
      updatedAtMs: nowMs,
    });
    this.logger.warn(`auto top-up of ${accountId} switched off: ${reason}`);
    return { changed, autoTopUpSwitchedOff: true };
  }

  /**
   * `DELETE .../payment-methods/{id}`: detaches the card at the provider (it can never be charged
   * again), then records it, switching auto top-up off if it used the card.
   */
  async remove(
    accountId: string,
    paymentMethodId: string,
  ): Promise<Result<{ readonly autoTopUpSwitchedOff: boolean }>> {
    const local = await this.store.paymentMethods.get(this.store.pool, paymentMethodId);
    if (local?.accountId !== accountId || local.detachedAtMs !== null) {
      return fail('PAYMENTS.NOT_FOUND', 'no such saved card on this account');
    }
    try {
      const live = await this.provider.retrievePaymentMethod(paymentMethodId);
      if (live?.customerId === local.customerId) {
        await this.provider.detachPaymentMethod(paymentMethodId, `detach:${paymentMethodId}`);
      }
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.warn(`cannot detach payment method ${paymentMethodId}: ${err.message}`);
      return fail('PAYMENTS.PROVIDER_UNAVAILABLE', 'the payment provider could not be reached');
    }
    const recorded = await withTransaction(this.store.pool, (client) =>
      this.recordDetached(client, accountId, paymentMethodId, 'the customer removed it'),
    );
    return ok({ autoTopUpSwitchedOff: recorded.autoTopUpSwitchedOff });
  }

  /**
   * A verified provider event about a saved card, applied once: its event id is inserted into
   * `stripe_events` in the transaction of its effect. Only cards of customers this service
   * created are ever recorded, and only as the provider reports them when asked (not as the
   * event's payload says).
   */
  async handleEvent(
    eventId: string,
    type: string,
    change: PaymentMethodChange,
  ): Promise<StripeEventOutcome> {
    const db = this.store.pool;
    if (change.kind === 'detached') {
      const local = await this.store.paymentMethods.get(db, change.paymentMethodId);
      if (local === undefined) return { kind: 'ignored', reason: 'no such saved card: not ours' };
      return this.applyOnce(eventId, type, local.accountId, async (client) => {
        const { changed } = await this.recordDetached(
          client,
          local.accountId,
          change.paymentMethodId,
          'it was detached at the payment provider',
        );
        return changed
          ? {
              kind: 'applied',
              topUpId: null,
              paymentMethodId: change.paymentMethodId,
              decision: 'detached',
            }
          : {
              kind: 'no_effect',
              topUpId: null,
              paymentMethodId: change.paymentMethodId,
              reason: 'detached already',
            };
      });
    }

    const accountId = await this.store.paymentMethods.accountOfCustomer(db, change.customerId);
    if (accountId === undefined) return { kind: 'ignored', reason: 'no such customer: not ours' };
    if (change.accountId !== null && change.accountId !== accountId) {
      this.logger.error(
        `Stripe event ${eventId} names account ${change.accountId} for the customer of account ${accountId}`,
      );
      return { kind: 'ignored', reason: 'the account does not match the customer' };
    }
    if (await this.seen(eventId)) return { kind: 'duplicate' };
    let live: SavedPaymentMethod | undefined;
    try {
      const paymentMethodId =
        change.paymentMethodId ??
        (change.setupIntentId === null
          ? undefined
          : await this.provider.paymentMethodOfSetup(change.setupIntentId));
      live =
        paymentMethodId === undefined
          ? undefined
          : await this.provider.retrievePaymentMethod(paymentMethodId);
    } catch (err) {
      if (!(err instanceof ProviderUnavailableError)) throw err;
      this.logger.warn(`Stripe event ${eventId}: ${err.message}`);
      return { kind: 'deferred', reason: 'could not ask Stripe which card was saved' };
    }
    return this.applyOnce(eventId, type, accountId, async (client) => {
      if (live?.customerId !== change.customerId) {
        return {
          kind: 'no_effect',
          topUpId: null,
          reason: 'the card is not attached to the customer',
        };
      }
      const existing = await this.store.paymentMethods.get(client, live.id);
      if (existing !== undefined) {
        return {
          kind: 'no_effect',
          topUpId: null,
          paymentMethodId: live.id,
          reason: 'recorded already',
        };
      }
      await this.recordSaved(client, live);
      return { kind: 'applied', topUpId: null, paymentMethodId: live.id, decision: 'saved' };
    });
  }

  private async seen(eventId: string): Promise<boolean> {
    const res = await this.store.pool.query(
      `SELECT 1 FROM ${this.store.schema}.stripe_events WHERE event_id = $1`,
      [eventId],
    );
    return (res.rowCount ?? 0) > 0;
  }

  private async applyOnce(
    eventId: string,
    type: string,
    accountId: string,
    effect: (client: pg.PoolClient) => Promise<StripeEventOutcome>,
  ): Promise<StripeEventOutcome> {
    try {
      return await withTransaction<StripeEventOutcome>(
        this.store.pool,
        async (client, rollback) => {
          const fresh = await this.store.stripeEvents.recordOnce(client, {
            eventId,
            type,
            topUpId: null,
            accountId,
            outcome: 'applying',
          });
          if (!fresh) return rollback({ kind: 'duplicate' });
          const outcome = await effect(client);
          await this.store.stripeEvents.setOutcome(
            client,
            eventId,
            outcome.kind === 'applied'
              ? outcome.decision
              : outcome.kind === 'no_effect'
                ? outcome.reason
                : outcome.kind,
          );
          return outcome;
        },
      );
    } catch (err) {
      if (typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505') {
        return { kind: 'duplicate' };
      }
      throw err;
    }
  }
}
