import { readPrice, type BooksAccount, type ModelPrice } from '../chaos/books.js';
import { fundedAccount, runTrial, trialTable } from '../chaos/trial.js';
import { runBillingScenario } from '../e2e/scenario.js';
import { startComposePlatform, type ComposePlatform } from './compose-platform.js';

// docker-compose.yml for real (issue 15): the images of deploy/images (built by
// tests/compose/test-compose.sh, `npm run test:compose`), brought up with `docker compose up -d`
// and PAYMENT_PROVIDER=stripe (the Stripe stand-in; walkthrough.compose.spec.ts runs the defaults),
// the end-to-end scenario against it, then the ledger's container `docker kill`ed under load and
// started again, and the books compared exactly (tests/chaos): every request the gateway answered
// is charged once, nothing is charged twice. `docker compose down -v` at the end, unless
// COMPOSE_KEEP=1 (to look at a failure: `docker compose -p llm-billing-test logs`).

describe('the platform in containers (docker-compose.yml)', () => {
  let platform: ComposePlatform | undefined;
  let failed = false;

  const p = (): ComposePlatform => {
    if (!platform) throw new Error('the compose platform did not start (see beforeAll)');
    return platform;
  };

  beforeAll(async () => {
    // Payments on the Stripe stand-in (the scenario pays its checkouts with signed webhooks); no
    // `demo`, whose top-up would wait for a checkout nobody pays.
    platform = await startComposePlatform({ paymentProvider: 'stripe', demo: false });
  }, 420_000);

  afterAll(async () => {
    process.stdout.write(`\n${trialTable()}\n`);
    if (failed || scenario.failed()) process.stdout.write(`\n${platform?.logTail(30) ?? ''}\n`);
    if (process.env.COMPOSE_KEEP !== '1') await platform?.down();
  }, 180_000);

  const scenario = runBillingScenario(p);

  describe('the console server (apps/console-server) in front of the five', () => {
    it("serves the console's page, with its Content-Security-Policy", async () => {
      const res = await fetch(`${p().consoleUrl}/`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await res.text()).toMatch(/^<!doctype html>/i);
    });

    it("passes GET /v1/models to metering's container and its answer back unchanged", async () => {
      const at = new Date().toISOString();
      const [mine, theirs] = await Promise.all(
        [p().consoleUrl, p().urls.metering].map((base) => fetch(`${base}/v1/models?at=${at}`)),
      );
      expect(mine?.status).toBe(200);
      const body = (await mine?.json()) as { data: unknown[] };
      expect(body.data.length).toBeGreaterThan(0);
      expect(body).toEqual(await theirs?.json());
    });
  });

  describe('the ledger killed under load (docker kill) and started again', () => {
    let price: ModelPrice;
    let account: BooksAccount;

    beforeAll(async () => {
      price = await readPrice(p());
      account = await fundedAccount(p(), 'compose_ledger');
    }, 120_000);

    it('bills every answered request exactly once across the kill and the restart', async () => {
      const result = await runTrial({
        name: 'ledger docker kill (compose)',
        platform: p,
        accounts: [account],
        price,
        leadMs: 3_000,
        minLoadMs: 10_000,
        catchUpMs: 60_000,
        inject: () => p().killService('ledger'),
        recover: () => p().startService('ledger'),
      });
      if (result.problems.length > 0) {
        failed = true;
        throw new Error(
          `the books are not exact:\n- ${result.problems.join('\n- ')}\n\n` +
            `--- platform logs ---\n${p().logTail(15)}`,
        );
      }
      expect(result.answered).toBeGreaterThan(0);
      expect(result.recoveryMs).toBeDefined();
    }, 240_000);
  });
});
