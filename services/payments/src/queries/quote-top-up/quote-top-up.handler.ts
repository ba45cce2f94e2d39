import { formatUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { bonusFor, ok, parseTopUpAmount, type Result } from '../../domain/index.js';
import { PromotionRedemptions } from '../../commands/promotion-redemptions.js';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { QuoteTopUpQuery, type TopUpQuote } from './quote-top-up.query.js';

@QueryHandler(QuoteTopUpQuery)
export class QuoteTopUpHandler implements IQueryHandler<QuoteTopUpQuery> {
  constructor(
    private readonly promotions: PromotionRedemptions,
    @Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions,
  ) {}

  async execute({
    accountId,
    amount,
    promotionCode,
  }: QuoteTopUpQuery): Promise<Result<TopUpQuote>> {
    const parsed = parseTopUpAmount(amount, this.options.topUpLimits);
    if (!parsed.ok) return parsed;
    const requestedNanos = parsed.value;
    let discountNanos = 0n;
    let code: string | null = null;
    if (promotionCode !== undefined) {
      const quoted = await this.promotions.quote(accountId, promotionCode, requestedNanos);
      if (!quoted.ok) return quoted;
      discountNanos = quoted.value.discountNanos;
      code = quoted.value.code;
    }
    const bonusNanos = bonusFor(requestedNanos, this.options.bonusRate);
    return ok({
      requested: formatUsd(requestedNanos),
      discount: formatUsd(discountNanos),
      charged: formatUsd(requestedNanos - discountNanos),
      bonus: formatUsd(bonusNanos),
      credited: formatUsd(requestedNanos + bonusNanos),
      promotionCode: code,
    });
  }
}
