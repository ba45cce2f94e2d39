import { Query } from '@nestjs/cqrs';

/** One stored event as an auditor sees it: the stored JSON and its place in the hash chain. */
export interface AuditEventView {
  /** The global log position (a string: it is an int8). */
  readonly position: string;
  readonly version: number;
  readonly type: string;
  readonly occurredAt: string;
  readonly recordedAt: string;
  readonly eventId: string;
  readonly data: unknown;
  readonly metadata: unknown;
  readonly prevHash: string;
  readonly hash: string;
}

export interface AccountEventsPage {
  readonly accountId: string;
  readonly data: readonly AuditEventView[];
  /** Pass as `fromVersion` for the next page; null when the stream ends here. */
  readonly nextFromVersion: number | null;
}

/** `GET /v1/audit/accounts/{accountId}/events`: an account's stream, in version order. */
export class ListAccountEventsQuery extends Query<AccountEventsPage> {
  constructor(
    readonly accountId: string,
    readonly fromVersion: number,
    readonly limit: number,
  ) {
    super();
  }
}
