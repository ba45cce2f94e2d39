/** The event store of the ledger's schema (a `PostgresEventStore`). */
export const EVENT_STORE = Symbol('EVENT_STORE');
