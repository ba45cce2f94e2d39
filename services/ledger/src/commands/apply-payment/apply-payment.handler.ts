import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { LedgerWriter, type WriteOutcome } from '../../infrastructure/ledger-writer.js';
import { applyInputs } from '../../messaging/apply-input.js';
import { ApplyPaymentCommand } from './apply-payment.command.js';

@CommandHandler(ApplyPaymentCommand)
export class ApplyPaymentHandler implements ICommandHandler<ApplyPaymentCommand> {
  constructor(private readonly writer: LedgerWriter) {}

  execute(command: ApplyPaymentCommand): Promise<WriteOutcome[]> {
    return applyInputs(this.writer, command.tx, command.events);
  }
}
