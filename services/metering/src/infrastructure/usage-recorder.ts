import { createHash, randomUUID } from 'node:crypto';
import {
  createEvent,
  encodeEvent,
  messageKey,
  parseIsoUtc,
  type UsageObserved,
  type UsagePricesPerMillionTokens,
  type UsageRecorded,
} from '@billing/contracts';
import { enqueue } from '@billing/messaging';
import { formatUsd } from '@billing/money';
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../metering.options.js';
import type { PriceVersion } from '../domain/index.js';
import type { PricedObservation } from '../domain/price-observation.js';

/**
 * What happened to each priced observation of a batch, in the batch's order:
 * - `recorded`: a request log row and a UsageRecorded in the outbox, in the caller's transaction;
 * - `duplicate`: its requestId was recorded before (or earlier in the batch) with the same usage:
 *   nothing written;
 * - `conflict`: its requestId was recorded before (or earlier in the batch) with different usage:
 *   nothing written, the first recording stands.
 */
export type RecordOutcome = 'recorded' | 'duplicate' | 'conflict';

/** The batch was priced with a catalog older than the committed one: nothing was written. */
export interface StaleCatalog {
  readonly stale: true;
}

const COLUMNS = [
  ['request_id', 'text'],
  ['account_id', 'text'],
  ['api_key_id', 'text'],
  ['model', 'text'],
  ['status', 'text'],
  ['input_tokens', 'int8'],
  ['output_tokens', 'int8'],
  ['cached_input_tokens', 'int8'],
  ['cache_write_tokens', 'int8'],
  ['reasoning_tokens', 'int8'],
  ['estimated', 'boolean'],
  ['hold_id', 'text'],
  ['started_at', 'timestamptz'],
  ['completed_at', 'timestamptz'],
  ['latency_ms', 'int8'],
  ['cost_nano_usd', 'int8'],
  ['price_version', 'text'],
  ['observed_event_id', 'text'],
  ['recorded_event_id', 'uuid'],
  ['fingerprint', 'text'],
  ['ttft_ms', 'int8'],
] as const;

/**
 * Writes priced usage: the request log rows and the UsageRecorded outbox rows, in the caller's
 * transaction, once per requestId, with two statements per batch whatever its size.
 *
 * The request log's primary key is the requestId and rows are inserted with ON CONFLICT DO
 * NOTHING in the same statement that checks the catalog revision, so:
 * - the same request observed twice (a redelivery, a second event id, a retried POST) is priced
 *   and recorded once, and only the first observation gets a UsageRecorded;
 * - two replicas racing on the same requestId serialise on the key: the second waits for the
 *   first to commit and then sees a duplicate;
 * - usage is never recorded at a price from a catalog older than the committed one: the whole
 *   batch is refused as stale, and the caller prices it again.
 */
@Injectable()
export class UsageRecorder {
  private readonly schema: string;
  private readonly insertSql: string;

  constructor(@Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions) {
    this.schema = options.schema;
    const names = COLUMNS.map(([name]) => name).join(', ');
    const arrays = COLUMNS.map(([, type], i) => `$${i + 2}::${type}[]`).join(', ');
    this.insertSql = `
      WITH rev AS (SELECT revision FROM ${this.schema}.catalog_state),
      ins AS (
        INSERT INTO ${this.schema}.request_log (${names})
        SELECT * FROM unnest(${arrays})
         WHERE (SELECT revision FROM rev) = $1
        ON CONFLICT (request_id) DO NOTHING
        RETURNING request_id
      )
      SELECT (SELECT revision FROM rev) AS revision,
             coalesce((SELECT array_agg(request_id) FROM ins), '{}') AS inserted`;
  }

  async record(
    client: pg.PoolClient,
    batch: readonly PricedObservation[],
    revision: bigint,
  ): Promise<RecordOutcome[] | StaleCatalog> {
    const outcomes: (RecordOutcome | undefined)[] = batch.map(() => undefined);
    const fingerprints = batch.map((p) => fingerprintOf(p.observed));
    // The first observation of each requestId in the batch is the one offered to the table; the
    // later ones are compared with whatever ends up recorded for it.
    const firstIndex = new Map<string, number>();
    batch.forEach((p, i) => {
      if (!firstIndex.has(p.observed.data.requestId)) firstIndex.set(p.observed.data.requestId, i);
    });
    const candidates = [...firstIndex.values()];
    const events = new Map<number, UsageRecorded>(
      candidates.map((i) => [i, this.usageRecorded(batch[i] as PricedObservation)]),
    );
    const rows = candidates.map((i) => {
      const { observed, version, costNanoUsd, latencyMs, ttftMs } = batch[i] as PricedObservation;
      const d = observed.data;
      return [
        d.requestId,
        observed.accountId,
        d.apiKeyId ?? null,
        d.model,
        d.status,
        d.inputTokens,
        d.outputTokens,
        d.cachedInputTokens ?? null,
        d.cacheWriteTokens ?? null,
        d.reasoningTokens ?? null,
        d.estimated ?? false,
        d.holdId ?? null,
        d.startedAt,
        d.completedAt,
        latencyMs,
        costNanoUsd.toString(),
        version.versionId,
        observed.id,
        events.get(i)?.id,
        fingerprints[i],
        ttftMs,
      ];
    });
    const { rows: result } = await client.query<{ revision: string; inserted: string[] }>({
      // Prepared once per connection: this is the consumer's hot path.
      name: `${this.schema}.record-usage`,
      text: this.insertSql,
      values: [revision.toString(), ...COLUMNS.map((_, c) => rows.map((r) => r[c]))],
    });
    const answer = result[0];
    if (answer === undefined) throw new Error('the request log insert returned no row');
    if (BigInt(answer.revision) !== revision) return { stale: true };

    const inserted = new Set(answer.inserted);
    /** What is recorded for each requestId of the batch, by this batch or an earlier one. */
    const recordedFingerprint = new Map<string, string>();
    const existing = candidates.filter((i) => !inserted.has(requestIdOf(batch, i)));
    if (existing.length > 0) {
      // Recorded by an earlier batch: tell a harmless duplicate from a conflicting one.
      const { rows: stored } = await client.query<{ request_id: string; fingerprint: string }>(
        `SELECT request_id, fingerprint FROM ${this.schema}.request_log
          WHERE request_id = ANY($1::text[])`,
        [existing.map((i) => requestIdOf(batch, i))],
      );
      for (const r of stored) recordedFingerprint.set(r.request_id, r.fingerprint);
    }
    const published: UsageRecorded[] = [];
    for (const i of candidates) {
      if (!inserted.has(requestIdOf(batch, i))) continue;
      outcomes[i] = 'recorded';
      recordedFingerprint.set(requestIdOf(batch, i), fingerprints[i] ?? '');
      const event = events.get(i);
      if (event !== undefined) published.push(event);
    }
    batch.forEach((_, i) => {
      if (outcomes[i] !== undefined) return;
      outcomes[i] =
        recordedFingerprint.get(requestIdOf(batch, i)) === fingerprints[i]
          ? 'duplicate'
          : 'conflict';
    });
    await enqueue(
      client,
      published.map((event) => ({
        topic: this.options.topics.usageRecorded,
        key: messageKey(event),
        id: event.id,
        value: encodeEvent(event),
        // The UsageObserved it prices: its trace continues through this message.
        ...(event.causationId !== undefined && { causationId: event.causationId }),
      })),
      this.schema,
    );
    return outcomes.map((o) => {
      if (o === undefined) throw new Error('an observation of the batch got no outcome');
      return o;
    });
  }

  private usageRecorded(priced: PricedObservation): UsageRecorded {
    const { observed, version, costNanoUsd, coveredBySubscription } = priced;
    return createEvent({
      type: 'UsageRecorded',
      id: randomUUID(),
      accountId: observed.accountId,
      source: 'metering',
      occurredAt: new Date(this.options.nowMs()),
      causationId: observed.id,
      ...(observed.correlationId !== undefined && { correlationId: observed.correlationId }),
      data: {
        ...observed.data,
        cost: formatUsd(costNanoUsd),
        priceVersion: version.versionId,
        // A subscription-covered request (cost 0) names no unit prices: "explain this charge"
        // must not show prices that its cost does not follow.
        ...(!coveredBySubscription && { pricesPerMillionTokens: pricesOf(version) }),
      },
    });
  }
}

/**
 * The unit prices the request was priced at, carried on UsageRecorded so that the ledger can
 * explain a charge from its own record, without asking the catalog (CONTRACTS.md, UsageRecorded).
 */
function pricesOf(version: PriceVersion): UsagePricesPerMillionTokens {
  const prices = version.perMillionTokens;
  return {
    input: formatUsd(prices.inputNanoUsd),
    output: formatUsd(prices.outputNanoUsd),
    cachedInput: formatUsd(prices.cachedInputNanoUsd),
    cacheWrite: formatUsd(prices.cacheWriteNanoUsd),
  };
}

const requestIdOf = (batch: readonly PricedObservation[], i: number): string =>
  (batch[i] as PricedObservation).observed.data.requestId;

/**
 * The usage an observation reports, hashed: equal for two observations of the same request that
 * agree on everything that is billed or logged (times compared as instants, not as text), and
 * different otherwise. The envelope (its id, its occurredAt) is not part of it.
 */
export function fingerprintOf(observed: UsageObserved): string {
  const d = observed.data;
  const canonical = JSON.stringify([
    observed.accountId,
    d.requestId,
    d.apiKeyId ?? null,
    d.model,
    d.inputTokens,
    d.outputTokens,
    d.cachedInputTokens ?? 0,
    d.cacheWriteTokens ?? 0,
    d.reasoningTokens ?? 0,
    d.status,
    d.estimated ?? false,
    d.holdId ?? null,
    String(parseIsoUtc(d.startedAt)),
    String(parseIsoUtc(d.completedAt)),
    // Only when it is set, so that every fingerprint recorded before plans existed still matches.
    ...(d.plan === undefined ? [] : [d.plan]),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
