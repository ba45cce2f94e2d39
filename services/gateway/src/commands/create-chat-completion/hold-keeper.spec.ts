import { describe, expect, it } from '@jest/globals';
import type { ExtendOutcome } from '../../infrastructure/ledger-client.js';
import { HoldKeeper, unlessAborted, type HoldExtender } from './hold-keeper.js';

/** A ledger whose answers to extensions the test scripts, recording when each was asked. */
class ScriptedLedger implements HoldExtender {
  readonly calls: number[] = [];
  constructor(private readonly answer: () => ExtendOutcome) {}
  extendHold(): Promise<ExtendOutcome> {
    this.calls.push(Date.now());
    return Promise.resolve(this.answer());
  }
}

const keeperWith = (ledger: HoldExtender, o: { ttl?: number; deadline?: number } = {}) =>
  new HoldKeeper(ledger, {
    accountId: 'acct_1',
    holdId: 'req_1',
    holdTtlSeconds: o.ttl ?? 1,
    deadlineSeconds: o.deadline ?? 60,
    startedAtMs: Date.now(),
    clock: Date.now,
  }).start();

const ended = (keeper: HoldKeeper): Promise<number> =>
  new Promise((resolve) => {
    if (keeper.signal.aborted) resolve(Date.now());
    keeper.signal.addEventListener('abort', () => resolve(Date.now()), { once: true });
  });

describe('HoldKeeper', () => {
  it('extends the hold every third of its TTL while the request runs, and never after stop()', async () => {
    const ledger = new ScriptedLedger(() => ({ ok: true, expiresAtMs: Date.now() + 1_000 }));
    const keeper = keeperWith(ledger);
    await new Promise((resolve) => setTimeout(resolve, 1_150));
    keeper.stop();
    const calls = ledger.calls.length;
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(keeper.extensions).toBe(calls);
    expect(keeper.ended).toBeUndefined();
    expect(keeper.signal.aborted).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(ledger.calls.length).toBe(calls);
  });

  it('ends the request (hold_lost) as soon as the ledger says the hold is closed', async () => {
    const ledger = new ScriptedLedger(() => ({ ok: false, reason: 'closed', message: 'gone' }));
    const started = Date.now();
    const keeper = keeperWith(ledger);
    const at = await ended(keeper);
    expect(keeper.ended).toBe('hold_lost');
    expect(ledger.calls.length).toBe(1);
    expect(at - started).toBeLessThan(1_000);
  });

  it('ends the request (hold_lost) before the hold expires when the ledger cannot be reached', async () => {
    const ledger = new ScriptedLedger(() => ({
      ok: false,
      reason: 'unavailable',
      message: 'ledger unreachable',
    }));
    const started = Date.now();
    const keeper = keeperWith(ledger);
    const at = await ended(keeper);
    expect(keeper.ended).toBe('hold_lost');
    // One failed try (at about 333 ms) is retried; the second (at about 667 ms) leaves less than
    // a tick and a half before the 1 s hold expires, so the keeper gives up there, whether the
    // timers fire a little early or late (the margin is for a loaded machine).
    expect(ledger.calls.length).toBe(2);
    expect(at - started).toBeLessThan(1_400);
  });

  it('ends the request at the overall deadline even while extensions succeed', async () => {
    const ledger = new ScriptedLedger(() => ({ ok: true, expiresAtMs: Date.now() + 1_000 }));
    const started = Date.now();
    const keeper = keeperWith(ledger, { deadline: 1 });
    const at = await ended(keeper);
    expect(keeper.ended).toBe('deadline');
    expect(at - started).toBeGreaterThanOrEqual(990);
  });
});

describe('unlessAborted', () => {
  it('answers the promise, or undefined as soon as the signal aborts', async () => {
    expect(await unlessAborted(Promise.resolve(7), new AbortController().signal)).toBe(7);
    const controller = new AbortController();
    const never = new Promise<number>(() => undefined);
    const waiting = unlessAborted(never, controller.signal);
    controller.abort();
    expect(await waiting).toBeUndefined();
    await expect(
      unlessAborted(Promise.reject(new Error('broke')), new AbortController().signal),
    ).rejects.toThrow('broke');
  });
});
