import { ApiError, Public } from '@billing/service-kit';
import { Controller, HttpCode, Inject, Logger, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request } from 'express';
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

  constructor(
    private readonly commandBus: CommandBus,
    @Inject(STRIPE_WEBHOOK_VERIFIER) private readonly verifier: StripeWebhookVerifier,
  ) {}

  @Post('stripe')
  @HttpCode(200)
  async stripe(
    @Req() req: Request & { rawBody?: Buffer },
  ): Promise<{ received: true; outcome: string }> {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      throw new ApiError(415, 'PAYMENTS.INVALID_WEBHOOK', 'a Stripe webhook is application/json');
    }
    // Stripe sends one Stripe-Signature header (several signatures go inside it, during a secret
    // rotation). Node would join repeated headers into one string; refuse them instead.
    const verified = this.verifier.verify(req.rawBody, req.headersDistinct['stripe-signature']);
    if (!verified.ok) {
      throw new ApiError(400, 'PAYMENTS.INVALID_SIGNATURE', verified.reason);
    }
    const outcome = await this.commandBus.execute(new HandleStripeEventCommand(verified.event));
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
