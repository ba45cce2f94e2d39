import type { ApiKeyPlan } from '@billing/contracts';
import { INSTANT_PROPERTY, NULLABLE_INSTANT_PROPERTY } from '@billing/service-kit';
import { ApiProperty } from '@nestjs/swagger';
import type { CreatedApiKey } from '../commands/create-api-key/create-api-key.command.js';
import type { ApiKeyStatus } from '../domain/index.js';
import type {
  ApiKeyDetailsView,
  ApiKeyView,
  RecentUsageView,
  SpendLimitsView,
} from '../queries/api-key-view.js';
import type { ApiKeyList } from '../queries/list-api-keys/list-api-keys.query.js';

// The answers' schemas in the OpenAPI document (`/docs`), for clients to read and for the console's
// check (apps/console/src/api-contract.spec.ts). Each class implements the view its handler returns,
// so a field the view gains must be declared here too.

const PLANS = ['payg', 'builder'];

export class SpendLimitsResponse implements SpendLimitsView {
  @ApiProperty({ type: String, nullable: true, example: '5', description: 'USD a UTC day' })
  readonly daily!: string | null;
  @ApiProperty({ type: String, nullable: true, example: '100', description: 'USD a UTC month' })
  readonly monthly!: string | null;
}

/** A key as listings show it: never more of the secret than the prefix. */
export class ApiKeyResponse implements ApiKeyView {
  @ApiProperty({ example: 'key_01J9' })
  readonly id!: string;
  @ApiProperty({ example: 'production' })
  readonly name!: string;
  @ApiProperty({ example: 'sk-live-AbCd' })
  readonly prefix!: string;
  @ApiProperty({ enum: ['enabled', 'disabled'] })
  readonly status!: ApiKeyStatus;
  @ApiProperty({
    ...NULLABLE_INSTANT_PROPERTY,
    description: 'When the key stops working; null, never',
  })
  readonly expiresAt!: string | null;
  @ApiProperty({ type: SpendLimitsResponse })
  readonly spendLimits!: SpendLimitsResponse;
  @ApiProperty({ enum: PLANS })
  readonly plan!: ApiKeyPlan;
  @ApiProperty(INSTANT_PROPERTY)
  readonly createdAt!: string;
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly lastUsedAt!: string | null;
  @ApiProperty({ example: '1.25', description: 'Consumed through the key (USD, a decimal string)' })
  readonly used!: string;
}

/** `GET /v1/accounts/{accountId}/api-keys`: the account's keys that are not deleted. */
export class ApiKeyListResponse implements ApiKeyList {
  @ApiProperty({ type: [ApiKeyResponse] })
  readonly data!: readonly ApiKeyResponse[];
}

export class RecentUsageResponse implements RecentUsageView {
  @ApiProperty({ example: 'req_01J9' })
  readonly requestId!: string;
  @ApiProperty({ example: 'gpt-4o-mini' })
  readonly model!: string;
  @ApiProperty({ example: 'completed' })
  readonly status!: string;
  @ApiProperty({ example: 120 })
  readonly inputTokens!: number;
  @ApiProperty({ example: 40 })
  readonly outputTokens!: number;
  @ApiProperty({ example: '0.0001' })
  readonly cost!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly startedAt!: string;
  @ApiProperty(INSTANT_PROPERTY)
  readonly completedAt!: string;
}

/** `GET /v1/accounts/{accountId}/api-keys/{apiKeyId}`. */
export class ApiKeyDetailsResponse extends ApiKeyResponse implements ApiKeyDetailsView {
  @ApiProperty({ type: [RecentUsageResponse], description: 'Newest first' })
  readonly recentUsage!: readonly RecentUsageResponse[];
}

/** `POST /v1/accounts/{accountId}/api-keys`: the only answer with the full secret but a reveal. */
export class CreatedApiKeyResponse implements CreatedApiKey {
  @ApiProperty({ example: 'key_01J9' })
  readonly id!: string;
  @ApiProperty({ example: 'production' })
  readonly name!: string;
  @ApiProperty({ description: 'The full secret, shown once' })
  readonly key!: string;
  @ApiProperty({ example: 'sk-live-AbCd' })
  readonly prefix!: string;
  @ApiProperty({ enum: ['enabled'] })
  readonly status!: 'enabled';
  @ApiProperty(NULLABLE_INSTANT_PROPERTY)
  readonly expiresAt!: string | null;
  @ApiProperty({ enum: PLANS })
  readonly plan!: ApiKeyPlan;
  @ApiProperty(INSTANT_PROPERTY)
  readonly createdAt!: string;
}

/** `POST /v1/accounts/{accountId}/api-keys/{apiKeyId}/reveal`. */
export class RevealedApiKeyResponse {
  @ApiProperty({ description: 'The full secret' })
  readonly key!: string;
}
