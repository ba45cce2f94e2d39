import type { EventStore, LogPosition, StoredEvent } from '@billing/event-store';

/**
 * Reads the whole global log page by page, with the next page already on its way while the caller
 * works on the current one, so reading and folding overlap (the database's time and ours).
 */
export async function forEachLogPage(
  store: EventStore,
  pageSize: number,
  visit: (events: readonly StoredEvent[]) => void,
): Promise<void> {
  const read = (after: LogPosition | undefined) =>
    store.readAll({ ...(after !== undefined && { after }), limit: pageSize });
  let next = read(undefined);
  for (;;) {
    const page = await next;
    const more = page.events.length >= pageSize;
    if (more) next = read(page.next);
    visit(page.events);
    if (!more) return;
  }
}
