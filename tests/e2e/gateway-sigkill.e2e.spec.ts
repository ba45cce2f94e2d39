import { readPrice, type BooksAccount, type ModelPrice } from '../chaos/books.js';
import { fundedAccount, runTrial } from '../chaos/trial.js';
import { startDistributedPlatform, type DistributedPlatform } from './distributed.js';

// The short version of the chaos suite (tests/chaos, `npm run test:chaos`) in the normal run: the
// gateway SIGKILLed under load from three clients and started again, then the books compared
// exactly. Every request the gateway answered with 200 (a stream: the client received
// `data: [DONE]`) is charged once on the ledger at the cost its usage and the list price give;
// nothing answered is lost with the killed process, nothing is charged twice.
// The shared broker and database are enough here: nothing but a service process is killed.

describe('the gateway SIGKILLed under load (short chaos trial)', () => {
  let platform: DistributedPlatform | undefined;
  let price: ModelPrice;
  let account: BooksAccount;
  let failed = false;

  const p = (): DistributedPlatform => {
    if (!platform) throw new Error('the distributed platform did not start (see beforeAll)');
    return platform;
  };

  beforeAll(async () => {
    platform = await startDistributedPlatform();
    price = await readPrice(platform);
    account = await fundedAccount(platform, 'e2e_gateway');
  }, 150_000);

  afterAll(async () => {
    await platform?.stop({ keepLogs: failed });
  }, 60_000);

  it('bills every answered request exactly once across the kill and the restart', async () => {
    const result = await runTrial({
      name: 'gateway SIGKILL (e2e)',
      platform: p,
      accounts: [account],
      price,
      leadMs: 3_000,
      minLoadMs: 10_000,
      catchUpMs: 40_000,
      inject: () => p().killService('gateway'),
      recover: () => p().startService('gateway'),
    });
    if (result.problems.length > 0) {
      failed = true;
      throw new Error(
        `the books are not exact:\n- ${result.problems.join('\n- ')}\n\n` +
          `--- platform logs (all in ${p().logDir}) ---\n${p().logTail(15)}`,
      );
    }
    expect(result.answered).toBeGreaterThan(0);
    expect(result.recoveryMs).toBeDefined();
  }, 90_000);
});
