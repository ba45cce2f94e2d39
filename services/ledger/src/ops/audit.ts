import { PostgresEventStore, type VerifyResult } from '@billing/event-store';
import type pg from 'pg';
import { accountIdOfStream, streamIdOf } from '../infrastructure/ids.js';
import { assertSchema } from '../infrastructure/projection-tables.js';
import { silentProgress, type Progress } from './progress.js';
import { forEachLogPage } from './read-log.js';

export interface AuditOptions {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** Only this account's chain; every stream of the log otherwise. */
  readonly accountId?: string;
  readonly progress?: Progress;
}

export interface ChainBreak {
  readonly streamId: string;
  readonly accountId: string | undefined;
  readonly result: VerifyResult;
}

export interface AuditReport {
  readonly ok: boolean;
  readonly streams: number;
  readonly events: number;
  readonly breaks: readonly ChainBreak[];
}

/**
 * `audit:verify`: recomputes the hash chain of every stream (or one account's) from the stored
 * rows: each event's hash over its canonical JSON and the previous hash, versions without gaps,
 * and the stream head agreeing with the last event. The streams are enumerated from the global
 * log itself, so a stream is checked even if no projection knows its account.
 */
export async function verifyAuditChains(options: AuditOptions): Promise<AuditReport> {
  const schema = assertSchema(options.schema);
  const progress = options.progress ?? silentProgress;
  const store = new PostgresEventStore({ pool: options.pool, schema });

  let streams: string[];
  if (options.accountId !== undefined) {
    streams = [streamIdOf(options.accountId)];
  } else {
    const seen = new Set<string>();
    await forEachLogPage(store, 10_000, (events) => {
      for (const e of events) seen.add(e.streamId);
    });
    streams = [...seen].sort();
  }

  progress.start('verifying hash chains');
  const breaks: ChainBreak[] = [];
  let events = 0;
  for (const streamId of streams) {
    const result = await store.verifyStream(streamId);
    events += result.events;
    progress.update(events);
    if (!result.ok) breaks.push({ streamId, accountId: accountIdOfStream(streamId), result });
  }
  progress.done(events);
  return { ok: breaks.length === 0, streams: streams.length, events, breaks };
}
