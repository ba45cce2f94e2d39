import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { fail, ok, type Result } from '../../domain/index.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import {
  promotionCodeView,
  type PromotionCodeView,
} from '../create-promotion-code/create-promotion-code.command.js';
import { DisablePromotionCodeCommand } from './disable-promotion-code.command.js';

@CommandHandler(DisablePromotionCodeCommand)
export class DisablePromotionCodeHandler implements ICommandHandler<DisablePromotionCodeCommand> {
  constructor(
    private readonly store: PaymentsStore,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({ code }: DisablePromotionCodeCommand): Promise<Result<PromotionCodeView>> {
    const normalized = code.toUpperCase();
    const { pool } = this.store;
    const row = (await this.store.promotions.disable(pool, normalized, this.options.nowMs()))
      ? await this.store.promotions.get(pool, normalized)
      : undefined;
    if (row === undefined) {
      return fail('PAYMENTS.NOT_FOUND', `promotion code ${normalized} does not exist`);
    }
    return ok(promotionCodeView(row));
  }
}
