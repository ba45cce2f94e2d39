import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatUsd, parseUsd } from '@billing/money';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { StandalonePlatform } from '../../standalone/src/testing/standalone-platform.js';
import { StandaloneProcess, type Banner } from '../../standalone/src/testing/standalone-process.js';
import {
  accessibilityProblems,
  atPhoneWidth,
  eventually,
  launchChromium,
} from './testing/browser.js';

// Promotion codes, referrals and AI-insurance claims in the console, in a real browser (Debian's
// Chromium, driven by playwright-core) against `npm start`'s process on a fresh data folder. The
// process is started with a referral reward in its environment (REFERRAL_REWARD_PERCENT,
// REFERRAL_REWARD_FIXED_USD): the reward the referrer sees is what payments computed from those
// variables, so the standalone mode passed them through. Every figure is asserted exactly.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** "$1,234.50" as the console writes an amount, computed here on its own from nano-dollars. */
function usd(nanos: bigint): string {
  const [integer = '0', fraction = ''] = formatUsd(nanos < 0n ? -nanos : nanos).split('.');
  return `${nanos < 0n ? '-' : ''}$${integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction.padEnd(2, '0')}`;
}

/** The browser's globals that the page functions below use (this file is compiled for Node). */
interface InPage {
  navigator: { clipboard: { readText(): Promise<string> } };
}

/** The sim provider's simulated mid-stream failure (services/gateway, sim-provider.ts). */
const SIM_BREAK_STREAM_MARKER = '[simulate:upstream-break]';

describe('promotion codes, referrals and claims in the console, in Chromium, against npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'console-growth-e2e-'));
  let running: StandaloneProcess | undefined;
  let banner: Banner;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  /** The demo account's referral code, as the API gives it. */
  let code = '';
  /** The friend's account token, minted with the data folder's secret as the banner's is. */
  let friendToken = '';

  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
    token = banner.accountToken,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${banner.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
  const text = async (testId: string, on: Page = page): Promise<string> =>
    ((await on.getByTestId(testId).first().textContent()) ?? '').trim();
  const balanceTotal = async (): Promise<string> =>
    (await api<{ total: string }>('GET', '/v1/accounts/acct_demo/balance')).body.total;

  beforeAll(async () => {
    execFileSync(process.execPath, ['tools/build/console.js', '--if-stale'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    ({ process: running, banner } = await StandaloneProcess.start({
      dataDir,
      timeoutMs: 300_000,
      env: {
        // 10 % of the referred account's first top-up (down to the micro-dollar) plus $1.25.
        REFERRAL_REWARD_PERCENT: '10',
        REFERRAL_REWARD_FIXED_USD: '1.25',
        REFERRAL_REWARD_CAP_USD: '100',
        // The AI insurance evaluates every second, so the claim shows at once.
        INSURANCE_EVALUATE_EVERY_SECONDS: '1',
      },
    }));
    friendToken = await new StandalonePlatform(running, banner).accountToken('acct_friend', 3_600);
    browser = await launchChromium();
    context = await browser.newContext();
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: banner.baseUrl,
    });
    page = await context.newPage();
    await page.goto(banner.signInUrl);
    await page.getByRole('heading', { name: 'Billing overview' }).waitFor();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('shows the account’s referral code and copies its sign-up link', async () => {
    await page.getByRole('link', { name: 'Referrals', exact: true }).click();
    await page.getByRole('heading', { name: 'Referrals', exact: true }).waitFor();
    await page.getByTestId('referral-code').waitFor();
    code = await text('referral-code');
    expect(code).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
    const fromApi = await api<{ code: string; totalRewarded: string }>(
      'GET',
      '/v1/accounts/acct_demo/referrals',
    );
    expect(fromApi.body).toMatchObject({ code, totalRewarded: '0' });
    expect(await text('referral-total')).toBe('$0.00');
    await page.getByText('No account has signed up with your code yet.').waitFor();

    const link = `${banner.baseUrl}/sign-in?ref=${code}`;
    expect(await page.getByLabel('Sign-up link').inputValue()).toBe(link);
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByText('Copied the sign-up link to the clipboard.').waitFor();
    expect(
      await page.evaluate(() => (globalThis as unknown as InPage).navigator.clipboard.readText()),
    ).toBe(link);
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('refuses the account’s own code and a code nobody has, in words', async () => {
    await page.getByLabel('Referral code', { exact: true }).fill(code.toLowerCase());
    await page.getByRole('button', { name: 'Use this code' }).click();
    await page
      .getByText(`${code} is this account's own referral code; share it with others instead.`)
      .waitFor();
    await page.getByLabel('Referral code', { exact: true }).fill('ZZZZZZZZ');
    await page.getByRole('button', { name: 'Use this code' }).click();
    await page
      .getByText('No account has the referral code ZZZZZZZZ. Check its spelling.')
      .waitFor();
    await page.getByLabel('Referral code', { exact: true }).fill('NOT-A-CODE');
    await page.getByRole('button', { name: 'Use this code' }).click();
    await page.getByText('A referral code is 8 letters and digits, like K7M2QX9P.').waitFor();
    // None of it signed the account up.
    expect(await page.getByTestId('joined').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Use this code' }).isEnabled()).toBe(true);
  });

  it('carries the code of a sign-up link through signing in, and signs the new account up with it', async () => {
    if (browser === undefined) throw new Error('no browser (see beforeAll)');
    const friend = await browser.newContext();
    try {
      const tab = await friend.newPage();
      await tab.goto(`${banner.baseUrl}/sign-in?ref=${code.toLowerCase()}`);
      await tab.getByText(`You were invited with the referral code ${code}`).waitFor();
      expect(await accessibilityProblems(tab)).toEqual([]);
      await tab.getByLabel('Account token').fill(friendToken);
      await tab.getByRole('button', { name: 'Sign in' }).click();
      await tab.getByRole('heading', { name: 'Referrals', exact: true }).waitFor();
      expect(new URL(tab.url()).pathname).toBe('/referrals');
      await tab.getByText(`You followed a sign-up link with the code ${code}.`).waitFor();
      expect(await tab.getByLabel('Referral code', { exact: true }).inputValue()).toBe(code);
      await tab.getByRole('button', { name: 'Use this code' }).click();
      expect(await text('joined', tab)).toBe(
        `This account signed up with the code ${code} of acct_demo.`,
      );
      // The friend's own code is another one.
      expect(await text('referral-code', tab)).not.toBe(code);
    } finally {
      await friend.close();
    }
  });

  it('pays the referrer the reward the environment configures once the friend’s first top-up settles: 10 % of $33.33 + $1.25 = $4.583', async () => {
    const topUp = await api<{ status: string }>(
      'POST',
      '/v1/accounts/acct_friend/top-ups',
      { amount: '33.33' },
      friendToken,
    );
    expect(topUp.status).toBe(201);
    await eventually('the reward on the Referrals page', async () => {
      await page.goto(`${banner.baseUrl}/referrals`);
      await page.getByTestId('referral-total').waitFor();
      return (await text('referral-total')) === '$4.583' ? true : undefined;
    });
    const row = page.getByTestId('referral-row');
    expect(await row.count()).toBe(1);
    expect(await row.locator('td').nth(1).textContent()).toBe('acct_friend');
    expect(await row.locator('td').nth(2).textContent()).toMatch(/^Rewarded · \d{4}-\d\d-\d\d/);
    expect(await row.locator('td.num').textContent()).toBe('$4.583');
    expect(await accessibilityProblems(page)).toEqual([]);
    // The reward is credited to the referrer: $12 of the demo's first start, and $4.583.
    await eventually('the reward in the balance', async () =>
      (await balanceTotal()) === '16.583' ? true : undefined,
    );
  });

  it('explains an unknown, an expired and an exhausted promotion code before paying, and pays nothing', async () => {
    const admin = async (body: unknown): Promise<void> => {
      const created = await api('POST', '/v1/admin/promotion-codes', body, banner.adminToken);
      expect(created.status).toBe(201);
    };
    await admin({ code: 'GROWTH15', percentOff: '15' });
    await admin({
      code: 'OLDCODE',
      percentOff: '10',
      validFrom: '2026-01-01T00:00:00Z',
      validUntil: '2026-02-01T00:00:00Z',
    });
    await admin({ code: 'ONCEONLY', amountOff: '5', maxRedemptions: 1 });
    // The friend redeems ONCEONLY's one redemption.
    const used = await api<{ charged: string }>(
      'POST',
      '/v1/accounts/acct_friend/top-ups',
      { amount: '10', promotionCode: 'onceonly' },
      friendToken,
    );
    expect(used).toMatchObject({ status: 201, body: { charged: '5' } });

    await page.getByRole('link', { name: 'Top up', exact: true }).click();
    await page.getByRole('heading', { name: 'Top up' }).waitFor();
    await page.getByLabel('Other amount').check();
    await page.getByLabel(/Amount in US dollars/).fill('45.50');
    const field = page.getByLabel('Promotion code');
    const pay = page.getByRole('button', { name: /^Pay/ });

    await field.fill('nope1');
    await page.getByRole('button', { name: 'Apply code' }).click();
    await page.getByText('There is no promotion code NOPE1. Check its spelling.').waitFor();
    expect(await pay.isDisabled()).toBe(true);
    expect(await page.getByTestId('preview').count()).toBe(0);

    await page.getByRole('button', { name: 'Remove code' }).click();
    await field.fill('oldcode');
    await field.press('Enter');
    expect(await text('promo-problem')).toBe(
      'The promotion code OLDCODE has expired (promotion code OLDCODE expired at 2026-02-01T00:00:00.000Z).',
    );
    expect(await pay.isDisabled()).toBe(true);
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('button', { name: 'Remove code' }).click();
    await field.fill('ONCEONLY');
    await page.getByRole('button', { name: 'Apply code' }).click();
    await page.getByText('The promotion code ONCEONLY has been used up').waitFor();
    expect(await pay.isDisabled()).toBe(true);

    await page.getByRole('button', { name: 'Remove code' }).click();
    await field.fill('GR');
    await page.getByRole('button', { name: 'Apply code' }).click();
    await page
      .getByText('A promotion code is 3 to 40 letters, digits, "-" or "_", like SPRING10.')
      .waitFor();
    // Nothing was charged by any of it.
    expect(await balanceTotal()).toBe('16.583');
  });

  it('shows the discount before paying and credits exactly the full amount and its bonus: 15 % off $45.50', async () => {
    const field = page.getByLabel('Promotion code');
    await field.fill('growth15');
    await page.getByRole('button', { name: 'Apply code' }).click();
    await page.getByTestId('preview').waitFor();
    // 15 % of $45.50 is $6.825, rounded down to the whole cent; the bonus is 20 % of $45.50.
    expect(await text('preview')).toBe(
      'Top-up$45.50Discount (GROWTH15)-$6.82You pay$38.68Bonus (20%)+$9.10Credited$54.60',
    );
    expect(await accessibilityProblems(page)).toEqual([]);
    // Another amount is quoted again.
    await page.getByLabel('$100.00').check();
    await eventually('the quote of $100', async () =>
      (await text('preview')).startsWith('Top-up$100.00Discount (GROWTH15)-$15.00You pay$85.00')
        ? true
        : undefined,
    );
    await page.getByLabel('Other amount').check();
    await page.getByLabel(/Amount in US dollars/).fill('45.50');
    await page.getByRole('button', { name: 'Pay $38.68' }).click();

    await page.getByTestId('credited').waitFor({ timeout: 30_000 });
    expect(await text('credited')).toBe(
      'Credited $54.60: $38.68 top-up + $6.82 discount (GROWTH15) + $9.10 bonus.',
    );
    await eventually('the top-up in the balance', async () =>
      (await balanceTotal()) === formatUsd(parseUsd('16.583') + parseUsd('54.60'))
        ? true
        : undefined,
    );
    await page.getByText(`Your total balance is now ${usd(parseUsd('71.183'))}.`).waitFor();

    await page.getByRole('link', { name: 'Transaction history' }).first().click();
    const discount = page.locator('tr[data-type="discount"]');
    await discount.first().waitFor();
    expect(await discount.count()).toBe(1);
    expect(await discount.locator('td.num').textContent()).toBe('$6.82');
    expect(await discount.textContent()).toContain('Discount GROWTH15 on top-up');
    expect(await page.locator('tr[data-type="top_up"]', { hasText: '$38.68' }).count()).toBe(1);
    const referral = page.locator('tr[data-type="referral"]');
    expect(await referral.locator('td.num').textContent()).toBe('$4.583');
    expect(await referral.textContent()).toContain('Referral reward');
  });

  it('lists an AI-insurance claim for a request that failed after it was charged, and not an operator’s grant', async () => {
    const key = await api<{ key: string }>('POST', '/v1/accounts/acct_demo/api-keys', {
      name: 'claims-test',
    });
    expect(key.status).toBe(201);
    const res = await fetch(`${banner.baseUrl}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.body.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sim/echo-1',
        stream: true,
        max_tokens: 64,
        messages: [
          { role: 'user', content: `Tell me a long story ${SIM_BREAK_STREAM_MARKER} please.` },
        ],
      }),
    });
    const requestId = res.headers.get('x-request-id') ?? '';
    expect(requestId).not.toBe('');
    await res.text().catch(() => '');
    // An operator's compensation (a support ticket) is history, not a claim of the policy.
    const grant = await api(
      'POST',
      '/v1/admin/accounts/acct_demo/credits',
      { type: 'compensation', amount: '0.75', reason: 'ticket 42', reference: 'ticket-42' },
      banner.adminToken,
    );
    expect(grant.status).toBe(201);

    const cost = await eventually(
      'the claim in metering',
      async () => {
        const claims = await api<{ data: { amount: string; requestIds: string[] }[] }>(
          'GET',
          '/v1/accounts/acct_demo/claims',
        );
        const claim = claims.body.data.find((c) => c.requestIds.includes(requestId));
        return claim?.amount;
      },
      60_000,
    );
    expect(parseUsd(cost)).toBeGreaterThan(0n);

    await page.getByRole('link', { name: 'Claims', exact: true }).click();
    await page.getByRole('heading', { name: 'AI insurance claims' }).waitFor();
    const claim = page.getByTestId('claim');
    await claim.first().waitFor();
    expect(await claim.count()).toBe(1);
    expect(await claim.getAttribute('data-rule')).toBe('failed_charged');
    expect(await claim.locator('td').nth(0).textContent()).toMatch(
      /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/,
    );
    expect(await claim.locator('td').nth(1).textContent()).toContain('Failed request, charged');
    const requests = (await claim.locator('td').nth(2).textContent()) ?? '';
    // The stream sent its first chunks before it broke: its time to first token is shown too.
    expect(
      requests.startsWith(`${requestId} · sim/echo-1 · failed · cost ${usd(parseUsd(cost))}`),
    ).toBe(true);
    expect(requests).toMatch(/ · first token \d+\.\d{3} s$/);
    expect(await text('claim-amount')).toBe(usd(parseUsd(cost)));
    expect(await accessibilityProblems(page)).toEqual([]);

    // Both compensations are in the history, each once, exactly.
    await eventually('both compensations in the history', async () => {
      await page.goto(`${banner.baseUrl}/transactions`);
      const rows = page.locator('tr[data-type="compensation"]');
      await rows.first().waitFor();
      const amounts = (await rows.locator('td.num').allTextContents()).sort();
      return JSON.stringify(amounts) ===
        JSON.stringify([usd(parseUsd('0.75')), usd(parseUsd(cost))].sort())
        ? true
        : undefined;
    });
  });

  it('fits a phone’s width without sideways scrolling, and stays accessible there', async () => {
    const paths = ['/top-up', '/referrals', '/claims'];
    expect(await atPhoneWidth(context, banner.baseUrl, paths)).toEqual(
      paths.map((path) => ({ path, overflow: 0, accessibility: [] })),
    );
  });
});
