import { Query } from '@nestjs/cqrs';
import type { TokenCounts } from '../../domain/index.js';

export const USAGE_GROUPINGS = ['day', 'model', 'apiKey'] as const;
export type UsageGrouping = (typeof USAGE_GROUPINGS)[number];

/** The token counts are the sums over the group, 0 where none were reported. */
export interface UsageRowView extends Required<TokenCounts> {
  /** The group: a UTC day ("2026-11-27"), a model id, or an API key id (null: no key reported). */
  readonly day?: string;
  readonly model?: string;
  readonly apiKeyId?: string | null;
  readonly cost: string;
  readonly requests: number;
}

/** `GET /v1/accounts/{accountId}/usage`: cost analytics over whole UTC days, both ends included. */
export interface UsageView {
  readonly accountId: string;
  readonly from: string;
  readonly to: string;
  readonly groupBy: UsageGrouping;
  readonly data: readonly UsageRowView[];
  readonly total: { readonly cost: string; readonly requests: number };
}

export class GetUsageQuery extends Query<UsageView> {
  constructor(
    readonly accountId: string,
    /** UTC days, "YYYY-MM-DD", inclusive. */
    readonly fromDay: string,
    readonly toDay: string,
    readonly groupBy: UsageGrouping,
  ) {
    super();
  }
}
