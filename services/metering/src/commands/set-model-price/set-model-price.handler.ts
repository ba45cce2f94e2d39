import { PG_POOL, withTransaction } from '@billing/service-kit';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type pg from 'pg';
import { validatePriceUpdate, type ModelInfo } from '../../domain/index.js';
import { CatalogStore, type CatalogSnapshot } from '../../infrastructure/catalog-store.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../../metering.options.js';
import { modelDetailsView } from '../../queries/list-models/model-view.js';
import { SetModelPriceCommand, type SetModelPriceResult } from './set-model-price.command.js';

const sameModel = (a: ModelInfo | undefined, b: ModelInfo): boolean =>
  a !== undefined &&
  a.displayName === b.displayName &&
  a.provider === b.provider &&
  a.contextWindow === b.contextWindow &&
  a.maxOutputTokens === b.maxOutputTokens;

/** What the transaction ends with: the catalog it committed, or the refusal it rolled back. */
type Committed =
  | {
      readonly ok: true;
      readonly after: CatalogSnapshot;
      readonly created: boolean;
      readonly now: Date;
    }
  | Extract<SetModelPriceResult, { ok: false }>;

@CommandHandler(SetModelPriceCommand)
export class SetModelPriceHandler implements ICommandHandler<SetModelPriceCommand> {
  constructor(
    @Inject(PG_POOL) private readonly pool: pg.Pool,
    private readonly catalog: CatalogStore,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  async execute({ modelId, request }: SetModelPriceCommand): Promise<SetModelPriceResult> {
    const schema = this.options.schema;
    const committed = await withTransaction<Committed>(this.pool, async (client, rollback) => {
      // Catalog changes take turns: each validates against the catalog as the previous one
      // left it, and bumps the revision that every recording checks.
      await client.query(`SELECT revision FROM ${schema}.catalog_state FOR UPDATE`);
      const before = await this.catalog.load(client);
      const now = new Date(this.options.nowMs());
      const decision = validatePriceUpdate(modelId, request, { now, catalog: before.catalog });
      if (!decision.ok) return rollback(decision);
      const { model, version, created } = decision.value;
      const modelChanged = !sameModel(before.catalog.model(modelId), model);
      let after: CatalogSnapshot = before;
      if (created || modelChanged) {
        await client.query(
          `INSERT INTO ${schema}.models
             (model_id, display_name, provider, context_window, max_output_tokens)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (model_id) DO UPDATE
             SET display_name = EXCLUDED.display_name, provider = EXCLUDED.provider,
                 context_window = EXCLUDED.context_window,
                 max_output_tokens = EXCLUDED.max_output_tokens, updated_at = now()`,
          [
            model.modelId,
            model.displayName,
            model.provider,
            model.contextWindow,
            model.maxOutputTokens,
          ],
        );
        if (created) {
          const p = version.perMillionTokens;
          await client.query(
            `INSERT INTO ${schema}.price_versions
               (version_id, model_id, effective_from, input_nano_usd, output_nano_usd,
                cached_input_nano_usd, cache_write_nano_usd)
             VALUES ($1, $2, $3, $4, $5, $6, $7)`,
            [
              version.versionId,
              version.modelId,
              version.effectiveFrom,
              p.inputNanoUsd.toString(),
              p.outputNanoUsd.toString(),
              p.cachedInputNanoUsd.toString(),
              p.cacheWriteNanoUsd.toString(),
            ],
          );
        }
        const { rows } = await client.query<{ revision: string }>(
          `UPDATE ${schema}.catalog_state SET revision = revision + 1, updated_at = now()
           RETURNING revision`,
        );
        after = {
          catalog: before.catalog.with(model, created ? version : undefined),
          revision: BigInt(rows[0]?.revision ?? '0'),
        };
      }
      return { ok: true, after, created, now };
    });
    if (!committed.ok) return committed;
    const { after, created, now } = committed;
    // Priced with from now on by this replica; the others see the new revision within
    // catalogRefreshMs, and no recording commits with the old one meanwhile.
    this.catalog.replace(after);
    return { ok: true, created, model: modelDetailsView(after.catalog, modelId, now) };
  }
}
