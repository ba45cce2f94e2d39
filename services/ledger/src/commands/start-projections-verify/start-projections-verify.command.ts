import { Command } from '@nestjs/cqrs';
import type { ProjectionRunView } from '../../ops/projection-runs.js';

export type StartVerifyResult =
  | { readonly ok: true; readonly runId: string }
  /** A verify is running already (from the API or the CLI): `LEDGER.VERIFY_ALREADY_RUNNING`. */
  | { readonly ok: false; readonly running: ProjectionRunView };

/**
 * `POST /v1/admin/projections/verify`: start projections:verify in this ledger process and answer
 * at once with its run id; the run goes on in the background, its progress in `projection_runs`.
 */
export class StartProjectionsVerifyCommand extends Command<StartVerifyResult> {}
