import { randomUUID } from 'node:crypto';
import { formatUsd } from '@billing/money';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import {
  bonusExpiry,
  bonusFor,
  decideTopUp,
  onChargeFailed,
  onChargeSettled,
  type PaymentSignal,
  type TopUpDecision,
} from '../domain/index.js';
import type { AutoTopUpSettings } from '../infrastructure/auto-top-up-repository.js';
import { PaymentsEvents } from '../messaging/payments-events.js';
import { PaymentsStore } from '../infrastructure/payments-store.js';
import type { TopUpRow } from '../infrastructure/top-up-repository.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../payments.options.js';
import { PromotionRedemptions } from './promotion-redemptions.js';
import { ReferralProgram } from './referral-program.js';

export interface OutcomeContext {
  /** The Stripe event (or other input) that caused this: the events' causationId. */
  readonly causationId?: string | undefined;
  /** Customer details the provider collected (Checkout), printed on the invoice. */
  readonly customer?: { readonly name: string | null; readonly email: string | null } | null;
}

/**
 * Applies what the payment provider said about a top-up, inside the caller's transaction and
 * under the locks `PaymentsStore.lockTopUp` took. One place for every path (webhook, off-session
 * answer, simulated provider), so a payment is settled the same way whoever reports it first:
 *
 * - settle: the top-up row, a gap-free invoice number, the invoice, TopUpSettled, DiscountApplied
 *   when a promotion code took part of the price (its redemption confirmed), and BonusGranted
 *   (the top-up asked for, charge + discount, x BONUS_RATE, exact; expiring BONUS_LIFETIME_DAYS
 *   after the settlement when that is set) in the outbox; for an auto top-up, the failure streak
 *   ends;
 * - fail: the top-up row, its promotion code redemption released; for an auto top-up, a counted
 *   failure with backoff (and maybe disabling);
 * - refund: the new refunded total and TopUpRefunded for the delta;
 * - and for a referred account, the referral reward of its first settlement or its revocation
 *   (ReferralProgram).
 */
@Injectable()
export class PaymentOutcomes {
  private readonly logger = new Logger('PaymentOutcomes');

  constructor(
    private readonly store: PaymentsStore,
    private readonly events: PaymentsEvents,
    private readonly promotions: PromotionRedemptions,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
    private readonly referrals: ReferralProgram,
  ) {}

  async apply(
    client: pg.PoolClient,
    topUp: TopUpRow,
    settings: AutoTopUpSettings | undefined,
    signal: PaymentSignal,
    context: OutcomeContext = {},
  ): Promise<TopUpDecision> {
    const decision = decideTopUp(topUp, signal);
    const nowMs = this.options.nowMs();
    switch (decision.kind) {
      case 'settle':
        await this.settle(client, topUp, decision, nowMs, context);
        if (settings !== undefined) {
          await this.store.autoTopUps.save(client, {
            ...settings,
            ...onChargeSettled(settings),
            updatedAtMs: nowMs,
          });
        }
        break;
      case 'fail':
        await this.store.topUps.markFailed(client, topUp.topUpId, {
          code: decision.code,
          message: decision.message,
          atMs: nowMs,
        });
        await this.promotions.release(client, topUp.topUpId);
        if (settings !== undefined) {
          const next = onChargeFailed(
            settings,
            { code: decision.code, atMs: nowMs },
            this.options.autoTopUp,
          );
          await this.store.autoTopUps.save(client, { ...settings, ...next, updatedAtMs: nowMs });
          if (!next.enabled && settings.enabled) {
            this.logger.warn(
              `auto top-up of ${topUp.accountId} disabled: ${next.disabledReason ?? 'failures'}`,
            );
          }
        }
        break;
      case 'refund': {
        await this.store.topUps.markRefunded(client, topUp.topUpId, {
          refundedNanos: topUp.refundedNanos + decision.deltaNanos,
          fully: decision.fully,
        });
        await this.events.enqueue(client, [
          this.events.message(
            'TopUpRefunded',
            topUp.accountId,
            {
              topUpId: topUp.topUpId,
              amount: formatUsd(decision.deltaNanos),
              refundReference: decision.refundReference,
            },
            { causationId: context.causationId, correlationId: topUp.topUpId },
          ),
          // The referral reward this top-up earned, revoked when inside the claw-back window.
          ...(await this.referrals.onTopUpRefunded(client, topUp, nowMs, context)),
        ]);
        break;
      }
      case 'reject':
        this.logger.error(
          `top-up ${topUp.topUpId} of ${topUp.accountId}: a provider signal was refused (${decision.reason}); it needs a human`,
        );
        break;
      case 'noop':
      case 'defer':
        break;
    }
    return decision;
  }

  private async settle(
    client: pg.PoolClient,
    topUp: TopUpRow,
    decision: Extract<TopUpDecision, { kind: 'settle' }>,
    nowMs: number,
    context: OutcomeContext,
  ): Promise<void> {
    // The top-up's amount is what was charged; a promotion code paid the rest of what was asked.
    const redemption = await this.promotions.confirm(client, topUp.topUpId);
    const discountNanos = redemption?.discountNanos ?? 0n;
    const bonusNanos = bonusFor(topUp.amountNanos + discountNanos, this.options.bonusRate);
    const sequence = await this.store.invoices.allocateNumber(client);
    const invoiceId = `inv_${randomUUID().replaceAll('-', '')}`;
    await this.store.topUps.markSettled(client, topUp.topUpId, {
      paymentReference: decision.paymentReference,
      method: decision.method,
      atMs: nowMs,
    });
    // UNIQUE (top_up_id): a second settlement of one top-up fails here and rolls everything back.
    await this.store.invoices.insert(client, {
      invoiceId,
      sequence,
      issuedAtMs: nowMs,
      issuer: this.options.invoiceIssuer,
      accountId: topUp.accountId,
      customerName: context.customer?.name ?? null,
      customerEmail: context.customer?.email ?? null,
      topUpId: topUp.topUpId,
      trigger: topUp.trigger,
      amountNanos: topUp.amountNanos,
      bonusNanos,
      discountNanos,
      promotionCode: redemption?.code ?? null,
      method: decision.method,
      paymentReference: decision.paymentReference,
    });
    const meta = { causationId: context.causationId, correlationId: topUp.topUpId };
    const messages = [
      this.events.message(
        'TopUpSettled',
        topUp.accountId,
        {
          topUpId: topUp.topUpId,
          amount: formatUsd(topUp.amountNanos),
          method: decision.method,
          trigger: topUp.trigger,
          paymentReference: decision.paymentReference,
          invoiceId,
        },
        meta,
      ),
    ];
    if (redemption !== undefined) {
      messages.push(
        this.events.message(
          'DiscountApplied',
          topUp.accountId,
          {
            // Derived from the top-up, like its bonus: one discount per top-up, whatever happens.
            discountId: `disc_${topUp.topUpId}`,
            topUpId: topUp.topUpId,
            promotionCode: redemption.code,
            amount: formatUsd(discountNanos),
          },
          meta,
        ),
      );
    }
    if (bonusNanos > 0n) {
      // The policy's answer is written into the event, so the lot keeps the lifetime in force when
      // it was granted whatever the configuration says later (domain/credit-lifetimes.ts).
      const expiresAtMs = bonusExpiry(this.options.creditLifetimes, nowMs);
      messages.push(
        this.events.message(
          'BonusGranted',
          topUp.accountId,
          {
            // Derived from the top-up, so that whatever happens the bonus of a top-up has one id.
            grantId: `bonus_${topUp.topUpId}`,
            amount: formatUsd(bonusNanos),
            reason: 'top_up_bonus',
            topUpId: topUp.topUpId,
            ...(expiresAtMs === null ? {} : { expiresAt: new Date(expiresAtMs).toISOString() }),
          },
          meta,
        ),
      );
    }
    // The referrer's reward when this is a referred account's first top-up (referral-program.ts).
    messages.push(...(await this.referrals.onTopUpSettled(client, topUp, nowMs, context)));
    await this.events.enqueue(client, messages);
  }
}
