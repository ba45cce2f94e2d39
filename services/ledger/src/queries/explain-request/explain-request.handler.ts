import type { EventStore, StoredEvent } from '@billing/event-store';
import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { LedgerInvariantError, chargeKeyOf, holdKeyOf, isCreditEvent } from '../../domain/index.js';
import { accountKeyOf } from '../../infrastructure/ids.js';
import { fromStoredEvent } from '../../infrastructure/stored-events.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';
import { ExplainRequestQuery, type RequestExplanationView } from './explain-request.query.js';
import { explainCharge } from './request-explanation.js';

/**
 * Finds a request's UsageCharged through the idempotency key its charge was appended with
 * (`<accountId>/usage:<requestId>`), then, in one more read, the credit events that opened the
 * lots it drew from (a credit's key is the lot id it opens) and the HoldPlaced of its hold. Two
 * index lookups, whatever the account's history; no projection to keep. The key is scoped to the
 * account, so another account's request id is simply not found.
 */
@QueryHandler(ExplainRequestQuery)
export class ExplainRequestHandler implements IQueryHandler<ExplainRequestQuery> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({
    accountId,
    requestId,
  }: ExplainRequestQuery): Promise<RequestExplanationView | undefined> {
    const chargeKey = accountKeyOf(accountId, chargeKeyOf(requestId));
    const appended = (await this.store.readByIdempotencyKeys([chargeKey])).get(chargeKey);
    if (appended === undefined) return undefined;
    // The charge's append may begin with what was due before it (expired lots or holds).
    const stored = appended.find((e) => e.type === 'UsageCharged');
    const charge = stored === undefined ? undefined : fromStoredEvent(stored);
    if (stored === undefined || charge?.type !== 'UsageCharged') {
      throw new LedgerInvariantError(`the append keyed ${chargeKey} holds no UsageCharged`);
    }

    const data = charge.data;
    const lotKeys = new Map(data.draws.map((d) => [accountKeyOf(accountId, d.lotId), d.lotId]));
    const holdKey =
      data.holdId === undefined ? undefined : accountKeyOf(accountId, holdKeyOf(data.holdId));
    const related = await this.store.readByIdempotencyKeys([
      ...lotKeys.keys(),
      ...(holdKey === undefined ? [] : [holdKey]),
    ]);

    const lotOpenings = new Map<string, StoredEvent>();
    for (const [key, lotId] of lotKeys) {
      const opening = related.get(key)?.find((e) => opensLot(e, lotId));
      if (opening !== undefined) lotOpenings.set(lotId, opening);
    }
    const holdPlacement =
      holdKey === undefined
        ? undefined
        : related.get(holdKey)?.find((e) => e.type === 'HoldPlaced');
    return explainCharge({ accountId, charge: stored, data, lotOpenings, holdPlacement });
  }
}

/**
 * Whether `event` is the credit that opened `lotId` (a credit or a positive adjustment; its append
 * may begin with settlements that were due).
 */
function opensLot(event: StoredEvent, lotId: string): boolean {
  const decoded = fromStoredEvent(event);
  return (
    (isCreditEvent(decoded) || decoded.type === 'AdjustmentPosted') && decoded.data.lotId === lotId
  );
}
