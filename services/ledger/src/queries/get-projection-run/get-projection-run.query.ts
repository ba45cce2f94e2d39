import { Query } from '@nestjs/cqrs';
import type { ProjectionRunView } from '../../ops/projection-runs.js';

/** `GET /v1/admin/projections/runs/{runId}`: one run with its progress; undefined if unknown. */
export class GetProjectionRunQuery extends Query<ProjectionRunView | undefined> {
  constructor(readonly runId: string) {
    super();
  }
}
