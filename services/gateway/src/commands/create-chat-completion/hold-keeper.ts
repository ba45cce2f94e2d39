import { Logger } from '@nestjs/common';
import type { ExtendOutcome } from '../../infrastructure/ledger-client.js';

/** Why a keeper ended its request. */
export type HoldKeeperEnd = 'deadline' | 'hold_lost';

/** The part of the ledger client a keeper uses. */
export interface HoldExtender {
  extendHold(accountId: string, holdId: string, ttlSeconds: number): Promise<ExtendOutcome>;
}

export interface HoldKeeperOptions {
  readonly accountId: string;
  /** Undefined when the request has no hold (a Builder plan key): only the deadline is kept. */
  readonly holdId: string | undefined;
  readonly holdTtlSeconds: number;
  /** The overall deadline of the request, from `startedAtMs`. */
  readonly deadlineSeconds: number;
  /** When the request was admitted (its hold placed). */
  readonly startedAtMs: number;
  readonly clock: () => number;
}

/** Never extend more often than this, whatever the TTL (a TTL of 1 s in a test). */
const MIN_EXTEND_INTERVAL_MS = 250;

/**
 * Keeps a running request within its hold (issue #10): while the request runs, the hold is
 * extended every third of its TTL, so a stream longer than the TTL never outlives the money
 * reserved for it; and the request is ended (its `signal` aborted) when
 * - the overall deadline comes (`deadline`), or
 * - the ledger says the hold is gone, or could not be reached before the hold's last known
 *   expiry (`hold_lost`): going on would spend money nothing reserves.
 *
 * The use case passes `signal` to the upstream call (which stops generating) and watches `ended`
 * to tell the client why. `stop()` once the request is over; nothing is extended after that.
 */
export class HoldKeeper {
  private readonly logger = new Logger('HoldKeeper');
  private readonly controller = new AbortController();
  private readonly intervalMs: number;
  private expiresAtMs: number;
  private ticker: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private extending = false;
  private stopped = false;
  /** Set when the keeper ended the request; undefined while it runs or once it finished itself. */
  ended: HoldKeeperEnd | undefined;
  /** Successful extensions, for the logs and the tests. */
  extensions = 0;

  constructor(
    private readonly ledger: HoldExtender,
    private readonly o: HoldKeeperOptions,
  ) {
    const ttlMs = o.holdTtlSeconds * 1000;
    this.intervalMs = Math.max(MIN_EXTEND_INTERVAL_MS, Math.floor(ttlMs / 3));
    this.expiresAtMs = o.startedAtMs + ttlMs;
  }

  /** Aborted when the keeper ends the request. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  start(): this {
    if (this.o.holdId !== undefined) {
      this.ticker = setInterval(() => void this.extend(), this.intervalMs);
      this.ticker.unref();
    }
    const remainingMs = this.o.startedAtMs + this.o.deadlineSeconds * 1000 - this.o.clock();
    this.deadline = setTimeout(() => this.end('deadline'), Math.max(0, remainingMs));
    this.deadline.unref();
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.ticker);
    clearTimeout(this.deadline);
  }

  private async extend(): Promise<void> {
    const holdId = this.o.holdId;
    if (this.stopped || this.extending || holdId === undefined) return;
    this.extending = true;
    try {
      const outcome = await this.ledger.extendHold(this.o.accountId, holdId, this.o.holdTtlSeconds);
      if (this.stopped) return;
      if (outcome.ok) {
        this.expiresAtMs = outcome.expiresAtMs;
        this.extensions += 1;
        return;
      }
      if (outcome.reason === 'closed') {
        this.logger.warn(`request ${holdId}: its hold is gone (${outcome.message})`);
        this.end('hold_lost');
        return;
      }
      // The ledger could not be asked: try again at the next tick, unless the hold expires first.
      // Half a tick of margin: a next tick due just before the expiry (timers fire a little early
      // or late) would come too late to help, so the request ends now rather than then.
      if (this.o.clock() + this.intervalMs * 1.5 >= this.expiresAtMs) {
        this.logger.warn(
          `request ${holdId}: its hold could not be extended before it expires (${outcome.message})`,
        );
        this.end('hold_lost');
      }
    } finally {
      this.extending = false;
    }
  }

  private end(reason: HoldKeeperEnd): void {
    if (this.stopped) return;
    this.ended = reason;
    this.stop();
    this.controller.abort(new Error(`the request was ended: ${reason}`));
  }
}

/**
 * Resolves with the promise, or with `undefined` as soon as `signal` aborts: a wait the keeper
 * can cut short (an upstream that ignores its signal, a client that stopped reading).
 */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
