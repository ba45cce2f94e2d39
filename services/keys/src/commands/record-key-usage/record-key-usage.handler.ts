import { parseUsd } from '@billing/money';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { RecordKeyUsageCommand, type RecordKeyUsageResult } from './record-key-usage.command.js';

@CommandHandler(RecordKeyUsageCommand)
export class RecordKeyUsageHandler implements ICommandHandler<RecordKeyUsageCommand> {
  constructor(@Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions) {}

  async execute({ event, client }: RecordKeyUsageCommand): Promise<RecordKeyUsageResult> {
    const { data } = event;
    if (data.apiKeyId === undefined) return 'not_ours';
    const schema = this.options.schema;
    // One statement: the recent-usage row is inserted only for a key of the same account (the
    // account id is part of the match, so a forged key id of another tenant changes nothing),
    // and `used` grows only when that row is new, so the same request never counts twice even
    // if it arrived under two event ids. GREATEST ignores the NULL of a never-used key.
    const { rows } = await client.query<{ id: string }>(
      `WITH usage AS (
         INSERT INTO ${schema}.api_key_recent_usage
           (api_key_id, request_id, event_id, model, status, input_tokens, output_tokens,
            cost_nano_usd, started_at, completed_at)
         SELECT k.id, $3, $4, $5, $6, $7, $8, $9, $10, $11
           FROM ${schema}.api_keys k
          WHERE k.id = $1 AND k.account_id = $2
         ON CONFLICT (api_key_id, request_id) DO NOTHING
         RETURNING api_key_id
       )
       UPDATE ${schema}.api_keys k
          SET used_nano_usd = k.used_nano_usd + $9,
              last_used_at = GREATEST(k.last_used_at, $11::timestamptz)
         FROM usage
        WHERE k.id = usage.api_key_id
       RETURNING k.id`,
      [
        data.apiKeyId,
        event.accountId,
        data.requestId,
        event.id,
        data.model,
        data.status,
        data.inputTokens,
        data.outputTokens,
        parseUsd(data.cost).toString(),
        data.startedAt,
        data.completedAt,
      ],
    );
    if (rows.length === 0) return 'not_ours';
    // Keep the newest `recentUsageLimit` rows of the key. Usage may arrive out of order, so the
    // oldest by completion time go, whichever arrived last.
    await client.query(
      `DELETE FROM ${schema}.api_key_recent_usage
        WHERE api_key_id = $1
          AND (completed_at, request_id) < (
            SELECT completed_at, request_id FROM ${schema}.api_key_recent_usage
             WHERE api_key_id = $1
             ORDER BY completed_at DESC, request_id DESC
             OFFSET $2 - 1 LIMIT 1)`,
      [data.apiKeyId, this.options.recentUsageLimit],
    );
    return 'counted';
  }
}
