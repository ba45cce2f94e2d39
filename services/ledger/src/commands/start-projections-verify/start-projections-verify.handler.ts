import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  StartProjectionsVerifyCommand,
  type StartVerifyResult,
} from './start-projections-verify.command.js';
import { VerifyRunner } from './verify-runner.js';

@CommandHandler(StartProjectionsVerifyCommand)
export class StartProjectionsVerifyHandler implements ICommandHandler<StartProjectionsVerifyCommand> {
  constructor(private readonly runner: VerifyRunner) {}

  execute(): Promise<StartVerifyResult> {
    return this.runner.start();
  }
}
