import { formatUsd } from '@billing/money';
import {
  bearerToken,
  builderModelAllowed,
  failures,
  modelNotInPlanFailure,
  priceInForce,
  routeModel,
  type Catalog,
  type GatewayFailure,
  type UpstreamProvider,
} from '../../domain/index.js';
import type { CatalogCache } from '../../infrastructure/catalog-cache.js';
import type { KeyAuthenticator } from '../../infrastructure/key-authenticator.js';
import type { ResolvedGatewayOptions } from '../../gateway.options.js';

/** One entry of `GET /api/v1/models`: OpenAI's model object, plus what a price list needs. */
export interface ModelObject {
  readonly id: string;
  readonly object: 'model';
  /** When the model's current price took effect (epoch seconds). */
  readonly created: number;
  readonly owned_by: string;
  readonly display_name: string;
  readonly context_window: number;
  readonly max_output_tokens: number;
  /** USD per million tokens, decimal strings. */
  readonly pricing: {
    readonly input: string;
    readonly output: string;
    readonly cached_input: string;
    readonly cache_write: string;
  };
}

export interface ModelListObject {
  readonly object: 'list';
  readonly data: readonly ModelObject[];
}

/** The models a caller can use right now: in the catalog, priced, and routable. */
export function callableModels(
  catalog: Catalog,
  upstreams: ReadonlyMap<string, UpstreamProvider>,
  nowMs: number,
): ModelObject[] {
  const models: ModelObject[] = [];
  for (const model of catalog.models.values()) {
    const price = priceInForce(model, nowMs);
    if (price === undefined || routeModel(model.id, upstreams) === undefined) continue;
    models.push({
      id: model.id,
      object: 'model',
      created: Math.floor(price.effectiveFromMs / 1000),
      owned_by: model.provider,
      display_name: model.displayName,
      context_window: model.contextWindow,
      max_output_tokens: model.maxOutputTokens,
      pricing: {
        input: formatUsd(price.inputNanos),
        output: formatUsd(price.outputNanos),
        cached_input: formatUsd(price.cachedInputNanos),
        cache_write: formatUsd(price.cacheWriteNanos),
      },
    });
  }
  return models.sort((x, y) => x.id.localeCompare(y.id));
}

export type ModelsAnswer =
  | { readonly ok: true; readonly body: ModelListObject | ModelObject }
  | { readonly ok: false; readonly failure: GatewayFailure };

/**
 * `GET /api/v1/models[/{model}]`, behind the same API key check as completions: a Builder key
 * lists only the models its plan allows (`BUILDER_MODELS`), and asking for another one answers
 * the 403 `model_not_in_plan` a completion with it would.
 */
export class ListModelsHandler {
  constructor(
    private readonly options: ResolvedGatewayOptions,
    private readonly keys: KeyAuthenticator,
    private readonly catalog: CatalogCache,
  ) {}

  async execute(
    authorization: string | string[] | undefined,
    modelId?: string,
  ): Promise<ModelsAnswer> {
    const auth = await this.keys.authenticate(bearerToken(authorization));
    if (!auth.ok) return auth;
    const catalog = this.catalog.current();
    if (catalog === undefined) return { ok: false, failure: failures.catalogUnavailable() };
    const callable = callableModels(catalog, this.options.upstreams, this.options.nowMs());
    const inPlan = (id: string): boolean =>
      auth.value.plan !== 'builder' || builderModelAllowed(this.options.builderPlan.models, id);
    if (modelId === undefined) {
      return { ok: true, body: { object: 'list', data: callable.filter((m) => inPlan(m.id)) } };
    }
    const model = callable.find((m) => m.id === modelId);
    if (model === undefined) return { ok: false, failure: failures.modelNotFound(modelId) };
    return inPlan(model.id)
      ? { ok: true, body: model }
      : { ok: false, failure: modelNotInPlanFailure(model.id) };
  }
}
