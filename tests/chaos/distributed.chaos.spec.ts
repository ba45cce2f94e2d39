import { PrivatePostgres, startPrivateKafka, type PrivateKafka } from '@billing/testing';
import {
  startDistributedPlatform,
  type DistributedPlatform,
  type PreparedTopUp,
  type ServiceName,
} from '../e2e/distributed.js';
import {
  checkBooks,
  Decimal,
  getJson,
  money,
  openHolds,
  readPrice,
  type BooksAccount,
  type ModelPrice,
} from './books.js';
import { sleep } from './load.js';
import { fundedAccount, runTrial, trialTable, until, type TrialResult } from './trial.js';

// Issue #11, the chaos suite (tests/chaos/README.md): the five services and the Stripe stand-in
// as real processes, on a Kafka broker and a PostgreSQL cluster of this file's own (never the
// shared ones: the broker and the database are stopped on purpose, and the services' fixed
// consumer groups must not meet another run's). One platform serves every trial in turn; each
// trial loads accounts of its own, causes its fault, and checks those accounts' books exactly.

/** Short, so that holds orphaned by a killed gateway expire within the run. */
const HOLD_TTL_SECONDS = 10;

describe('chaos: the distributed platform under faults', () => {
  let kafka: PrivateKafka | undefined;
  let postgres: PrivatePostgres | undefined;
  let platform: DistributedPlatform | undefined;
  let price: ModelPrice;
  const accounts = new Map<string, BooksAccount[]>();
  const results: TrialResult[] = [];
  let lastLoadEndedAt = 0;
  let failed = false;

  const p = (): DistributedPlatform => {
    if (!platform) throw new Error('the distributed platform did not start (see beforeAll)');
    return platform;
  };
  const accountsOf = (trial: string): BooksAccount[] => {
    const a = accounts.get(trial);
    if (a === undefined) throw new Error(`no accounts for ${trial} (see beforeAll)`);
    return a;
  };

  /** Fails the test with every problem and the platform's last log lines. */
  const expectExact = (result: TrialResult): void => {
    results.push(result);
    lastLoadEndedAt = Date.now();
    if (result.problems.length > 0) {
      failed = true;
      throw new Error(
        `${result.trial}: the books are not exact:\n- ${result.problems.join('\n- ')}\n\n` +
          `--- platform logs (last lines; all in ${p().logDir}) ---\n${p().logTail(15)}`,
      );
    }
    expect(result.answered).toBeGreaterThan(0);
    expect(result.recoveryMs).toBeDefined();
  };

  const killAndRestart = (name: ServiceName) => ({
    inject: () => p().killService(name),
    recover: () => p().startService(name),
  });

  beforeAll(async () => {
    const [k, pg] = await Promise.all([startPrivateKafka(), PrivatePostgres.create()]);
    kafka = k;
    postgres = pg;
    platform = await startDistributedPlatform({
      kafkaBrokers: k.brokers,
      adminDatabaseUrl: pg.url('postgres'),
      env: { HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS) },
      startTimeoutMs: 180_000,
    });
    price = await readPrice(platform);
    const plan: [string, number][] = [
      ['gateway', 1],
      ['metering', 1],
      ['ledger', 1],
      ['keys', 1],
      ['payments', 1],
      ['broker', 1],
      ['postgres', 1],
      // One account's events all go to one partition (the key is the account id): six accounts
      // make it all but certain that the killed instance owned some of them.
      ['rebalance', 6],
      // Three ledgers hold two of the six partitions each: with eighteen accounts each instance
      // all but surely owns some (the trial waits until each has applied a chunk before the kill).
      ['ledger-group', 18],
    ];
    for (const [trial, count] of plan) {
      accounts.set(
        trial,
        await Promise.all(
          Array.from({ length: count }, (_, i) => fundedAccount(p(), `${trial}${i}`)),
        ),
      );
    }
  });

  afterAll(async () => {
    process.stdout.write(`\nchaos trials (distributed):\n${trialTable()}\n`);
    await platform?.stop({ keepLogs: failed }).catch(() => undefined);
    if (failed && platform) process.stdout.write(`logs kept in ${platform.logDir}\n`);
    await kafka?.stop();
    await postgres?.destroy();
  });

  for (const name of ['gateway', 'metering', 'ledger', 'keys'] as const) {
    it(`bills every answered request exactly once across a SIGKILL of ${name} under load`, async () => {
      const trialAccounts = accountsOf(name);
      const result = await runTrial({
        name: `${name} SIGKILL`,
        platform: p,
        accounts: trialAccounts,
        price,
        ...killAndRestart(name),
      });
      expectExact(result);
      if (name === 'keys') {
        // The keys service's own books (the key's `used`, fed by usage.recorded.v1) caught up too.
        const [a] = trialAccounts;
        if (a === undefined) throw new Error('no account');
        const breakdown = await getJson<{ usage: string }>(
          `${p().urls.ledger}/v1/accounts/${a.id}/credits-breakdown`,
          a.token,
        );
        await until(`the key's used is ${breakdown.usage}`, 60_000, async () => {
          const keys = await getJson<{ data: { used: string }[] }>(
            `${p().urls.keys}/v1/accounts/${a.id}/api-keys`,
            a.token,
          );
          return keys.data.length === 1 && money(keys.data[0]?.used).equals(breakdown.usage);
        });
      }
    });
  }

  it('credits a Stripe top-up exactly once when payments is SIGKILLed as its webhook arrives', async () => {
    const trialAccounts = accountsOf('payments');
    const [a] = trialAccounts;
    if (a === undefined) throw new Error('no account');
    const first = await p().prepareTopUp(a.id, '7.5');
    const second = await p().prepareTopUp(a.id, '5.25');
    /** Delivers as Stripe does: again and again until a 2xx (a kill answers nothing). */
    const deliver = async (t: PreparedTopUp): Promise<string> => {
      const deliverStripeWebhook = p().deliverStripeWebhook;
      if (deliverStripeWebhook === undefined) throw new Error('no webhooks');
      for (let attempt = 0; attempt < 120; attempt++) {
        const answer = await deliverStripeWebhook(t.event).catch(() => undefined);
        if (answer !== undefined && answer.status >= 200 && answer.status < 300) {
          return answer.body;
        }
        await sleep(1_000);
      }
      throw new Error(`the webhook of ${t.topUpId} was never acknowledged`);
    };
    const answers: string[] = [];
    const result = await runTrial({
      name: 'payments SIGKILL',
      platform: p,
      accounts: trialAccounts,
      price,
      inject: async () => {
        // The first webhook is on its way: the kill lands while payments handles it (or just
        // after it answered, which its sender then never learns).
        await sleep(5);
        await p().killService('payments');
      },
      recover: () => p().startService('payments'),
      during: async () => {
        answers.push(await deliver(first));
        await until('payments is back', 120_000, async () => {
          const res = await fetch(`${p().urls.payments}/health`);
          return res.status === 200;
        });
        // Stripe delivers at least once: each event again, after it was acknowledged.
        answers.push(await deliver(first));
        answers.push(await deliver(second));
        answers.push(await deliver(second));
        a.topUps.push(new Decimal('7.5'), new Decimal('5.25'));
      },
    });
    expectExact(result);
    // Applied, or a duplicate of a delivery whose answer the kill swallowed: never refused.
    expect(answers.filter((b) => !/"(applied|duplicate)"/.test(b))).toEqual([]);
    expect(answers).toHaveLength(4);
    const topUps = await getJson<{ data: { topUpId: string; status: string }[] }>(
      `${p().urls.payments}/v1/accounts/${a.id}/top-ups`,
      a.token,
    );
    expect(
      topUps.data
        .filter((t) => t.topUpId === first.topUpId || t.topUpId === second.topUpId)
        .map((t) => t.status),
    ).toEqual(['settled', 'settled']);
  });

  it('bills every answered request exactly once across a broker outage under load', async () => {
    const k = kafka;
    if (k === undefined) throw new Error('no private broker');
    expectExact(
      await runTrial({
        name: 'broker down 5 s',
        platform: p,
        accounts: accountsOf('broker'),
        price,
        inject: async () => {
          await k.halt();
          await sleep(5_000);
        },
        recover: () => k.resume(),
      }),
    );
  });

  it('bills every answered request exactly once across a PostgreSQL stop -m immediate under load', async () => {
    const pg = postgres;
    if (pg === undefined) throw new Error('no private cluster');
    expectExact(
      await runTrial({
        name: 'postgres -m immediate, 3 s',
        platform: p,
        accounts: accountsOf('postgres'),
        price,
        inject: async () => {
          await pg.stop('immediate');
          await sleep(3_000);
        },
        recover: () => pg.start(),
      }),
    );
  });

  it('bills every answered request exactly once when one of two metering instances is SIGKILLed (rebalance)', async () => {
    const second = await p().startInstance('metering');
    // Let the group rebalance onto both instances before the load starts.
    await sleep(8_000);
    expectExact(
      await runTrial({
        name: 'rebalance (2 metering, 1 killed)',
        platform: p,
        accounts: accountsOf('rebalance'),
        price,
        clients: 1,
        pauseMs: 150,
        inject: () => second.kill(),
        // Nothing restarts: the survivor takes the dead instance's partitions once the group
        // notices (its session timeout). What is answered meanwhile goes to those partitions.
        recover: () => sleep(2_000),
      }),
    );
  });

  it('bills every answered request exactly once when one of three ledger instances is SIGKILLed mid-stream', async () => {
    // Issue #14's scale-out: usage.recorded.v1 is keyed by account, so three ledgers in one
    // consumer group split its partitions; one dies under load and the other two take its share.
    const [second, third] = [await p().startInstance('ledger'), await p().startInstance('ledger')];
    await sleep(8_000);
    expectExact(
      await runTrial({
        name: 'ledger group (3 ledgers, 1 killed)',
        platform: p,
        accounts: accountsOf('ledger-group'),
        price,
        clients: 1,
        pauseMs: 150,
        inject: async () => {
          // Each of the three has applied a chunk of usage.recorded.v1 (its lag gauge, set per
          // committed chunk): the partitions are shared, and the one killed had work in hand.
          for (const url of [p().urls.ledger, second.url, third.url]) {
            await until(`the ledger at ${url} applies its share`, 30_000, async () => {
              const metrics = await (await fetch(`${url}/metrics`)).text();
              return /messaging_consumer_lag_messages\{[^}]*topic="usage\.recorded\.v1"/.test(
                metrics,
              );
            });
          }
          await second.kill();
        },
        // The survivors take the dead instance's partitions once the group notices.
        recover: () => sleep(2_000),
      }),
    );
    await third.kill('SIGTERM');
  });

  it('leaves no hold open past its TTL, and passes projections:verify and audit:verify', async () => {
    // Holds orphaned by the killed gateway expire HOLD_TTL_SECONDS after their last extension.
    await sleep(Math.max(0, lastLoadEndedAt + (HOLD_TTL_SECONDS + 5) * 1000 - Date.now()));
    const problems: string[] = [];
    for (const [trial, list] of accounts) {
      for (const a of list) {
        if (a.outcomes.length === 0) continue;
        // Late charges (an `unknown` request's) change nothing: the books are still exact.
        const books = await checkBooks(p(), a, price, 10_000);
        problems.push(...books.problems.map((m) => `${trial} ${a.id}: ${m}`));
        problems.push(...(await openHolds(p(), a)));
      }
    }
    expect(problems).toEqual([]);
    const [projections, audit] = await Promise.all([p().projectionsVerify(), p().auditVerify()]);
    expect({ exitCode: projections.exitCode, stdout: projections.stdout }).toEqual({
      exitCode: 0,
      stdout: expect.stringContaining('projections match the event log') as unknown,
    });
    expect({ exitCode: audit.exitCode, stdout: audit.stdout }).toEqual({
      exitCode: 0,
      stdout: expect.stringContaining('hash chains intact') as unknown,
    });
    expect(results.length).toBeGreaterThan(0);
  });
});
