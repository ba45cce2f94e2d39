import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { LedgerWriter, type WriteOutcome } from '../../infrastructure/ledger-writer.js';
import { applyInputs } from '../../messaging/apply-input.js';
import { RecordUsageCommand } from './record-usage.command.js';

@CommandHandler(RecordUsageCommand)
export class RecordUsageHandler implements ICommandHandler<RecordUsageCommand> {
  constructor(private readonly writer: LedgerWriter) {}

  execute(command: RecordUsageCommand): Promise<WriteOutcome[]> {
    return applyInputs(this.writer, command.tx, command.events);
  }
}
