import { Query } from '@nestjs/cqrs';

/** One priced request, as the console's request log shows it. */
export interface RequestLogView {
  readonly requestId: string;
  readonly apiKeyId: string | null;
  readonly model: string;
  readonly status: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number | null;
  readonly cacheWriteTokens: number | null;
  readonly reasoningTokens: number | null;
  readonly estimated: boolean;
  /** What the request was charged, a decimal USD string. */
  readonly cost: string;
  readonly priceVersion: string;
  readonly startedAt: string;
  readonly completedAt: string;
  readonly latencyMs: number;
  readonly recordedAt: string;
}

export interface RequestLogPage {
  /** Newest first (by start time, then request id). */
  readonly data: readonly RequestLogView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  readonly nextCursor: string | null;
}

/** `GET /v1/accounts/{accountId}/requests?apiKeyId=&limit=&cursor=` */
export class ListRequestsQuery extends Query<RequestLogPage> {
  constructor(
    readonly accountId: string,
    readonly limit: number,
    readonly apiKeyId?: string,
    readonly cursor?: string,
  ) {
    super();
  }
}
