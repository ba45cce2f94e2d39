// `npm run console:screenshots`: the console's main pages as PNG files in docs/console/, taken in
// Debian's Chromium (playwright-core, CHROMIUM_PATH) from `npm start`'s process on a fresh data
// folder, after a $100 top-up, a second key and two calls. Run it again after changing a page.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { StandaloneProcess } from '../../../standalone/src/testing/standalone-process.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const OUT = join(ROOT, 'docs/console');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

execFileSync(process.execPath, ['tools/build/console.js', '--if-stale'], {
  cwd: ROOT,
  stdio: 'inherit',
});
const dataDir = mkdtempSync(join(tmpdir(), 'console-screenshots-'));
const { process: running, banner } = await StandaloneProcess.start({ dataDir });
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
});
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  const shot = async (name: string): Promise<void> => {
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    console.log(`docs/console/${name}.png`);
  };

  await page.goto(banner.signInUrl);
  await page.getByRole('heading', { name: 'Billing overview' }).waitFor();

  await page.goto(`${banner.baseUrl}/top-up`);
  await page.getByTestId('preview').waitFor();
  await shot('top-up');
  await page.getByRole('button', { name: 'Pay $100.00' }).click();
  await page.getByTestId('credited').waitFor({ timeout: 30_000 });
  await shot('top-up-return');

  const account = `${banner.baseUrl}/v1/accounts/acct_demo`;
  const auth = {
    authorization: `Bearer ${banner.accountToken}`,
    'content-type': 'application/json',
  };
  // A linked card (the simulated provider saves one at once), for the auto top-up page.
  const setup = await fetch(`${account}/payment-methods/setup`, {
    method: 'POST',
    headers: { authorization: auth.authorization },
  });
  if (setup.status !== 201) throw new Error(`linking a card answered ${setup.status}`);
  await fetch(`${account}/api-keys`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ name: 'production-app' }),
  });
  for (const content of ['What is the meaning of life?', 'And of billing?']) {
    await fetch(`${banner.baseUrl}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${banner.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim/echo-1', messages: [{ role: 'user', content }] }),
    });
  }
  // The charges reach the ledger and the keys over the in-process bus.
  for (let i = 0; i < 50; i++) {
    const b = (await (await fetch(`${account}/balance`, { headers: auth })).json()) as {
      held: string;
      total: string;
    };
    if (b.held === '0' && b.total !== '132') break;
    await sleep(200);
  }
  await sleep(500);

  for (const [path, name] of [
    ['/', 'overview'],
    ['/auto-top-up', 'auto-top-up'],
    ['/keys', 'api-keys'],
    ['/credits', 'credits-breakdown'],
    ['/transactions', 'transactions'],
    ['/usage', 'usage'],
  ] as const) {
    await page.goto(`${banner.baseUrl}${path}`);
    await page.locator('h1').waitFor();
    await shot(name);
  }
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${banner.baseUrl}/`);
  await page.getByTestId('total').waitFor();
  await shot('overview-phone');
} finally {
  await browser.close();
  await running.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
