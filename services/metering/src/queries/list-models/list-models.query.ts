import { Query } from '@nestjs/cqrs';
import type { ModelView } from './model-view.js';

export interface ModelList {
  /** The instant the prices are shown for. */
  readonly at: string;
  readonly data: readonly ModelView[];
}

/** `GET /v1/models[?at=]`: the catalog with the prices in force at `at` (default: now). */
export class ListModelsQuery extends Query<ModelList> {
  constructor(readonly at: Date | undefined) {
    super();
  }
}
