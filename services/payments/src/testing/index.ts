// Test and offline helpers of the payments service: the Stripe stand-in and webhook signing.
export {
  StripeStandIn,
  STAND_IN_API_VERSION,
  type RecordedRequest,
  type StripeEvent,
  type StripeObject,
  type StripeStandInOptions,
} from './stripe-stand-in/index.js';
export {
  deliverWebhook,
  signedWebhook,
  stripeSignatureHeader,
  type SignedWebhook,
} from './stripe-webhooks.js';
