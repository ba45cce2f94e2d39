import type { LedgerFailure } from '../domain/index.js';
import type {
  LedgerWriter,
  WriteOutcome,
  WriteTransaction,
} from '../infrastructure/ledger-writer.js';
import { commandOf, type LedgerInput } from './inputs.js';

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
 * Applies consumed events in the consumer's transaction (their inbox rows commit with them), in
 * order per account. One refused input fails the whole call: the consumer then retries the
 * messages one per transaction, which isolates it.
 */
export async function applyInputs(
  writer: LedgerWriter,
  tx: WriteTransaction,
  inputs: readonly LedgerInput[],
): Promise<WriteOutcome[]> {
  const outcomes = await writer.apply(
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
