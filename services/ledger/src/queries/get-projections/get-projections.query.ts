import { Query } from '@nestjs/cqrs';
import type { ProjectionsView } from '../../ops/projection-runs.js';

/**
 * `GET /v1/admin/projections`: each projection with its last finished rebuild and verify (from
 * the CLI or the API), and the runs in flight.
 */
export class GetProjectionsQuery extends Query<ProjectionsView> {}
