import { Query } from '@nestjs/cqrs';
import type { ApiKeyDetailsView } from '../api-key-view.js';

/**
 * `GET /v1/accounts/{accountId}/api-keys/{apiKeyId}`: the key with its recent usage, or undefined
 * when there is no such key in that account (deleted, never created, or another account's: the
 * caller cannot tell which).
 */
export class GetApiKeyQuery extends Query<ApiKeyDetailsView | undefined> {
  constructor(
    readonly accountId: string,
    readonly apiKeyId: string,
  ) {
    super();
  }
}
