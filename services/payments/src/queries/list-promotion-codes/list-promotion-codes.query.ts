import { Query } from '@nestjs/cqrs';
import type { PromotionCodeView } from '../../commands/create-promotion-code/create-promotion-code.command.js';

/** `GET /v1/admin/promotion-codes`: every code, newest first, with its redemption counts. */
export class ListPromotionCodesQuery extends Query<{ readonly data: PromotionCodeView[] }> {}
