import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ApiKeyStore } from '../../infrastructure/api-key-store.js';
import { toApiKeyView } from '../api-key-view.js';
import { ListApiKeysQuery, type ApiKeyList } from './list-api-keys.query.js';

@QueryHandler(ListApiKeysQuery)
export class ListApiKeysHandler implements IQueryHandler<ListApiKeysQuery> {
  constructor(private readonly store: ApiKeyStore) {}

  async execute({ accountId }: ListApiKeysQuery): Promise<ApiKeyList> {
    const rows = await this.store.list(accountId);
    return { data: rows.map(toApiKeyView) };
  }
}
