import { Query } from '@nestjs/cqrs';
import type { AuditEventView } from '../list-account-events/list-account-events.query.js';

export interface LogEventView extends AuditEventView {
  readonly streamId: string;
  readonly accountId: string | null;
}

export interface LogPage {
  readonly data: readonly LogEventView[];
  /** Pass as `after` to continue; the same cursor again when nothing new was there yet. */
  readonly nextCursor: string;
}

/**
 * `GET /v1/audit/events`: the global log of every account, in the store's gap-free order
 * ((transaction id, position), never past a transaction still running), with a cursor.
 */
export class ListLogEventsQuery extends Query<LogPage> {
  constructor(
    readonly after: string | undefined,
    readonly limit: number,
  ) {
    super();
  }
}
