import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { LedgerFailure } from '../../domain/index.js';
import { LedgerWriter, type WriteOutcome } from '../../infrastructure/ledger-writer.js';
import { ApplyInputsCommand } from './apply-inputs.command.js';
import { commandOf } from './inputs.js';

/**
 * A consumed event the ledger refuses (a refund of a top-up it never credited, refunds beyond the
 * top-up). Thrown so that the consumer retries it and then dead-letters it with this message: a
 * business input is never dropped silently.
 */
export class LedgerInputRefusedError extends Error {
  constructor(
    readonly input: { readonly type: string; readonly id: string },
    readonly failure: LedgerFailure,
  ) {
    super(`${failure.code}: ${input.type} ${input.id} refused: ${failure.message}`);
    this.name = 'LedgerInputRefusedError';
  }
}

/**
 * Decides and appends the inputs in order per account. One refused input fails the whole call:
 * the consumer then retries the messages one per transaction, which isolates it.
 */
@CommandHandler(ApplyInputsCommand)
export class ApplyInputsHandler implements ICommandHandler<ApplyInputsCommand> {
  constructor(private readonly writer: LedgerWriter) {}

  async execute({ inputs, tx }: ApplyInputsCommand): Promise<WriteOutcome[]> {
    const outcomes = await this.writer.apply(
      tx,
      inputs.map((input) => ({
        accountId: input.accountId,
        command: (nowMs: number) => commandOf(input, nowMs),
        cause: { type: input.type, id: input.id },
        causationId: input.id,
        ...(input.correlationId !== undefined && { correlationId: input.correlationId }),
      })),
    );
    outcomes.forEach((outcome, i) => {
      const input = inputs[i];
      if (outcome.kind === 'refused' && input !== undefined) {
        throw new LedgerInputRefusedError(input, outcome.error);
      }
    });
    return outcomes;
  }
}
