import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { fail, ok, validatePromotionCode, type Result } from '../../domain/index.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  CreatePromotionCodeCommand,
  promotionCodeView,
  type PromotionCodeView,
} from './create-promotion-code.command.js';

@CommandHandler(CreatePromotionCodeCommand)
export class CreatePromotionCodeHandler implements ICommandHandler<CreatePromotionCodeCommand> {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({ request }: CreatePromotionCodeCommand): Promise<Result<PromotionCodeView>> {
    const validated = validatePromotionCode(request);
    if (!validated.ok) return validated;
    const code = validated.value;
    // A code already handed out keeps its terms: creating it again is refused, not an update.
    if (!(await this.store.promotions.insert(this.store.pool, code, this.options.nowMs()))) {
      return fail('PAYMENTS.PROMOTION_CODE_EXISTS', `promotion code ${code.code} already exists`);
    }
    const row = await this.store.promotions.get(this.store.pool, code.code);
    if (row === undefined) throw new Error(`promotion code ${code.code} vanished after insert`);
    return ok(promotionCodeView(row));
  }
}
