import type { StoredEvent } from '@billing/event-store';
import { formatUsd } from '@billing/money';
import type { UnitPrices, UsageChargedData } from '../../domain/index.js';
import type {
  LedgerEventRef,
  RequestExplanationView,
  UnitPricesView,
} from './explain-request.query.js';

/** What the handler found in the event store for one charged request. */
export interface ChargeRecord {
  readonly accountId: string;
  /** The stored UsageCharged and its decoded data. */
  readonly charge: StoredEvent;
  readonly data: UsageChargedData;
  /** The credit event that opened each lot drawn, by lot id. */
  readonly lotOpenings: ReadonlyMap<string, StoredEvent>;
  /** The HoldPlaced of the request's hold, when it had one and the store has it. */
  readonly holdPlacement?: StoredEvent | undefined;
}

export function ledgerEventRef(event: StoredEvent): LedgerEventRef {
  return {
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    streamVersion: event.version,
    position: event.globalPosition.toString(),
    recordedAt: event.recordedAt.toISOString(),
  };
}

function unitPricesView(prices: UnitPrices): UnitPricesView {
  return {
    input: formatUsd(prices.inputNanos),
    output: formatUsd(prices.outputNanos),
    cachedInput: formatUsd(prices.cachedInputNanos),
    cacheWrite: formatUsd(prices.cacheWriteNanos),
  };
}

/**
 * The answer of "explain this charge", built from the charge's own event and the events it
 * points at. Pure: every figure is read from the stored events, nothing is recomputed, so the
 * answer is what the hash chain proves.
 */
export function explainCharge(record: ChargeRecord): RequestExplanationView {
  const d = record.data;
  const placement = record.holdPlacement;
  return {
    accountId: record.accountId,
    requestId: d.requestId,
    apiKeyId: d.apiKeyId ?? null,
    model: d.model,
    completedAt: new Date(d.occurredAtMs).toISOString(),
    chargedAt: new Date(d.recordedAtMs).toISOString(),
    tokens: {
      input: d.inputTokens,
      cachedInput: d.cachedInputTokens ?? 0,
      cacheWrite: d.cacheWriteTokens ?? 0,
      output: d.outputTokens,
      reasoning: d.reasoningTokens ?? 0,
    },
    price: {
      version: d.priceVersion,
      perMillionTokens:
        d.pricesPerMillionTokens === undefined ? null : unitPricesView(d.pricesPerMillionTokens),
    },
    cost: formatUsd(d.costNanos),
    draws: d.draws.map((draw) => {
      const opening = record.lotOpenings.get(draw.lotId);
      return {
        lotId: draw.lotId,
        kind: draw.kind,
        amount: formatUsd(draw.amountNanos),
        lotOpenedBy: opening === undefined ? null : ledgerEventRef(opening),
      };
    }),
    debtIncurred: formatUsd(d.debtIncurredNanos),
    hold:
      d.holdId === undefined
        ? null
        : {
            holdId: d.holdId,
            captured: d.capturedHoldNanos === undefined ? null : formatUsd(d.capturedHoldNanos),
            placedBy: placement === undefined ? null : ledgerEventRef(placement),
          },
    chargedBy: ledgerEventRef(record.charge),
  };
}
