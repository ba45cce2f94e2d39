import { Command } from '@nestjs/cqrs';
import type { ApiKeyStatus, Result, SpendLimitsChange } from '../../domain/index.js';
import type { ApiKeyView } from '../../queries/api-key-view.js';

export type UpdateApiKeyResult = Result<ApiKeyView>;

/**
 * `PATCH /v1/accounts/{accountId}/api-keys/{apiKeyId} {name?, status?, expiresAt?}`: rename,
 * enable or disable, set (a future ISO-8601 UTC time) or remove (null) the expiry. A change of name
 * or status publishes ApiKeyUpdated with the changed fields only, a change of expiry
 * ApiKeyExpiryChanged with the new one, a change of `spendLimits {daily?, monthly?}` (each a
 * decimal USD string, or null to remove it) ApiKeySpendLimitChanged with the whole new limits; no
 * change publishes nothing and answers the key as it is.
 */
export class UpdateApiKeyCommand extends Command<UpdateApiKeyResult> {
  constructor(
    readonly accountId: string,
    readonly apiKeyId: string,
    readonly changes: {
      readonly name?: string;
      readonly status?: ApiKeyStatus;
      readonly expiresAt?: string | null;
      readonly spendLimits?: SpendLimitsChange;
    },
  ) {
    super();
  }
}
