import { PG_POOL } from '@billing/service-kit';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type pg from 'pg';
import { PriceCatalog, type ModelInfo, type PriceVersion } from '../domain/index.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../metering.options.js';

/** The catalog as of one committed revision of `catalog_state`. */
export interface CatalogSnapshot {
  readonly catalog: PriceCatalog;
  readonly revision: bigint;
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

interface ModelRow {
  model_id: string;
  display_name: string;
  provider: string;
  context_window: number;
  max_output_tokens: number;
}

interface VersionRow {
  version_id: string;
  model_id: string;
  effective_from: Date;
  input_nano_usd: string;
  output_nano_usd: string;
  cached_input_nano_usd: string;
  cache_write_nano_usd: string;
}

/**
 * The price catalog, cached in memory so that pricing costs no query, and kept honest three ways:
 *
 * - a change made through this process replaces the cache as soon as it commits;
 * - a change made by another replica is picked up within `catalogRefreshMs` (a one-row query);
 * - every recording checks the revision it priced with against `catalog_state` in the statement
 *   that writes the request log, and re-prices with a fresh catalog when they differ (see
 *   UsageRecorder), so the refresh interval never decides a price.
 *
 * The revision is read before the rows, so a cached catalog is never older than its revision.
 */
@Injectable()
export class CatalogStore {
  private readonly logger = new Logger('CatalogStore');
  private snapshot: CatalogSnapshot | undefined;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;

  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  /** The cached catalog. Loaded at start, before anything can ask. */
  get current(): CatalogSnapshot {
    if (this.snapshot === undefined) throw new Error('the price catalog is not loaded yet');
    return this.snapshot;
  }

  /** Reads the whole catalog (with `db`, inside that transaction) and caches it. */
  async load(db: Queryable = this.pool): Promise<CatalogSnapshot> {
    const schema = this.options.schema;
    const revision = await readRevision(db, schema);
    const models = await db.query<ModelRow>(
      `SELECT model_id, display_name, provider, context_window, max_output_tokens
         FROM ${schema}.models ORDER BY model_id`,
    );
    const versions = await db.query<VersionRow>(
      `SELECT version_id, model_id, effective_from, input_nano_usd, output_nano_usd,
              cached_input_nano_usd, cache_write_nano_usd
         FROM ${schema}.price_versions`,
    );
    const catalog = PriceCatalog.of(models.rows.map(toModel), versions.rows.map(toVersion));
    return this.replace({ catalog, revision });
  }

  /** Replaces the cache unless it already holds a newer revision. */
  replace(snapshot: CatalogSnapshot): CatalogSnapshot {
    if (this.snapshot === undefined || snapshot.revision >= this.snapshot.revision) {
      this.snapshot = snapshot;
    }
    return this.snapshot;
  }

  /** Reloads when the database holds another revision than the cache. */
  async refresh(db: Queryable = this.pool): Promise<CatalogSnapshot> {
    const revision = await readRevision(db, this.options.schema);
    if (this.snapshot !== undefined && this.snapshot.revision === revision) return this.snapshot;
    return this.load(db);
  }

  /** Starts the periodic refresh (changes made by other replicas). */
  startRefreshing(): void {
    if (this.options.catalogRefreshMs <= 0 || this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.refreshing ??= this.refresh()
        .then(() => undefined)
        .catch((err: unknown) => {
          this.logger.warn(
            `catalog refresh failed: ${err instanceof Error ? err.message : String(err)}`,
          );
        })
        .finally(() => (this.refreshing = undefined));
    }, this.options.catalogRefreshMs);
    this.timer.unref();
  }

  async stopRefreshing(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.refreshing;
  }
}

export async function readRevision(db: Queryable, schema: string): Promise<bigint> {
  const { rows } = await db.query<{ revision: string }>(
    `SELECT revision FROM ${schema}.catalog_state`,
  );
  const revision = rows[0]?.revision;
  if (revision === undefined) throw new Error(`${schema}.catalog_state has no row`);
  return BigInt(revision);
}

function toModel(r: ModelRow): ModelInfo {
  return {
    modelId: r.model_id,
    displayName: r.display_name,
    provider: r.provider,
    contextWindow: r.context_window,
    maxOutputTokens: r.max_output_tokens,
  };
}

function toVersion(r: VersionRow): PriceVersion {
  return {
    versionId: r.version_id,
    modelId: r.model_id,
    effectiveFrom: r.effective_from,
    perMillionTokens: {
      inputNanoUsd: BigInt(r.input_nano_usd),
      outputNanoUsd: BigInt(r.output_nano_usd),
      cachedInputNanoUsd: BigInt(r.cached_input_nano_usd),
      cacheWriteNanoUsd: BigInt(r.cache_write_nano_usd),
    },
  };
}
