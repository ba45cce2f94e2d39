import { AccountParams, PageQuery } from '@billing/service-kit';
import { ACCOUNT_ID_PATTERN } from '@billing/contracts';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  Length,
  Matches,
  MaxLength,
  Min,
} from 'class-validator';
import { ADMIN_CREDIT_TYPES, type AdminCreditType } from '../domain/index.js';

/** Ids we accept from clients: bounded, no whitespace. */
const ID = /^\S{1,200}$/;
/** A Stripe PaymentMethod id. */
const PAYMENT_METHOD_ID = /^pm_[A-Za-z0-9_]{1,200}$/;

// The account path parameter is shared by every service; re-exported for the controllers.
export { AccountParams };

export class InvoiceParams extends AccountParams {
  @ApiProperty({ example: 'inv_0f4c...' })
  @Matches(/^[A-Za-z0-9_-]{1,100}$/, { message: 'invoiceId is not valid' })
  invoiceId!: string;
}

export class ListQuery extends PageQuery(200, 50) {}

/** A promotion code as typed by a customer or an operator: matched case-insensitively. */
const PROMOTION_CODE = /^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$/;
const PROMOTION_CODE_MESSAGE =
  'promotionCode must be 3 to 40 letters, digits, "-" or "_", starting with a letter or digit';

/** `POST .../top-ups/quote`: what a top-up would charge and credit. */
export class TopUpQuoteBody {
  @ApiProperty({
    example: '100',
    description: 'USD, a decimal string in whole cents, within the configured limits',
  })
  @IsString({ message: 'amount must be a decimal USD string, e.g. "100"' })
  amount!: string;

  @ApiPropertyOptional({
    example: 'SPRING10',
    description: 'A promotion code: the checkout charges the amount less its discount',
  })
  @IsOptional()
  @Matches(PROMOTION_CODE, { message: PROMOTION_CODE_MESSAGE })
  promotionCode?: string;
}

export class CreateTopUpBody extends TopUpQuoteBody {
  @ApiPropertyOptional({
    enum: ['card', 'alipay'],
    description: 'Offer only this method; both when absent',
  })
  @IsOptional()
  @IsIn(['card', 'alipay'], { message: 'method must be "card" or "alipay"' })
  method?: 'card' | 'alipay';
}

export class AutoTopUpBody {
  @ApiProperty()
  @IsBoolean({ message: 'enabled must be a boolean' })
  enabled!: boolean;

  @ApiProperty({ example: '10', description: 'Charge when the total balance falls below this' })
  @IsString({ message: 'threshold must be a decimal USD string, e.g. "10"' })
  threshold!: string;

  @ApiProperty({ example: '100', description: 'What each auto top-up charges' })
  @IsString({ message: 'amount must be a decimal USD string, e.g. "100"' })
  amount!: string;

  @ApiProperty({
    example: 'pm_1Q...',
    description:
      'One of the cards saved on this account (GET .../payment-methods); any other id is refused',
  })
  @Matches(PAYMENT_METHOD_ID, {
    message: 'paymentMethodId must be a Stripe PaymentMethod id (pm_...)',
  })
  paymentMethodId!: string;
}

export class PaymentMethodParams extends AccountParams {
  @ApiProperty({ example: 'pm_1Q...' })
  @Matches(PAYMENT_METHOD_ID, {
    message: 'paymentMethodId must be a Stripe PaymentMethod id (pm_...)',
  })
  paymentMethodId!: string;
}

export class AdminCreditBody {
  @ApiProperty({ enum: ADMIN_CREDIT_TYPES })
  @IsIn(ADMIN_CREDIT_TYPES, { message: `type must be one of ${ADMIN_CREDIT_TYPES.join(', ')}` })
  type!: AdminCreditType;

  @ApiProperty({
    example: '25',
    description: 'Positive; an adjustment may be negative, never zero',
  })
  @IsString({ message: 'amount must be a decimal USD string, e.g. "25"' })
  amount!: string;

  @ApiProperty({ example: 'AI insurance claim #123' })
  @IsString()
  @Length(1, 500)
  reason!: string;

  @ApiProperty({ example: 'claim-123', description: 'The idempotency key of this credit' })
  @Matches(ID, { message: 'reference must be 1 to 200 characters without whitespace' })
  reference!: string;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z' })
  @IsOptional()
  @IsString()
  expiresAt?: string;

  @ApiPropertyOptional({ description: 'referral only' })
  @IsOptional()
  @Matches(ACCOUNT_ID_PATTERN, { message: 'referredAccountId must be an account id' })
  referredAccountId?: string;

  @ApiPropertyOptional({ description: 'compensation only' })
  @IsOptional()
  @Matches(ID, { message: 'claimId must be 1 to 200 characters without whitespace' })
  claimId?: string;
}

/**
 * `PUT .../low-balance-alert`. Types and lengths here; what the values mean (a positive threshold
 * within bounds, an https:// URL, an address) is checked by the domain, with its own codes.
 */
export class LowBalanceAlertBody {
  @ApiProperty()
  @IsBoolean({ message: 'enabled must be a boolean' })
  enabled!: boolean;

  @ApiProperty({
    example: '10',
    description:
      'Alert when the available balance falls below this (USD, positive, at most 1000000)',
  })
  @IsString({ message: 'threshold must be a decimal USD string, e.g. "10"' })
  @MaxLength(60, { message: 'threshold must be a decimal USD string, e.g. "10"' })
  threshold!: string;

  @ApiPropertyOptional({ example: 'ops@example.com', nullable: true })
  @IsOptional()
  @IsString({ message: 'email must be a string' })
  @MaxLength(254, { message: 'email must be at most 254 characters' })
  email?: string | null;

  @ApiPropertyOptional({
    example: 'https://example.com/hooks/billing',
    nullable: true,
    description: 'https:// only; receives signed `balance.low` events (Billing-Signature)',
  })
  @IsOptional()
  @IsString({ message: 'webhookUrl must be a string' })
  @MaxLength(2048, { message: 'webhookUrl must be at most 2048 characters' })
  webhookUrl?: string | null;
}

/** `POST /v1/admin/promotion-codes`: exactly one of percentOff and amountOff (checked by the domain). */
export class PromotionCodeBody {
  @ApiProperty({
    example: 'SPRING10',
    description: 'Stored upper case; matched case-insensitively',
  })
  @Matches(PROMOTION_CODE, { message: PROMOTION_CODE_MESSAGE.replace('promotionCode', 'code') })
  code!: string;

  @ApiPropertyOptional({ example: '10', description: 'Percent off, above 0 and below 100' })
  @IsOptional()
  @IsString({ message: 'percentOff must be a decimal string, e.g. "10"' })
  @MaxLength(10, { message: 'percentOff must be a decimal string, e.g. "10"' })
  percentOff?: string;

  @ApiPropertyOptional({ example: '5', description: 'USD off, whole cents' })
  @IsOptional()
  @IsString({ message: 'amountOff must be a decimal USD string, e.g. "5"' })
  @MaxLength(60, { message: 'amountOff must be a decimal USD string, e.g. "5"' })
  amountOff?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'Inclusive' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'validFrom must be an ISO-8601 instant' })
  validFrom?: string;

  @ApiPropertyOptional({ example: '2027-01-01T00:00:00Z', description: 'Exclusive' })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'validUntil must be an ISO-8601 instant' })
  validUntil?: string;

  @ApiPropertyOptional({ example: 1000, description: 'Redemptions across all accounts' })
  @IsOptional()
  @IsInt({ message: 'maxRedemptions must be a positive integer' })
  @Min(1, { message: 'maxRedemptions must be a positive integer' })
  maxRedemptions?: number;

  @ApiPropertyOptional({ example: 1, description: 'Redemptions per account' })
  @IsOptional()
  @IsInt({ message: 'maxRedemptionsPerAccount must be a positive integer' })
  @Min(1, { message: 'maxRedemptionsPerAccount must be a positive integer' })
  maxRedemptionsPerAccount?: number;
}

export class PromotionCodeParams {
  @ApiProperty({ example: 'SPRING10' })
  @Matches(PROMOTION_CODE, { message: PROMOTION_CODE_MESSAGE.replace('promotionCode', 'code') })
  code!: string;
}

export class JoinReferralBody {
  @ApiProperty({ example: 'K7M2QX9P', description: "Another account's referral code" })
  @IsString({ message: 'code must be a string' })
  @MaxLength(64, { message: 'code is not a referral code' })
  code!: string;
}
