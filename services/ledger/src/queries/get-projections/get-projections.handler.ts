import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { PROJECTION_NAMES } from '../../infrastructure/projection-tables.js';
import { ProjectionRunStore } from '../../ops/projection-run-store.js';
import { projectionsView, type ProjectionsView } from '../../ops/projection-runs.js';
import { GetProjectionsQuery } from './get-projections.query.js';

@QueryHandler(GetProjectionsQuery)
export class GetProjectionsHandler implements IQueryHandler<GetProjectionsQuery> {
  constructor(private readonly runs: ProjectionRunStore) {}

  async execute(): Promise<ProjectionsView> {
    return projectionsView(PROJECTION_NAMES, await this.runs.latest(PROJECTION_NAMES));
  }
}
