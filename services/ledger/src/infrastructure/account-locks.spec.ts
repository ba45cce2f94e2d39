import { AccountLocks } from './account-locks.js';

/** Resolves with `'pending'` if `p` has not settled after the event loop has run a little. */
async function stateOf(p: Promise<unknown>): Promise<'settled' | 'pending'> {
  return Promise.race([
    p.then(() => 'settled' as const),
    new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), 20)),
  ]);
}

describe('AccountLocks', () => {
  it('lets a second owner decide an account only once the first has ended', async () => {
    const locks = new AccountLocks(10_000);
    const a = {};
    const b = {};
    await locks.acquire(a, ['acct_1']);
    const second = locks.acquire(b, ['acct_1']);
    expect(await stateOf(second)).toBe('pending');
    locks.release(a);
    expect(await stateOf(second)).toBe('settled');
    locks.release(b);
    expect(locks.size).toBe(0);
  });

  it('leaves owners of other accounts alone', async () => {
    const locks = new AccountLocks(10_000);
    await locks.acquire({}, ['acct_1']);
    expect(await stateOf(locks.acquire({}, ['acct_2']))).toBe('settled');
  });

  it('takes all of an owner’s accounts at once: it holds none of them while it waits for one', async () => {
    const locks = new AccountLocks(10_000);
    const a = {};
    const b = {};
    const c = {};
    await locks.acquire(a, ['acct_1']);
    const both = locks.acquire(b, ['acct_1', 'acct_2']);
    expect(await stateOf(both)).toBe('pending');
    // b waits for acct_1 without holding acct_2, so c (which waits for nothing b holds) goes on.
    expect(await stateOf(locks.acquire(c, ['acct_2']))).toBe('settled');
    locks.release(a);
    expect(await stateOf(both)).toBe('pending'); // acct_2 is c's now
    locks.release(c);
    expect(await stateOf(both)).toBe('settled');
  });

  it('takes over an account whose owner never ended, after the wait, and ignores that owner’s late release', async () => {
    const locks = new AccountLocks(50);
    const lost = {};
    const next = {};
    const after = {};
    await locks.acquire(lost, ['acct_1']);
    const started = performance.now();
    await locks.acquire(next, ['acct_1']);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    locks.release(lost); // not its account any more
    const third = locks.acquire(after, ['acct_1']);
    expect(await stateOf(third)).toBe('pending');
    locks.release(next);
    expect(await stateOf(third)).toBe('settled');
    expect(locks.size).toBe(1); // after's
  });

  it('lets an owner take more of its own accounts without waiting for itself', async () => {
    const locks = new AccountLocks(10_000);
    const a = {};
    await locks.acquire(a, ['acct_1']);
    expect(await stateOf(locks.acquire(a, ['acct_1', 'acct_2']))).toBe('settled');
    locks.release(a);
    expect(locks.size).toBe(0);
  });
});
