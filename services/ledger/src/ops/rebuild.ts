import { PostgresEventStore, type EventStore } from '@billing/event-store';
import { withTransaction } from '@billing/service-kit';
import type pg from 'pg';
import { projectionsLockKey } from '../infrastructure/ledger-writer.js';
import { streamIdOf } from '../infrastructure/ids.js';
import type { ProjectionChanges } from '../infrastructure/projection-changes.js';
import {
  PROJECTION_NAMES,
  ProjectionWriter,
  assertSchema,
  type ProjectionName,
} from '../infrastructure/projection-tables.js';
import { LogFolder } from './log-folder.js';
import { silentProgress, type Progress, type ProgressTotal } from './progress.js';
import { forEachLogPage } from './read-log.js';

export interface RebuildOptions {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** Which projections; all of them by default. */
  readonly projections?: readonly ProjectionName[];
  readonly progress?: Progress;
  /** Events per read of the log. */
  readonly pageSize?: number;
}

export interface RebuildReport {
  readonly projections: readonly ProjectionName[];
  readonly events: number;
  readonly accounts: number;
  /** Events folded after the replay, while the service kept writing (applied before the swap). */
  readonly caughtUp: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

const ROWS_PER_STATEMENT = 5_000;
/** Connections writing the fresh tables at once. */
const WRITERS = 3;

/**
 * `projections:rebuild`: replays the whole event log into fresh tables (`<name>_rebuild`, created
 * `LIKE <name> INCLUDING ALL`), then swaps them in, while the service keeps serving and writing.
 *
 * 1. Replay: read the global log page by page and fold it (LogFolder), then write the rows.
 * 2. Catch up, unlocked: the service went on appending meanwhile. Every account whose live
 *    `balances.version` is ahead of what was folded is read from its stream (from the version
 *    folded + 1) and its changes are added to the fresh tables.
 * 3. Swap, in one transaction: take the projections lock exclusively (every writer takes it shared
 *    before it appends, so this waits for the writers in flight and holds new ones back for the
 *    few milliseconds of the swap), catch up once more (now nothing can move), rename the live
 *    tables away and the fresh ones in, give the indexes their names back, drop the old tables.
 *
 * A writer that was waiting for the lock resolves the table names again once it gets it, so it
 * writes to the new tables. Its events were not committed when the swap caught up, so they are
 * counted once: by the writer.
 */
export async function rebuildProjections(options: RebuildOptions): Promise<RebuildReport> {
  const schema = assertSchema(options.schema);
  const names = options.projections ?? PROJECTION_NAMES;
  const only = new Set(names);
  const progress = options.progress ?? silentProgress;
  const store = new PostgresEventStore({ pool: options.pool, schema });
  const started = performance.now();

  await createFreshTables(options.pool, schema, names);
  const folder = new LogFolder({ withState: only.has('expiry_schedule') });

  progress.start('replaying the event log', await accountStreams(options.pool, schema));
  await forEachLogPage(store, options.pageSize ?? 10_000, (events) => {
    for (const event of events) folder.add(event);
    progress.update(folder.folded);
  });
  const replayed = folder.folded;
  progress.done(replayed);

  const fresh = new ProjectionWriter(schema, (p) => `${p}_rebuild`, only);
  await writeInChunks(options.pool, fresh, folder.takeChanges());

  // Unlocked catch-up: most of what was appended during the replay, without holding anyone up.
  await catchUp(options.pool, schema, store, folder);
  await writeInChunks(options.pool, fresh, folder.takeChanges());

  await withTransaction(options.pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [projectionsLockKey(schema)]);
    await catchUp(client, schema, store, folder);
    for (const chunk of folder.takeChanges().chunks(ROWS_PER_STATEMENT)) {
      await fresh.write(client, chunk);
    }
    for (const name of names) await swap(client, schema, name);
  });

  const seconds = (performance.now() - started) / 1000;
  const accounts = [...folder.accountIds].length;
  return {
    projections: names,
    events: folder.folded,
    accounts,
    caughtUp: folder.folded - replayed,
    seconds,
    eventsPerSecond: seconds > 0 ? folder.folded / seconds : 0,
  };
}

/** How many account events and accounts the log holds now (each stream's version is its length). */
async function accountStreams(pool: pg.Pool, schema: string): Promise<ProgressTotal> {
  const res = await pool.query<{ accounts: string; events: string }>(
    `SELECT count(*)::text AS accounts, coalesce(sum(version), 0)::text AS events
     FROM "${schema}".streams WHERE stream_id LIKE 'account-%'`,
  );
  return { accounts: Number(res.rows[0]?.accounts ?? 0), events: Number(res.rows[0]?.events ?? 0) };
}

async function createFreshTables(
  pool: pg.Pool,
  schema: string,
  names: readonly ProjectionName[],
): Promise<void> {
  for (const name of names) {
    await pool.query(`DROP TABLE IF EXISTS "${schema}"."${name}_rebuild"`);
    await pool.query(
      `CREATE TABLE "${schema}"."${name}_rebuild" (LIKE "${schema}"."${name}" INCLUDING ALL)`,
    );
  }
}

/** Writes the rows of the fresh tables over a few connections at once (nobody else reads them). */
async function writeInChunks(
  pool: pg.Pool,
  writer: ProjectionWriter,
  changes: ProjectionChanges,
): Promise<void> {
  const chunks = changes.chunks(ROWS_PER_STATEMENT);
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      const client = await pool.connect();
      try {
        // The generator is shared: each connection takes the next chunk when it is free.
        for (let next = chunks.next(); next.done !== true; next = chunks.next()) {
          await writer.write(client, next.value);
        }
      } finally {
        client.release();
      }
    }),
  );
}

/**
 * Folds what each account appended beyond the replay. The live `balances.version` says how far
 * each account is (it is written in the same transaction as every append); the stream is read
 * directly, without the global log's xmin horizon, so nothing committed is missed.
 */
async function catchUp(
  db: pg.Pool | pg.PoolClient,
  schema: string,
  store: EventStore,
  folder: LogFolder,
): Promise<void> {
  const live = await db.query<{ account_id: string; version: number }>(
    `SELECT account_id, version FROM "${schema}".balances`,
  );
  for (const { account_id: accountId, version } of live.rows) {
    const folded = folder.versionOf(accountId);
    if (version <= folded) continue;
    const events = await store.readStream(streamIdOf(accountId), { fromVersion: folded + 1 });
    for (const event of events) folder.add(event);
  }
}

interface IndexRow {
  name: string;
  shape: string;
}

/** Renames `<name>` away and `<name>_rebuild` in, with the old index names, and drops the old. */
async function swap(client: pg.PoolClient, schema: string, name: ProjectionName): Promise<void> {
  const live = `"${schema}"."${name}"`;
  const indexes = async (table: string): Promise<IndexRow[]> =>
    (
      await client.query<IndexRow>(
        `SELECT i.relname AS name,
                x.indisunique::text || x.indisprimary::text ||
                regexp_replace(pg_get_indexdef(i.oid), '^.* USING ', '') AS shape
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = $1::regclass`,
        [table],
      )
    ).rows;
  const before = await indexes(live);
  await client.query(`ALTER TABLE ${live} RENAME TO "${name}_old"`);
  await client.query(`ALTER TABLE "${schema}"."${name}_rebuild" RENAME TO "${name}"`);
  const after = await indexes(live);
  await client.query(`DROP TABLE "${schema}"."${name}_old"`);
  for (const index of after) {
    const original = before.find((b) => b.shape === index.shape);
    if (original !== undefined && original.name !== index.name) {
      await client.query(`ALTER INDEX "${schema}"."${index.name}" RENAME TO "${original.name}"`);
    }
  }
}
