import type { StoredEvent } from '@billing/event-store';
import type { AuditEventView } from './list-account-events.query.js';

export function auditEventView(e: StoredEvent): AuditEventView {
  return {
    position: e.globalPosition.toString(),
    version: e.version,
    type: e.type,
    occurredAt: e.occurredAt.toISOString(),
    recordedAt: e.recordedAt.toISOString(),
    eventId: e.eventId,
    data: e.data,
    metadata: e.metadata,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}
