import { Inject } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { CatalogStore } from '../../infrastructure/catalog-store.js';
import { METERING_OPTIONS, type ResolvedMeteringOptions } from '../../metering.options.js';
import { ListModelsQuery, type ModelList } from './list-models.query.js';
import { modelViews } from './model-view.js';

@QueryHandler(ListModelsQuery)
export class ListModelsHandler implements IQueryHandler<ListModelsQuery> {
  constructor(
    private readonly catalog: CatalogStore,
    @Inject(METERING_OPTIONS) private readonly options: ResolvedMeteringOptions,
  ) {}

  async execute({ at }: ListModelsQuery): Promise<ModelList> {
    // One cheap query makes a change committed by another replica visible at once.
    const { catalog } = await this.catalog.refresh();
    const instant = at ?? new Date(this.options.nowMs());
    return { at: instant.toISOString(), data: modelViews(catalog, instant) };
  }
}
