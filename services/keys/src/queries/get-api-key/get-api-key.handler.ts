import { formatUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ApiKeyStore } from '../../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { toApiKeyView, type ApiKeyDetailsView, type RecentUsageView } from '../api-key-view.js';
import { GetApiKeyQuery } from './get-api-key.query.js';

interface UsageRow {
  request_id: string;
  model: string;
  status: string;
  input_tokens: string;
  output_tokens: string;
  cost_nano_usd: string;
  started_at: Date;
  completed_at: Date;
}

@QueryHandler(GetApiKeyQuery)
export class GetApiKeyHandler implements IQueryHandler<GetApiKeyQuery> {
  constructor(
    private readonly store: ApiKeyStore,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  execute({ accountId, apiKeyId }: GetApiKeyQuery): Promise<ApiKeyDetailsView | undefined> {
    // One snapshot for both reads: `used` and the recent usage always add up.
    return this.store.snapshot(async (client) => {
      const row = await this.store.find(accountId, apiKeyId, client);
      if (row === undefined) return undefined;
      const { rows } = await client.query<UsageRow>(
        `SELECT request_id, model, status, input_tokens, output_tokens, cost_nano_usd, started_at,
              completed_at
         FROM ${this.options.schema}.api_key_recent_usage
        WHERE api_key_id = $1
        ORDER BY completed_at DESC, request_id DESC
        LIMIT $2`,
        [apiKeyId, this.options.recentUsageLimit],
      );
      const recentUsage = rows.map((r): RecentUsageView => ({
        requestId: r.request_id,
        model: r.model,
        status: r.status,
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        cost: formatUsd(BigInt(r.cost_nano_usd)),
        startedAt: r.started_at.toISOString(),
        completedAt: r.completed_at.toISOString(),
      }));
      return { ...toApiKeyView(row), recentUsage };
    });
  }
}
