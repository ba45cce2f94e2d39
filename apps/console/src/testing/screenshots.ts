// `npm run console:screenshots`: the console's main pages as PNG files in docs/console/, taken in
// Debian's Chromium (playwright-core, CHROMIUM_PATH) from `npm start`'s process on a fresh data
// folder, after a $100 top-up, a second key, two calls and a stream the upstream broke (an AI
// insurance claim); then the operator's desk as the admin (a compensation granted, the projections
// verified, a refund dead-lettered by the ledger) and as the auditor (refused). Run it again after
// changing a page.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import {
  publishAsService,
  serviceEvent,
} from '../../../standalone/src/testing/standalone-outbox.js';
import { StandaloneProcess } from '../../../standalone/src/testing/standalone-process.js';
import { launchChromium } from './browser.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const OUT = join(ROOT, 'docs/console');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

execFileSync(process.execPath, ['tools/build/console.js', '--if-stale'], {
  cwd: ROOT,
  stdio: 'inherit',
});
const dataDir = mkdtempSync(join(tmpdir(), 'console-screenshots-'));
const { process: running, banner } = await StandaloneProcess.start({
  dataDir,
  // The AI insurance evaluates every second, so the broken stream's claim shows at once.
  env: { INSURANCE_EVALUATE_EVERY_SECONDS: '1' },
});
const browser = await launchChromium();
try {
  mkdirSync(OUT, { recursive: true });
  const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  const shot = async (name: string, of: Page = page): Promise<void> => {
    await of.waitForLoadState('networkidle');
    await of.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
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
  // A stream the simulated upstream breaks after it was charged: the AI insurance's claim.
  const broken = await fetch(`${banner.baseUrl}/api/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${banner.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'sim/echo-1',
      stream: true,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Tell me a long story [simulate:upstream-break].' }],
    }),
  });
  await broken.text().catch(() => '');
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
    ['/referrals', 'referrals'],
  ] as const) {
    await page.goto(`${banner.baseUrl}${path}`);
    await page.locator('h1').waitFor();
    await shot(name);
  }

  // The details of the key that made the calls, one request's charge explained.
  const keys = (await (await fetch(`${account}/api-keys`, { headers: auth })).json()) as {
    data: { id: string; used: string }[];
  };
  const used = keys.data.find((k) => k.used !== '0');
  if (used === undefined) throw new Error('no key has been used');
  await page.goto(`${banner.baseUrl}/keys/${encodeURIComponent(used.id)}`);
  await page.locator('tr[data-request-id]').first().waitFor();
  await page
    .getByRole('button', { name: /^Explain the charge of request/ })
    .first()
    .click();
  await page.getByTestId('explanation').waitFor();
  await shot('key-details');

  await page.goto(`${banner.baseUrl}/claims`);
  await page.getByTestId('claim').first().waitFor({ timeout: 30_000 });
  await shot('claims');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${banner.baseUrl}/`);
  await page.getByTestId('total').waitFor();
  await shot('overview-phone');

  // The operator's desk, as the admin (a context of its own: another tab's session).
  const desk = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  await desk.goto(banner.operatorSignInUrl);
  await desk.getByRole('heading', { name: 'Find an account' }).waitFor();
  await desk.getByLabel('Account id').fill('acct_demo');
  await desk.getByRole('button', { name: 'Open' }).click();
  await desk.getByTestId('total').waitFor();
  await desk.getByLabel(/^Amount in US dollars/).fill('7.5');
  await desk.getByLabel('Reason').fill('Gateway outage of 2026-12-06');
  await desk.getByLabel('Claim reference').fill('claim-4711');
  await desk.getByRole('button', { name: 'Grant compensation' }).click();
  await desk.getByTestId('granted').waitFor();
  await desk.getByTestId('credits-compensations').getByText('$7.50').waitFor({ timeout: 30_000 });
  await shot('operator-account', desk);
  await desk.getByRole('link', { name: 'Event history' }).click();
  await desk.getByTestId('event').first().waitFor();
  await desk.getByRole('button', { name: 'Verify chain' }).click();
  await desk.getByTestId('verification').waitFor();
  await shot('operator-timeline', desk);
  await desk.getByRole('link', { name: 'Global log' }).click();
  await desk.getByTestId('log-row').first().waitFor();
  await shot('operator-log', desk);

  // The projections verified from the desk.
  await desk.goto(`${banner.baseUrl}/operator/operations`);
  await desk.getByRole('button', { name: 'Verify projections' }).click();
  await desk.getByTestId('verify-result').waitFor({ timeout: 60_000 });
  await shot('operator-projections', desk);

  // A refund of a top-up the ledger never saw (written to payments' outbox: no HTTP route makes
  // one), dead-lettered by the ledger's consumer.
  await publishAsService(dataDir, 'payments', 'payments.v1', [
    serviceEvent('payments', 'TopUpRefunded', 'acct_demo', {
      topUpId: 'tu_unknown',
      amount: '4',
      refundReference: 're_unknown',
    }),
  ]);
  await desk.goto(`${banner.baseUrl}/operator/dead-letters`);
  await desk.getByLabel('Service').selectOption('ledger');
  await desk.getByTestId('dead-letter').first().waitFor({ timeout: 30_000 });
  await shot('operator-dead-letters', desk);

  // The auditor, refused a grant by the server.
  const auditor = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  await auditor.goto(banner.auditorSignInUrl);
  await auditor.getByRole('heading', { name: 'Find an account' }).waitFor();
  await auditor.goto(`${banner.baseUrl}/operator/accounts/acct_demo`);
  await auditor.getByTestId('total').waitFor();
  await auditor.getByLabel(/^Amount in US dollars/).fill('1000');
  await auditor.getByLabel('Reason').fill('Trying my luck');
  await auditor.getByLabel('Claim reference').fill('claim-666');
  await auditor.getByRole('button', { name: 'Grant compensation' }).click();
  await auditor.getByRole('alert').filter({ hasText: 'AUTH.READ_ONLY' }).waitFor();
  await auditor.getByRole('alert').scrollIntoViewIfNeeded();
  await shot('auditor-refused', auditor);
} finally {
  await browser.close();
  await running.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
