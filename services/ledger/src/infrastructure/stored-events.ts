import type { NewEvent, StoredEvent } from '@billing/event-store';
import {
  STORED_EVENT_VERSION,
  decodeLedgerEvent,
  encodeLedgerEvent,
  type LedgerCommandType,
  type LedgerEvent,
} from '../domain/index.js';

/**
 * The metadata stored with every ledger event. `schemaVersion` is the version of the `data` shape
 * (the stream version is the store's own `version`); the rest tells an auditor what caused it.
 */
export interface LedgerEventMetadata extends Readonly<Record<string, unknown>> {
  readonly schemaVersion: number;
  /** The command that decided the event (`ChargeUsage`, `PlaceHold`, `ExpireHolds`, ...). */
  readonly command: LedgerCommandType;
  /** The input it came from: a Kafka envelope id, or the hold id of an HTTP call. */
  readonly causationId?: string;
  readonly correlationId?: string;
}

export function toNewEvent(event: LedgerEvent, metadata: LedgerEventMetadata): NewEvent {
  const stored = encodeLedgerEvent(event);
  return {
    type: stored.type,
    data: stored.data,
    metadata,
    // The ledger's clock when it decided the event: what `?asOf=` compares with.
    occurredAt: new Date(event.data.recordedAtMs),
  };
}

export function fromStoredEvent(stored: StoredEvent): LedgerEvent {
  const schemaVersion = stored.metadata.schemaVersion;
  return decodeLedgerEvent({
    type: stored.type,
    version: typeof schemaVersion === 'number' ? schemaVersion : STORED_EVENT_VERSION,
    data: stored.data,
  });
}
