import { startDistributedPlatform, type DistributedPlatform } from './distributed.js';
import { runBillingScenario } from './scenario.js';

// The whole product as it runs in production: the five services and a Stripe stand-in as six
// separate processes on the real Kafka broker and a fresh PostgreSQL database, driven only
// through their public surfaces (issue 7, "end to end"). A failing step carries the tail of every
// process's log, and the full logs are kept in the directory it names.

describe('the distributed platform (five services as separate processes)', () => {
  let platform: DistributedPlatform | undefined;

  beforeAll(async () => {
    platform = await startDistributedPlatform();
  }, 120_000);

  afterAll(async () => {
    await platform?.stop({ keepLogs: scenario.failed() });
  }, 60_000);

  const scenario = runBillingScenario(() => {
    if (!platform) throw new Error('the distributed platform did not start (see beforeAll)');
    return platform;
  });
});
