// @billing/payments: the payments service as a Nest module, for its own process (main.ts) and for
// the standalone mode that hosts every service in one process. README.md describes it.
export { PaymentsModule } from './payments.module.js';
export {
  PAYMENTS_OPTIONS,
  paymentsOptionsFromEnv,
  paymentsPolicyFromEnv,
  resolvePaymentsOptions,
  type PaymentsModuleOptions,
  type PaymentsTopics,
  type ResolvedPaymentsOptions,
  type StripeSettings,
} from './payments.options.js';
export {
  loadPaymentsEnv,
  loadPaymentsPolicyEnv,
  PAYMENTS_POLICY_VARIABLES,
  PaymentsEnv,
  type PaymentsPolicyEnv,
} from './config.js';
export {
  PAYMENT_PROVIDER,
  ProviderUnavailableError,
  type ChargeResult,
  type CheckoutRequest,
  type CheckoutResult,
  type OffSessionChargeRequest,
  type PaymentProvider,
} from './domain/payment-provider.js';
export { SimulatedPaymentProvider } from './infrastructure/simulated-payment-provider.js';
export { PaymentsMessaging } from './messaging/payments-messaging.js';
