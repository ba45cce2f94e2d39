import { ApiError, METRICS, Public } from '@billing/service-kit';
import { Controller, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
import { Counter, type Registry } from 'prom-client';
import { HandleStripeEventCommand } from '../commands/handle-stripe-event/handle-stripe-event.command.js';
import { StripeWebhookVerifier } from '../infrastructure/stripe/stripe-webhook-verifier.js';

export const STRIPE_WEBHOOK_VERIFIER = Symbol('STRIPE_WEBHOOK_VERIFIER');

/**
 * `POST /webhooks/stripe`: no bearer token (@Public); the Stripe signature over the raw body is the
 * credential. Nothing is read from the body before the signature and its age are checked (the app
 * runs with `rawBody: true`, so `req.rawBody` holds the exact bytes Stripe signed).
 *
 * Answers: 200 once the event is processed or known to be irrelevant (Stripe stops retrying);
 * 400 for a bad or stale signature or an unreadable event (nothing recorded); 503 when the event
 * cannot apply yet, so that Stripe delivers it again later.
 */
@ApiExcludeController()
@Public()
@Controller('webhooks')
export class StripeWebhookController {
  private readonly logger = new Logger('StripeWebhook');
  /** Deliveries by outcome: a fixed set (`signature_invalid` is what an alert watches). */
  private readonly deliveries: Counter<'outcome'>;

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(STRIPE_WEBHOOK_VERIFIER) private readonly verifier: StripeWebhookVerifier,
    @Inject(METRICS) registry: Registry,
  ) {
    this.deliveries = new Counter({
      name: 'payments_stripe_webhooks_total',
      help: 'Stripe webhook deliveries, by outcome (applied, duplicate, no_effect, ignored, deferred, malformed, signature_invalid, not_json)',
      labelNames: ['outcome'],
      registers: [registry],
    });
  }

  @Post('stripe')
  @HttpCode(200)
  async stripe(
    @Req() req: Request & { rawBody?: Buffer },
  ): Promise<{ received: true; outcome: string }> {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      this.deliveries.inc({ outcome: 'not_json' });
      throw new ApiError(415, 'PAYMENTS.INVALID_WEBHOOK', 'a Stripe webhook is application/json');
    }
    // Stripe sends one Stripe-Signature header (several signatures go inside it, during a secret
    // rotation). Node would join repeated headers into one string; refuse them instead.
    const verified = this.verifier.verify(req.rawBody, req.headersDistinct['stripe-signature']);
    if (!verified.ok) {
      this.deliveries.inc({ outcome: 'signature_invalid' });
      throw new ApiError(400, 'PAYMENTS.INVALID_SIGNATURE', verified.reason);
    }
    const outcome = await this.commandBus.execute(new HandleStripeEventCommand(verified.event));
    this.deliveries.inc({ outcome: outcome.kind });
    switch (outcome.kind) {
      case 'malformed':
        this.logger.warn(`signed Stripe event refused: ${outcome.reason}`);
        throw new ApiError(400, 'PAYMENTS.MALFORMED_EVENT', outcome.reason);
      case 'deferred':
        throw new ApiError(503, 'PAYMENTS.RETRY_LATER', outcome.reason);
      case 'applied':
      case 'no_effect':
      case 'duplicate':
      case 'ignored':
        return { received: true, outcome: outcome.kind };
    }
  }
}
