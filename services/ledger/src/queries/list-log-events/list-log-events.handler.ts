import type { EventStore } from '@billing/event-store';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { accountIdOfStream } from '../../infrastructure/ids.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';
import { auditEventView } from '../list-account-events/audit-event-view.js';
import { ListLogEventsQuery, type LogPage } from './list-log-events.query.js';

@QueryHandler(ListLogEventsQuery)
export class ListLogEventsHandler implements IQueryHandler<ListLogEventsQuery> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ after, limit }: ListLogEventsQuery): Promise<LogPage> {
    const page = await this.store.readAll({ ...(after !== undefined && { after }), limit });
    return {
      data: page.events.map((e) => ({
        ...auditEventView(e),
        streamId: e.streamId,
        accountId: accountIdOfStream(e.streamId) ?? null,
      })),
      nextCursor: page.nextToken,
    };
  }
}
