import type { EventStore } from '@billing/event-store';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { streamIdOf } from '../../infrastructure/ids.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';
import { auditEventView } from './audit-event-view.js';
import { ListAccountEventsQuery, type AccountEventsPage } from './list-account-events.query.js';

@QueryHandler(ListAccountEventsQuery)
export class ListAccountEventsHandler implements IQueryHandler<ListAccountEventsQuery> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({
    accountId,
    fromVersion,
    limit,
  }: ListAccountEventsQuery): Promise<AccountEventsPage> {
    const events = await this.store.readStream(streamIdOf(accountId), { fromVersion, limit });
    const last = events.at(-1);
    return {
      accountId,
      data: events.map(auditEventView),
      nextFromVersion: events.length === limit && last !== undefined ? last.version + 1 : null,
    };
  }
}
