import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import {
  promotionCodeView,
  type PromotionCodeView,
} from '../../commands/create-promotion-code/create-promotion-code.command.js';
import { PaymentsStore } from '../../infrastructure/payments-store.js';
import { ListPromotionCodesQuery } from './list-promotion-codes.query.js';

@QueryHandler(ListPromotionCodesQuery)
export class ListPromotionCodesHandler implements IQueryHandler<ListPromotionCodesQuery> {
  constructor(private readonly store: PaymentsStore) {}

  async execute(): Promise<{ data: PromotionCodeView[] }> {
    const rows = await this.store.promotions.list(this.store.pool);
    return { data: rows.map(promotionCodeView) };
  }
}
