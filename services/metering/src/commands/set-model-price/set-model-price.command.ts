import { Command } from '@nestjs/cqrs';
import type { MeteringError, PriceUpdateRequest } from '../../domain/index.js';
import type { ModelDetailsView } from '../../queries/list-models/model-view.js';

export type SetModelPriceResult =
  | {
      readonly ok: true;
      /** False when the same price was already set for the same instant (a retry). */
      readonly created: boolean;
      readonly model: ModelDetailsView;
    }
  | { readonly ok: false; readonly error: MeteringError };

/**
 * `PUT /v1/admin/models/{modelId}`: a new price version of a model from `effectiveFrom` on
 * (creating the model if it is new). The rules are the domain's `validatePriceUpdate`.
 */
export class SetModelPriceCommand extends Command<SetModelPriceResult> {
  constructor(
    readonly modelId: string,
    readonly request: PriceUpdateRequest,
  ) {
    super();
  }
}
