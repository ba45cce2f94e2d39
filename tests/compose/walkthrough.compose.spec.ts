import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectWalkthrough, readmeWalkthrough } from '../e2e/readme-walkthrough.js';
import { startComposePlatform, type ComposePlatform } from './compose-platform.js';

// The README's walkthrough ("Five minutes with it") against docker-compose.yml as a reader brings
// it up (issue 15): the file's defaults (the simulated payment provider), the one-shot `demo`
// service's `export KEY=...` and `export ACCOUNT=...` from its logs, and every command of the
// README's sh block, unchanged, through the front door (the console server; B is the port the
// test published it on instead of 8080). platform.compose.spec.ts brings the stack up again on the
// Stripe stand-in for the end-to-end scenario. `docker compose down -v` at the end, unless
// COMPOSE_KEEP=1.

describe("the README's walkthrough against docker-compose.yml, unchanged", () => {
  let platform: ComposePlatform | undefined;
  const scratch = mkdtempSync(join(tmpdir(), 'compose-walkthrough-'));

  const p = (): ComposePlatform => {
    if (!platform) throw new Error('the compose platform did not start (see beforeAll)');
    return platform;
  };

  beforeAll(async () => {
    platform = await startComposePlatform({ project: 'llm-billing-walkthrough' });
  }, 420_000);

  afterAll(async () => {
    if (process.env.COMPOSE_KEEP !== '1') await platform?.down();
    rmSync(scratch, { recursive: true, force: true });
  }, 180_000);

  it("publishes the front door on the README's port, 8080, unless CONSOLE_PORT says otherwise", () => {
    const file = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    expect(file).toContain("ports: ['${BIND_ADDRESS:-127.0.0.1}:${CONSOLE_PORT:-8080}:8090']");
    expect(readmeWalkthrough().variables.B).toBe('http://localhost:8080');
  });

  it('runs every command of "Five minutes with it" with the demo service\'s KEY and ACCOUNT', async () => {
    const { KEY, ACCOUNT } = await p().demoExports();
    expect(KEY).toMatch(/^sk-payg-/);
    expect(ACCOUNT.split('.')).toHaveLength(3);
    try {
      await expectWalkthrough({
        baseUrl: p().consoleUrl,
        key: KEY,
        account: ACCOUNT,
        cwd: scratch,
        // A fresh stack: the demo's $10 top-up and $2 bonus, nothing spent.
        start: { topUps: '10', bonuses: '2', usage: '0' },
      });
    } catch (err) {
      process.stdout.write(`\n${p().logTail(30)}\n`);
      throw err;
    }
  }, 240_000);

  it('prints the same demo account again when run a second time, with nothing credited twice', async () => {
    const first = await p().demoExports();
    const again = await p().rerunDemo();
    expect(again.KEY).toBe(first.KEY);
    const breakdown = (await (
      await fetch(`${p().consoleUrl}/v1/accounts/acct_demo/credits-breakdown`, {
        headers: { authorization: `Bearer ${again.ACCOUNT}` },
      })
    ).json()) as { topUps: string; bonuses: string };
    expect([breakdown.topUps, breakdown.bonuses]).toEqual(['110', '22']);
  }, 180_000);
});
