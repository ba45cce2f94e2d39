import { ServiceModule } from '@billing/service-kit';
import { CqrsModule } from '@nestjs/cqrs';
import { PaymentMethods } from './commands/payment-methods.js';
import { BuilderSubscriptions } from './commands/builder-subscriptions.js';
import { StartBuilderSubscriptionHandler } from './commands/start-builder-subscription/start-builder-subscription.handler.js';
import { BuilderLapseScheduler } from './commands/lapse-builder-subscriptions/builder-lapse-scheduler.js';
import { LapseBuilderSubscriptionsHandler } from './commands/lapse-builder-subscriptions/lapse-builder-subscriptions.handler.js';
import { PaymentOutcomes } from './commands/payment-outcomes.js';
import { PromotionRedemptions } from './commands/promotion-redemptions.js';
import { CreatePromotionCodeHandler } from './commands/create-promotion-code/create-promotion-code.handler.js';
import { DisablePromotionCodeHandler } from './commands/disable-promotion-code/disable-promotion-code.handler.js';
import { ListPromotionCodesHandler } from './queries/list-promotion-codes/list-promotion-codes.handler.js';
import { QuoteTopUpHandler } from './queries/quote-top-up/quote-top-up.handler.js';
import { PromotionCodesController } from './http/promotion-codes.controller.js';
import { ApplyBalanceChangeHandler } from './commands/apply-balance-change/apply-balance-change.handler.js';
import { AutoTopUpScheduler } from './commands/charge-auto-top-ups/auto-top-up-scheduler.js';
import { ChargeAutoTopUpsHandler } from './commands/charge-auto-top-ups/charge-auto-top-ups.handler.js';
import { ConfigureAutoTopUpHandler } from './commands/configure-auto-top-up/configure-auto-top-up.handler.js';
import { CreateTopUpHandler } from './commands/create-top-up/create-top-up.handler.js';
import { GrantAdminCreditHandler } from './commands/grant-admin-credit/grant-admin-credit.handler.js';
import { HandleStripeEventHandler } from './commands/handle-stripe-event/handle-stripe-event.handler.js';
import { LinkPaymentMethodHandler } from './commands/link-payment-method/link-payment-method.handler.js';
import { RemovePaymentMethodHandler } from './commands/remove-payment-method/remove-payment-method.handler.js';
import { AlertDeliveryScheduler } from './commands/deliver-low-balance-alerts/alert-delivery-scheduler.js';
import { DeliverLowBalanceAlertsHandler } from './commands/deliver-low-balance-alerts/deliver-low-balance-alerts.handler.js';
import { ConfigureLowBalanceAlertHandler } from './commands/configure-low-balance-alert/configure-low-balance-alert.handler.js';
import { EvaluateLowBalanceAlertHandler } from './commands/evaluate-low-balance-alert/evaluate-low-balance-alert.handler.js';
import { RotateAlertWebhookSecretHandler } from './commands/rotate-alert-webhook-secret/rotate-alert-webhook-secret.handler.js';
import { AlertSenders } from './infrastructure/alerts/alert-senders.js';
import { GetLowBalanceAlertHandler } from './queries/get-low-balance-alert/get-low-balance-alert.handler.js';
import { ListAlertDeliveriesHandler } from './queries/list-alert-deliveries/list-alert-deliveries.handler.js';
import { LowBalanceAlertsController } from './http/low-balance-alerts.controller.js';
import { AccountsController } from './http/accounts.controller.js';
import { BuilderSubscriptionController } from './http/builder-subscription.controller.js';
import { ReferralsController } from './http/referrals.controller.js';
import { ReferralProgram } from './commands/referral-program.js';
import { JoinReferralHandler } from './commands/join-referral/join-referral.handler.js';
import { GetBuilderSubscriptionHandler } from './queries/get-builder-subscription/get-builder-subscription.handler.js';
import { ListReferralsHandler } from './queries/list-referrals/list-referrals.handler.js';
import { AdminCreditsController } from './http/admin-credits.controller.js';
import {
  STRIPE_WEBHOOK_VERIFIER,
  StripeWebhookController,
} from './http/stripe-webhook.controller.js';
import { PaymentsEvents } from './messaging/payments-events.js';
import { PaymentsMessaging } from './messaging/payments-messaging.js';
import { PaymentsStore } from './infrastructure/payments-store.js';
import { SimulatedPaymentProvider } from './infrastructure/simulated-payment-provider.js';
import { createStripeClient } from './infrastructure/stripe/stripe-client.js';
import { StripePaymentProvider } from './infrastructure/stripe/stripe-payment-provider.js';
import { StripeWebhookVerifier } from './infrastructure/stripe/stripe-webhook-verifier.js';
import {
  PAYMENTS_OPTIONS,
  resolvePaymentsOptions,
  type ResolvedPaymentsOptions,
} from './payments.options.js';
import { PaymentsRuntime } from './payments.runtime.js';
import { PAYMENT_PROVIDER, type PaymentProvider } from './domain/payment-provider.js';
import { GetAutoTopUpHandler } from './queries/get-auto-top-up/get-auto-top-up.handler.js';
import { GetInvoicePdfHandler } from './queries/get-invoice-pdf/get-invoice-pdf.handler.js';
import { ListInvoicesHandler } from './queries/list-invoices/list-invoices.handler.js';
import { ListPaymentMethodsHandler } from './queries/list-payment-methods/list-payment-methods.handler.js';
import { ListTopUpsHandler } from './queries/list-top-ups/list-top-ups.handler.js';

function paymentProvider(options: ResolvedPaymentsOptions): PaymentProvider {
  const p = options.paymentProvider;
  if (p === 'simulated') return new SimulatedPaymentProvider(options.nodeEnv);
  if (p === 'stripe') {
    return new StripePaymentProvider(
      createStripeClient({
        secretKey: options.stripe.secretKey,
        apiBase: options.stripe.apiBase,
        maxNetworkRetries: options.stripe.maxNetworkRetries,
        timeoutMs: options.stripe.timeoutMs,
      }),
    );
  }
  return p;
}

export class PaymentsModule extends ServiceModule({
  service: 'payments',
  options: { token: PAYMENTS_OPTIONS, resolve: resolvePaymentsOptions },
  parts: (options) => ({
    imports: [CqrsModule.forRoot()],
    controllers: [
      AccountsController,
      LowBalanceAlertsController,
      ReferralsController,
      BuilderSubscriptionController,
      AdminCreditsController,
      PromotionCodesController,
      StripeWebhookController,
    ],
    providers: [
      // Built at module creation: the simulated provider refuses to exist in production.
      { provide: PAYMENT_PROVIDER, useValue: paymentProvider(options) },
      {
        provide: STRIPE_WEBHOOK_VERIFIER,
        useValue: new StripeWebhookVerifier(
          options.stripe.webhookSecret,
          options.stripe.webhookToleranceSeconds,
        ),
      },
      PaymentsStore,
      PaymentsEvents,
      PaymentOutcomes,
      // Promotion codes (discounts on a top-up): docs/adr/011-discounts.md.
      PromotionRedemptions,
      CreatePromotionCodeHandler,
      DisablePromotionCodeHandler,
      ListPromotionCodesHandler,
      QuoteTopUpHandler,
      PaymentMethods,
      BuilderSubscriptions,
      PaymentsMessaging,
      AutoTopUpScheduler,
      PaymentsRuntime,
      CreateTopUpHandler,
      HandleStripeEventHandler,
      ConfigureAutoTopUpHandler,
      ApplyBalanceChangeHandler,
      ChargeAutoTopUpsHandler,
      GrantAdminCreditHandler,
      LinkPaymentMethodHandler,
      RemovePaymentMethodHandler,
      ListPaymentMethodsHandler,
      ListTopUpsHandler,
      GetAutoTopUpHandler,
      ListInvoicesHandler,
      GetInvoicePdfHandler,
      AlertSenders,
      AlertDeliveryScheduler,
      EvaluateLowBalanceAlertHandler,
      ConfigureLowBalanceAlertHandler,
      RotateAlertWebhookSecretHandler,
      DeliverLowBalanceAlertsHandler,
      GetLowBalanceAlertHandler,
      ListAlertDeliveriesHandler,
      ReferralProgram,
      JoinReferralHandler,
      ListReferralsHandler,
      GetBuilderSubscriptionHandler,
      StartBuilderSubscriptionHandler,
      LapseBuilderSubscriptionsHandler,
      BuilderLapseScheduler,
    ],
    exports: [PaymentsMessaging, AutoTopUpScheduler, AlertDeliveryScheduler, PaymentsStore],
  }),
}) {}
