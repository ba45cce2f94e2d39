import { Command } from '@nestjs/cqrs';

/**
 * What became of one verified Stripe event:
 * - `applied`: it changed a top-up (settled, failed, refunded) or a saved card (recorded,
 *   detached), recorded with its event id;
 * - `no_effect`: it concerned one of our top-ups or customers but changed nothing (already
 *   settled, a second report of the same payment, a refused mismatch, a card detached already),
 *   recorded so it is never looked at again;
 * - `duplicate`: this event id was processed before;
 * - `ignored`: not ours or not a type we use; nothing recorded;
 * - `deferred`: it cannot apply yet (a refund before its settlement): nothing recorded, and the
 *   webhook answers 503 so that Stripe delivers it again later;
 * - `malformed`: signed, but not a Stripe event we can read (400, nothing recorded).
 */
export type StripeEventOutcome =
  | {
      readonly kind: 'applied';
      /** The top-up it changed; null for an event about a saved card. */
      readonly topUpId: string | null;
      readonly paymentMethodId?: string;
      readonly decision: string;
    }
  | {
      readonly kind: 'no_effect';
      readonly topUpId: string | null;
      readonly paymentMethodId?: string;
      readonly reason: string;
    }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'ignored'; readonly reason: string }
  | { readonly kind: 'deferred'; readonly reason: string }
  | { readonly kind: 'malformed'; readonly reason: string };

/** A Stripe event whose signature was verified (the JSON as parsed by the `stripe` library). */
export class HandleStripeEventCommand extends Command<StripeEventOutcome> {
  constructor(readonly event: unknown) {
    super();
  }
}
