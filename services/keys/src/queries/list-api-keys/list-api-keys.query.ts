import { Query } from '@nestjs/cqrs';
import type { ApiKeyView } from '../api-key-view.js';

export interface ApiKeyList {
  readonly data: readonly ApiKeyView[];
}

/** `GET /v1/accounts/{accountId}/api-keys`: the account's keys that are not deleted. */
export class ListApiKeysQuery extends Query<ApiKeyList> {
  constructor(readonly accountId: string) {
    super();
  }
}
