import { StripeStandIn } from './stripe-stand-in/index.js';

/**
 * Runs the Stripe stand-in as its own process, for a distributed run without access to Stripe:
 *
 *   STRIPE_SECRET_KEY=sk_test_... STRIPE_WEBHOOK_SECRET=whsec_... \
 *   STRIPE_WEBHOOK_URL=http://127.0.0.1:8084/webhooks/stripe STRIPE_STAND_IN_PORT=12111 \
 *   node --import @swc-node/register/esm-register services/payments/src/testing/stripe-stand-in.main.ts
 *
 * then start payments with STRIPE_API_BASE=http://127.0.0.1:12111 and the same key and secret.
 * Opening a top-up's checkoutUrl shows a page that "pays" and sends the webhooks.
 */
const secretKey = process.env.STRIPE_SECRET_KEY;
const webhookSecret = process.env.STRIPE_WEBHOOK_SECRET;
if (!secretKey || !webhookSecret) {
  console.error('stripe stand-in: STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET are required');
  process.exit(1);
}
const standIn = await StripeStandIn.start({
  secretKey,
  port: Number(process.env.STRIPE_STAND_IN_PORT ?? 12111),
  host: process.env.STRIPE_STAND_IN_HOST ?? '127.0.0.1',
  webhook: {
    url: process.env.STRIPE_WEBHOOK_URL ?? 'http://127.0.0.1:8084/webhooks/stripe',
    secret: webhookSecret,
  },
});
console.log(`stripe stand-in (not Stripe) listening on ${standIn.url}`);
const stop = (): void => {
  void standIn.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
