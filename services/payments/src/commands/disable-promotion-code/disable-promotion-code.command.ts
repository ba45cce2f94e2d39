import { Command } from '@nestjs/cqrs';
import type { Result } from '../../domain/index.js';
import type { PromotionCodeView } from '../create-promotion-code/create-promotion-code.command.js';

/**
 * An operator disables a code (`POST /v1/admin/promotion-codes/{code}/disable`): refused from now
 * on; checkouts already open keep their reservation and settle with their discount.
 */
export class DisablePromotionCodeCommand extends Command<Result<PromotionCodeView>> {
  constructor(readonly code: string) {
    super();
  }
}
