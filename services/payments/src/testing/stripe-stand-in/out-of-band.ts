import type { IncomingMessage, ServerResponse } from 'node:http';
import { formatUsdFixed } from '@billing/money';
import { TEST_CARDS } from './cards.js';
import { authenticate, StripeApiError } from './errors.js';
import type { StripeStandIn } from './index.js';
import type { StripeStore } from './store.js';
import type { StripeEvent } from './types.js';

/** What the hosted pages and the test-driving routes do through the stand-in. */
type OutOfBandDriver = Pick<
  StripeStandIn,
  'completeCheckoutSession' | 'completeSetupSession' | 'refund' | 'deliver'
>;

/**
 * What a customer's browser and a test harness do outside the API, for runs where the stand-in
 * is its own process (an end-to-end run without Stripe access):
 * - `GET /c/pay/{session}`: a bare "hosted checkout" page; `POST` to it pays (form field `method`),
 *   delivers the events Stripe would send to the webhook endpoint, and redirects to success_url;
 *   A setup-mode session's page saves a card instead (form field `paymentMethod`, a test token);
 * - `POST /_stand-in/checkout/sessions/{id}/complete` `{paymentMethodType?}` (setup mode:
 *   `{paymentMethod?}`, answering the saved `paymentMethodId`) and
 *   `POST /_stand-in/payment_intents/{id}/refund` `{amount}` (cents), with the secret key as
 *   bearer: the same, driven by a test; they answer the events delivered and their statuses.
 */
export async function handleOutOfBand(
  standIn: OutOfBandDriver,
  store: StripeStore,
  secretKey: string,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  path: string,
  body: string,
): Promise<void> {
  const reply = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    res.writeHead(status, {
      'content-type': typeof value === 'string' ? 'text/html; charset=utf-8' : 'application/json',
      ...headers,
    });
    res.end(text);
  };
  try {
    let m: RegExpExecArray | null;
    if ((m = /^\/c\/pay\/(cs_test_\w+)$/.exec(path))) {
      const id = m[1] ?? '';
      const stored = store.sessions.get(id);
      if (!stored) return reply(404, '<h1>No such checkout session</h1>');
      const { session } = stored;
      if (session.mode === 'setup') {
        if (method === 'GET') {
          return reply(
            200,
            `<!doctype html><title>Stripe stand-in checkout</title><h1>Stripe stand-in: save a card</h1>` +
              `<p>This is a stand-in for Stripe Checkout in setup mode; nothing is charged.</p><form method="post">` +
              Object.keys(TEST_CARDS)
                .map((x) => `<button name="paymentMethod" value="${x}">Save ${x}</button>`)
                .join(' ') +
              `</form>`,
          );
        }
        if (method !== 'POST') return reply(405, { error: { message: 'GET or POST' } });
        const card = new URLSearchParams(body).get('paymentMethod') ?? 'pm_card_visa';
        const saved = standIn.completeSetupSession(id, { paymentMethod: card });
        await deliverAll(standIn, [
          saved.completed,
          saved.setupIntentSucceeded,
          saved.paymentMethodAttached,
        ]);
        return reply(303, '', { location: String(session.success_url) });
      }
      if (method === 'GET') {
        const methods = (session.allowed_payment_method_types as string[] | null) ?? ['card'];
        // Stripe amounts are integer cents; shown through libs/money, never through a float.
        const amount = formatUsdFixed(BigInt(session.amount_total as number) * 10_000_000n, 2);
        return reply(
          200,
          `<!doctype html><title>Stripe stand-in checkout</title><h1>Stripe stand-in: pay $${amount}</h1>` +
            `<p>This is a stand-in for Stripe Checkout; no money moves.</p><form method="post">` +
            methods
              .map((x) => `<button name="method" value="${x}">Pay with ${x}</button>`)
              .join(' ') +
            `</form>`,
        );
      }
      if (method !== 'POST') return reply(405, { error: { message: 'GET or POST' } });
      const chosen = new URLSearchParams(body).get('method') ?? 'card';
      const paid = standIn.completeCheckoutSession(id, { paymentMethodType: chosen });
      await deliverAll(standIn, [
        paid.completed,
        paid.paymentIntentSucceeded,
        paid.chargeSucceeded,
      ]);
      return reply(303, '', { location: String(session.success_url) });
    }
    authenticate(req, secretKey);
    const input = body.length > 0 ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (
      method === 'POST' &&
      (m = /^\/_stand-in\/checkout\/sessions\/(cs_test_\w+)\/complete$/.exec(path))
    ) {
      if (store.sessions.get(m[1] ?? '')?.session.mode === 'setup') {
        const card = typeof input.paymentMethod === 'string' ? input.paymentMethod : 'pm_card_visa';
        const saved = standIn.completeSetupSession(m[1] ?? '', { paymentMethod: card });
        return reply(200, {
          paymentMethodId: saved.paymentMethodId,
          deliveries: await deliverAll(standIn, [
            saved.completed,
            saved.setupIntentSucceeded,
            saved.paymentMethodAttached,
          ]),
        });
      }
      const type = typeof input.paymentMethodType === 'string' ? input.paymentMethodType : 'card';
      const paid = standIn.completeCheckoutSession(m[1] ?? '', { paymentMethodType: type });
      const events = [paid.completed, paid.paymentIntentSucceeded, paid.chargeSucceeded];
      return reply(200, {
        paymentIntentId: paid.paymentIntentId,
        deliveries: await deliverAll(standIn, events),
      });
    }
    if (method === 'POST' && (m = /^\/_stand-in\/payment_intents\/(pi_\w+)\/refund$/.exec(path))) {
      if (typeof input.amount !== 'number')
        return reply(400, { error: { message: 'amount (cents) is required' } });
      const { refundId, chargeRefunded } = standIn.refund(m[1] ?? '', input.amount);
      return reply(200, { refundId, deliveries: await deliverAll(standIn, [chargeRefunded]) });
    }
    return reply(404, {
      error: { message: `Unrecognized stand-in request (${method}: ${path}).` },
    });
  } catch (err) {
    if (err instanceof StripeApiError) return reply(err.status, err.body);
    return reply(400, { error: { message: err instanceof Error ? err.message : String(err) } });
  }
}

async function deliverAll(
  standIn: OutOfBandDriver,
  events: readonly (StripeEvent | null)[],
): Promise<{ type: string; status: number }[]> {
  const out: { type: string; status: number }[] = [];
  for (const event of events) {
    if (event === null) continue;
    out.push({ type: event.type, status: (await standIn.deliver(event)).status });
  }
  return out;
}
