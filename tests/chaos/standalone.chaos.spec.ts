import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from '@billing/testing';
// The standalone app's own test helpers: `npm start` as a child process, seen as a Platform.
import { StandalonePlatform } from '../../apps/standalone/src/testing/standalone-platform.js';
import { StandaloneProcess } from '../../apps/standalone/src/testing/standalone-process.js';
import { checkBooks, openHolds, readPrice, type BooksAccount, type ModelPrice } from './books.js';
import { sleep } from './load.js';
import { fundedAccount, runTrial, trialTable } from './trial.js';

// Issue #11: `npm start` (every service in one process, on embedded PGlite and an in-process
// bus) SIGKILLed under load and started again on the same data folder. What the gateway
// answered before the kill must be billed once it is back: the usage is in the embedded
// database's outbox or it is lost.

const HOLD_TTL_SECONDS = 10;

describe('chaos: the standalone app under faults', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'billing-chaos-standalone-'));
  let running: StandaloneProcess | undefined;
  let platform: StandalonePlatform | undefined;
  let port = 0;
  let price: ModelPrice;
  let account: BooksAccount;
  let lastLoadEndedAt = 0;

  const p = (): StandalonePlatform => {
    if (!platform) throw new Error('the standalone app did not start (see beforeAll)');
    return platform;
  };
  const start = async (): Promise<void> => {
    const started = await StandaloneProcess.start({
      dataDir,
      port,
      env: { HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS) },
      timeoutMs: 240_000,
    });
    running = started.process;
    platform = new StandalonePlatform(started.process, started.banner);
  };

  beforeAll(async () => {
    [port = 0] = await freePorts(1);
    await start();
    price = await readPrice(p());
    account = await fundedAccount(p(), 'standalone');
  });

  afterAll(async () => {
    process.stdout.write(`\nchaos trials (standalone):\n${trialTable()}\n`);
    await running?.stop('SIGTERM', 30_000);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('bills every answered request exactly once across a SIGKILL of the standalone app under load', async () => {
    const result = await runTrial({
      name: 'standalone SIGKILL',
      platform: p,
      accounts: [account],
      price,
      inject: async () => {
        await running?.stop('SIGKILL');
      },
      recover: start,
    });
    lastLoadEndedAt = Date.now();
    if (result.problems.length > 0) {
      throw new Error(
        `${result.trial}: the books are not exact:\n- ${result.problems.join('\n- ')}\n\n` +
          `--- standalone log (last lines) ---\n${p().logTail(30)}`,
      );
    }
    expect(result.answered).toBeGreaterThan(0);
  });

  it('leaves no hold open past its TTL, and passes projections:verify and audit:verify', async () => {
    await sleep(Math.max(0, lastLoadEndedAt + (HOLD_TTL_SECONDS + 5) * 1000 - Date.now()));
    const books = await checkBooks(p(), account, price, 10_000);
    expect([...books.problems, ...(await openHolds(p(), account))]).toEqual([]);
    const projections = await p().projectionsVerify();
    const audit = await p().auditVerify();
    expect({ exitCode: projections.exitCode, stdout: projections.stdout }).toEqual({
      exitCode: 0,
      stdout: expect.stringContaining('projections match the event log') as unknown,
    });
    expect({ exitCode: audit.exitCode, stdout: audit.stdout }).toEqual({
      exitCode: 0,
      stdout: expect.stringContaining('hash chains intact') as unknown,
    });
  });
});
