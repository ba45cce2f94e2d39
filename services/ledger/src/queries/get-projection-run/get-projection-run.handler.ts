import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ProjectionRunStore } from '../../ops/projection-run-store.js';
import type { ProjectionRunView } from '../../ops/projection-runs.js';
import { GetProjectionRunQuery } from './get-projection-run.query.js';

@QueryHandler(GetProjectionRunQuery)
export class GetProjectionRunHandler implements IQueryHandler<GetProjectionRunQuery> {
  constructor(private readonly runs: ProjectionRunStore) {}

  execute({ runId }: GetProjectionRunQuery): Promise<ProjectionRunView | undefined> {
    return this.runs.get(runId);
  }
}
