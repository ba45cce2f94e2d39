// Pricing one UsageObserved against a catalog: the step shared by the Kafka consumer (where a
// failure dead-letters the message) and `POST /v1/usage` (where it answers 400). Pure: the
// catalog comes in, nothing is read or written.
import type { UsageObserved } from '@billing/contracts';
import { parseIsoUtc } from '@billing/contracts';
import { priceUsage, type PriceCatalog, type PriceVersion } from '../domain/index.js';

/**
 * Why a UsageObserved cannot be priced. Stable: it is the `x-dlq-reason` prefix of the dead
 * letter and the error code of `POST /v1/usage`.
 */
export type UnpriceableCode =
  /** The model is not in the catalog: never priced at zero, always dead-lettered. */
  | 'METERING.UNKNOWN_MODEL'
  /** The model has no price in force at `startedAt` (it started before the first version). */
  | 'METERING.NO_PRICE_AT_START'
  /** Token counts that contradict each other (cached > input, reasoning > output). */
  | 'METERING.INVALID_USAGE';

export interface PricedObservation {
  readonly observed: UsageObserved;
  readonly version: PriceVersion;
  /**
   * What the request costs the balance: its price, or 0 for a request of a Builder plan key
   * (`plan: "builder"`), which the account's subscription covers.
   */
  readonly costNanoUsd: bigint;
  /** The request was made with a Builder plan key: covered by the subscription, not the balance. */
  readonly coveredBySubscription: boolean;
  readonly startedAt: Date;
  readonly completedAt: Date;
  /** completedAt − startedAt, in whole milliseconds (rounded down). */
  readonly latencyMs: number;
  /** firstTokenAt − startedAt, in whole milliseconds (rounded down); null without a first token. */
  readonly ttftMs: number | null;
}

export type PricingResult =
  | { readonly ok: true; readonly value: PricedObservation }
  | { readonly ok: false; readonly code: UnpriceableCode; readonly reason: string };

const NANOS_PER_MS = 1_000_000n;

/** The instant of a contract timestamp, to the millisecond, rounded towards the past. */
function instant(text: string, what: string): { date: Date; nanos: bigint } {
  const nanos = parseIsoUtc(text);
  // The contract decoder has already checked it: anything else is a bug upstream of here.
  if (nanos === undefined) throw new RangeError(`${what} is not an ISO-8601 UTC timestamp`);
  const ms = nanos >= 0n ? nanos / NANOS_PER_MS : -((-nanos + NANOS_PER_MS - 1n) / NANOS_PER_MS);
  return { date: new Date(Number(ms)), nanos };
}

/**
 * Prices `observed` at the version in force when the request started. Rounding a start time down
 * to the millisecond never moves it across a version boundary, because versions start on whole
 * milliseconds.
 */
export function priceObservation(catalog: PriceCatalog, observed: UsageObserved): PricingResult {
  const { data } = observed;
  const started = instant(data.startedAt, 'startedAt');
  const completed = instant(data.completedAt, 'completedAt');
  if (catalog.model(data.model) === undefined) {
    return {
      ok: false,
      code: 'METERING.UNKNOWN_MODEL',
      reason: `model ${JSON.stringify(data.model)} is not in the price catalog`,
    };
  }
  const version = catalog.priceAt(data.model, started.date);
  if (version === undefined) {
    return {
      ok: false,
      code: 'METERING.NO_PRICE_AT_START',
      reason: `model ${data.model} has no price in force at startedAt ${data.startedAt}`,
    };
  }
  const priced = priceUsage(data, version);
  if (!priced.ok)
    return { ok: false, code: 'METERING.INVALID_USAGE', reason: priced.error.message };
  // Priced all the same (the token counts are checked the same way), then not billed: the
  // subscription pays for a Builder plan request, so its UsageRecorded charges the balance 0.
  const coveredBySubscription = data.plan === 'builder';
  return {
    ok: true,
    value: {
      observed,
      version,
      costNanoUsd: coveredBySubscription ? 0n : priced.value.costNanoUsd,
      coveredBySubscription,
      startedAt: started.date,
      completedAt: completed.date,
      latencyMs: Number((completed.nanos - started.nanos) / NANOS_PER_MS),
      ttftMs:
        data.firstTokenAt === undefined
          ? null
          : Number(
              (instant(data.firstTokenAt, 'firstTokenAt').nanos - started.nanos) / NANOS_PER_MS,
            ),
    },
  };
}
