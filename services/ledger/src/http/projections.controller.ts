import { AdminOnly, ApiError, OperatorRead } from '@billing/service-kit';
import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { StartProjectionsVerifyCommand } from '../commands/start-projections-verify/start-projections-verify.command.js';
import type { ProjectionRunView, ProjectionsView } from '../ops/projection-runs.js';
import { GetProjectionRunQuery } from '../queries/get-projection-run/get-projection-run.query.js';
import { GetProjectionsQuery } from '../queries/get-projections/get-projections.query.js';
import { ProjectionRunParams } from './dto.js';
import { PROJECTION_RUN_NOT_FOUND, VERIFY_ALREADY_RUNNING } from './ledger-errors.js';
import {
  ProjectionRunResponse,
  ProjectionsResponse,
  RUN_SUMMARY_MODELS,
  StartedVerifyResponse,
} from './responses.js';

/**
 * The projections on the operator's desk (issue #16): when each was last rebuilt and verified,
 * and a verify started from the desk, whose progress is polled. Reading is an operator's read
 * (the auditor token too); starting a verify is the admin token's alone (the auditor is refused
 * `AUTH.READ_ONLY` by the guard, before this controller runs).
 */
@ApiTags('projections')
@ApiBearerAuth()
@ApiExtraModels(...RUN_SUMMARY_MODELS)
@Controller('v1/admin/projections')
export class ProjectionsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get()
  @OperatorRead()
  @ApiOkResponse({ type: ProjectionsResponse })
  projections(): Promise<ProjectionsView> {
    return this.queryBus.execute(new GetProjectionsQuery());
  }

  @Post('verify')
  @AdminOnly()
  @HttpCode(202)
  @ApiAcceptedResponse({ type: StartedVerifyResponse })
  async verify(): Promise<{ runId: string }> {
    const result = await this.commandBus.execute(new StartProjectionsVerifyCommand());
    if (!result.ok) {
      const other = result.running;
      throw new ApiError(
        409,
        VERIFY_ALREADY_RUNNING,
        `a verify is already running: run ${other.runId}, started by ${other.startedBy} at ${other.startedAt}`,
      );
    }
    return { runId: result.runId };
  }

  @Get('runs/:runId')
  @OperatorRead()
  @ApiOkResponse({ type: ProjectionRunResponse })
  async run(@Param() { runId }: ProjectionRunParams): Promise<ProjectionRunView> {
    const run = await this.queryBus.execute(new GetProjectionRunQuery(runId));
    if (run === undefined) {
      throw new ApiError(404, PROJECTION_RUN_NOT_FOUND, `no projections run ${runId}`);
    }
    return run;
  }
}
