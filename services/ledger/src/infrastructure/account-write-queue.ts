import type pg from 'pg';
import { withTransaction } from '@billing/service-kit';
import type {
  LedgerWriter,
  WriteOutcome,
  WriteRequest,
  WriteTransaction,
} from './ledger-writer.js';

interface Waiting {
  readonly request: WriteRequest;
  readonly resolve: (outcome: WriteOutcome) => void;
  readonly reject: (err: unknown) => void;
}

/** Commands of one account written in one transaction, at most. */
const MAX_BATCH = 256;
/** Deadlocks and serialization failures are retried this many times before the caller sees them. */
const MAX_TRANSIENT_RETRIES = 5;

/**
 * Writes the commands the ledger itself originates (HTTP holds, the scheduler) in transactions of
 * its own, one account at a time within this process, with group commit: while an account's
 * transaction runs, the commands that arrive for it wait, then all of them are decided in order
 * and written together in the next transaction.
 *
 * Why: with no concurrency limit on pay-as-you-go keys, a burst of hundreds of hold requests for
 * one account is the normal case. Serialising them in process means they never race on the stream
 * version (no retry storm), and batching them means the burst costs a handful of transactions
 * instead of hundreds. Each request still gets its own answer: the domain decides them one by
 * one, so the N+1st hold sees the N first in Available.
 *
 * Other replicas and the Kafka consumer may write the same account concurrently; the expected
 * stream version catches that (see LedgerWriter).
 */
export class AccountWriteQueue {
  private readonly waiting = new Map<string, Waiting[]>();
  private readonly running = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly writer: LedgerWriter,
  ) {}

  submit(request: WriteRequest): Promise<WriteOutcome> {
    return new Promise<WriteOutcome>((resolve, reject) => {
      let queue = this.waiting.get(request.accountId);
      if (queue === undefined) this.waiting.set(request.accountId, (queue = []));
      queue.push({ request, resolve, reject });
      this.kick(request.accountId);
    });
  }

  /** Several commands of one account, decided in order and written in the same transaction. */
  submitAll(requests: readonly WriteRequest[]): Promise<WriteOutcome[]> {
    return Promise.all(requests.map((r) => this.submit(r)));
  }

  /** Waits for every transaction in flight (shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private kick(accountId: string): void {
    if (this.running.has(accountId)) return;
    this.running.add(accountId);
    const run = this.runAccount(accountId).finally(() => {
      this.inFlight.delete(run);
    });
    this.inFlight.add(run);
  }

  private async runAccount(accountId: string): Promise<void> {
    try {
      for (;;) {
        const queue = this.waiting.get(accountId);
        if (queue === undefined || queue.length === 0) break;
        const batch = queue.splice(0, MAX_BATCH);
        try {
          const outcomes = await this.write(batch.map((w) => w.request));
          batch.forEach((w, i) => {
            const outcome = outcomes[i];
            if (outcome === undefined) w.reject(new Error('no outcome for a queued command'));
            else w.resolve(outcome);
          });
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.waiting.delete(accountId);
      this.running.delete(accountId);
    }
  }

  private async write(requests: readonly WriteRequest[]): Promise<WriteOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      let tx: WriteTransaction | undefined;
      try {
        // BEGIN travels with the writer's first statement (one round trip fewer).
        const outcomes = await withTransaction(
          this.pool,
          (client) => {
            tx = { client, touched: new Set(), beginWithFirstStatement: true };
            return this.writer.apply(tx, requests);
          },
          { begin: false },
        );
        if (tx !== undefined) this.writer.committed(tx);
        return outcomes;
      } catch (err) {
        if (tx !== undefined) this.writer.rolledBack(tx);
        if (isRetryable(err) && attempt < MAX_TRANSIENT_RETRIES) continue;
        throw err;
      }
    }
  }
}

/** Deadlock or serialization failure: the transaction can simply run again. */
function isRetryable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}
