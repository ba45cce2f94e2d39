import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatUsd, parseUsd } from '@billing/money';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { StandaloneProcess, type Banner } from '../../standalone/src/testing/standalone-process.js';
import {
  accessibilityProblems,
  atPhoneWidth,
  eventually,
  launchChromium,
} from './testing/browser.js';

// The console in a real browser (Debian's Chromium, driven by playwright-core) against `npm
// start`'s process on a fresh data folder: a customer signs in from the banner's link, tops up,
// creates and copies a key, calls the gateway with it, and reads every figure back on the pages,
// exactly, to the nano-dollar. axe-core checks each page for serious and critical violations.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** "$1,234.50" as the console writes an amount, computed here on its own from nano-dollars. */
function usd(nanos: bigint): string {
  const [integer = '0', fraction = ''] = formatUsd(nanos < 0n ? -nanos : nanos).split('.');
  return `${nanos < 0n ? '-' : ''}$${integer.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction.padEnd(2, '0')}`;
}

/** The browser's globals that the page functions below use (this file is compiled for Node). */
interface InPage {
  navigator: { clipboard: { readText(): Promise<string>; writeText(text: string): Promise<void> } };
}

describe('the console in Chromium, against npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'console-e2e-'));
  const downloads = mkdtempSync(join(tmpdir(), 'console-downloads-'));
  let running: StandaloneProcess | undefined;
  let banner: Banner;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  /** The key created in the browser, as the clipboard received it. */
  let key = '';
  /** What the one call made with that key cost, as metering recorded it. */
  let cost = 0n;

  const api = async <T>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${banner.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${banner.accountToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  };
  const text = async (testId: string): Promise<string> =>
    ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
  /** Reloads `path` until the element shows `expected` (the figures arrive over the bus). */
  const shows = async (path: string, testId: string, expected: string): Promise<void> => {
    await eventually(`${testId} on ${path} to show ${expected}`, async () => {
      await page.goto(`${banner.baseUrl}${path}`);
      await page.getByTestId(testId).first().waitFor();
      const shown = await text(testId);
      if (shown !== expected) throw new Error(`shows ${shown}`);
      return true;
    });
  };
  /** One completion with the browser's key; what metering recorded it cost, once it has. */
  const chat = async (content: string): Promise<bigint> => {
    const res = await fetch(`${banner.baseUrl}/api/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'sim/echo-1', messages: [{ role: 'user', content }] }),
    });
    expect(res.status).toBe(200);
    const requestId = res.headers.get('x-request-id') ?? '';
    return eventually('the request in the request log', async () => {
      const log = await api<{ data: { requestId: string; cost: string }[] }>(
        'GET',
        '/v1/accounts/acct_demo/requests?limit=100',
      );
      const entry = log.body.data.find((r) => r.requestId === requestId);
      return entry === undefined ? undefined : parseUsd(entry.cost);
    });
  };
  const clipboard = (): Promise<string> =>
    page.evaluate(() => (globalThis as unknown as InPage).navigator.clipboard.readText());

  beforeAll(async () => {
    // `npm start` builds the console first (the prestart script); the process the test starts is
    // main.ts itself, so the same build runs here.
    execFileSync(process.execPath, ['tools/build/console.js', '--if-stale'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    ({ process: running, banner } = await StandaloneProcess.start({ dataDir, timeoutMs: 300_000 }));
    browser = await launchChromium();
    context = await browser.newContext({ acceptDownloads: true });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: banner.baseUrl,
    });
    page = await context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(downloads, { recursive: true, force: true });
  }, 60_000);

  it('signs in from the banner’s link, forgets the code, and shows the demo balances', async () => {
    await page.goto(banner.signInUrl);
    await page.getByRole('heading', { name: 'Billing overview' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    expect(page.url()).not.toContain('code=');
    expect(await text('total')).toBe('$12.00');
    expect(await text('top-up')).toBe('$10.00');
    expect(await text('bonus')).toBe('$2.00');
    expect(await text('held')).toBe('$0.00');
    expect(await text('available')).toBe('$12.00');
    const stored = await page.evaluate(() => Object.values(sessionStorage).join(''));
    expect(stored).toContain('"accountId":"acct_demo"');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('refuses the same link a second time with a 401 in the house shape, in the API and on the page', async () => {
    const code = new URL(banner.signInUrl).searchParams.get('code');
    const replay = await fetch(`${banner.baseUrl}/v1/console/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(replay.status).toBe(401);
    expect(await replay.json()).toEqual({
      error: {
        code: 'CONSOLE.SIGN_IN_CODE_INVALID',
        message: expect.stringContaining('already used') as string,
      },
    });
    const forged = await fetch(`${banner.baseUrl}/v1/console/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'not-a-code-we-issued' }),
    });
    expect(forged.status).toBe(401);

    const other = await context.newPage();
    try {
      await other.goto(banner.signInUrl);
      await other.getByRole('alert').filter({ hasText: 'already used' }).waitFor();
      expect(await other.getByLabel('Account token').isVisible()).toBe(true);
      expect(await accessibilityProblems(other)).toEqual([]);
    } finally {
      await other.close();
    }
  });

  it('shows the bonus of a top-up before paying, from the configured rate, exactly', async () => {
    await page.getByRole('link', { name: 'Top up' }).first().click();
    await page.getByRole('heading', { name: 'Top up' }).waitFor();
    await page.getByLabel('Other amount').check();
    await page.getByLabel(/Amount in US dollars/).fill('33.33');
    expect(await text('preview')).toBe('You pay$33.33Bonus (20%)+$6.666Credited$39.996');
    await page.getByLabel(/Amount in US dollars/).fill('4.99');
    await page.getByText('The smallest top-up is $5.00.').waitFor();
    expect(await page.getByRole('button', { name: /^Pay/ }).isDisabled()).toBe(true);
    await page.getByLabel('$100.00').check();
    expect(await text('preview')).toBe('You pay$100.00Bonus (20%)+$20.00Credited$120.00');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('tops up $100 by card and shows $120 credited, and the balance grows by exactly $120', async () => {
    await page.getByLabel('Card').check();
    await page.getByRole('button', { name: 'Pay $100.00' }).click();
    await page.getByTestId('credited').waitFor({ timeout: 30_000 });
    expect(await text('credited')).toBe('Credited $120.00: $100.00 top-up + $20.00 bonus.');
    await page.getByText('Your total balance is now $132.00.').waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await shows('/', 'total', '$132.00');
    expect(await text('top-up')).toBe('$110.00');
    expect(await text('bonus')).toBe('$22.00');
  });

  it('creates a key, shows it once, and copies the full key to the clipboard', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Key name').fill('browser-test');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByTestId('new-key').waitFor();
    const shown = await text('new-key');
    expect(shown).toMatch(/^sk-payg-/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await page.getByText('Copied the full key of browser-test to the clipboard.').waitFor();
    key = await clipboard();
    expect(key).toBe(shown);
    const row = page.locator('tr', { hasText: 'browser-test' });
    const prefix = ((await row.locator('code').textContent()) ?? '').replace(/…$/, '');
    expect(prefix.length).toBeGreaterThan(8);
    expect(key.startsWith(prefix)).toBe(true);
    expect(await accessibilityProblems(page)).toEqual([]);

    // Done: the full key is not on the page any more.
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByTestId('new-key').count()).toBe(0);
  });

  it('calls the gateway with the copied key, and the keys table shows what it used, to the nano-dollar', async () => {
    cost = await chat('Bill me, exactly.');
    expect(cost).toBeGreaterThan(0n);
    await eventually('the charge in the ledger', async () => {
      const b = await api<{ total: string; held: string }>('GET', '/v1/accounts/acct_demo/balance');
      return b.body.held === '0' && parseUsd(b.body.total) === parseUsd('132') - cost
        ? true
        : undefined;
    });

    await eventually('the key’s usage in the table', async () => {
      await page.goto(`${banner.baseUrl}/keys`);
      const used = page.locator('tr', { hasText: 'browser-test' }).getByTestId('used');
      await used.waitFor();
      return (await used.textContent()) === usd(cost) ? true : undefined;
    });
    const row = page.locator('tr', { hasText: 'browser-test' });
    expect(await row.locator('td').nth(4).textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
  });

  it('reveals and copies the key again later, from the table', async () => {
    await page.evaluate(() => (globalThis as unknown as InPage).navigator.clipboard.writeText(''));
    await page.getByRole('button', { name: 'Copy the full key of browser-test' }).click();
    await page.getByText('Copied the full key of browser-test to the clipboard.').waitFor();
    expect(await clipboard()).toBe(key);
  });

  it('opens the key’s details from the table: its fields, the request it made at its exact cost, and the charge explained down to the lot it drew from', async () => {
    await page.goto(`${banner.baseUrl}/keys`);
    await page.getByRole('link', { name: /^Details of browser-test/ }).click();
    await page.getByRole('heading', { name: 'API key browser-test' }).waitFor();
    const keyPath = new URL(page.url()).pathname;
    expect(keyPath).toMatch(/^\/keys\/[^/]+$/);
    expect(await text('key-used')).toBe(usd(cost));
    expect(await text('key-expires')).toBe('Never');
    expect(await text('key-daily-limit')).toBe('No limit');
    expect(await text('key-monthly-limit')).toBe('No limit');

    // The one request made with the key, from metering's log, at what it was charged.
    const requests = page.locator('tr[data-request-id]');
    await requests.first().waitFor();
    expect(await requests.count()).toBe(1);
    const requestId = (await requests.getAttribute('data-request-id')) ?? '';
    expect(await requests.getByTestId('request-cost').textContent()).toBe(usd(cost));
    expect(await requests.textContent()).toContain('sim/echo-1');
    expect(await requests.textContent()).toContain('Succeeded');
    expect(await page.getByRole('button', { name: 'Older' }).isDisabled()).toBe(true);

    // "Explain this charge": tokens by kind at the catalog's prices ($1 and $2 per million for
    // sim/echo-1) add up to the cost, which was drawn from the bonus (spent before top-ups).
    const explain = page.getByRole('button', {
      name: `Explain the charge of request ${requestId}`,
    });
    expect(await explain.getAttribute('aria-expanded')).toBe('false');
    await explain.click();
    const explanation = page.getByTestId('explanation');
    await explanation.waitFor();
    expect(await explain.getAttribute('aria-expanded')).toBe('true');
    expect(await explanation.textContent()).toContain(requestId);
    expect(await text('explained-cost')).toBe(usd(cost));
    const line = async (kind: string): Promise<{ tokens: bigint; price: string }> => {
      const cells = explanation
        .locator('tr', { has: page.getByRole('rowheader', { name: kind, exact: true }) })
        .locator('td');
      return {
        tokens: BigInt(((await cells.nth(0).textContent()) ?? '').replaceAll(',', '')),
        price: (await cells.nth(1).textContent()) ?? '',
      };
    };
    const input = await line('Input');
    const output = await line('Output');
    expect([input.price, output.price]).toEqual(['$1.00', '$2.00']);
    expect(input.tokens * 1_000n + output.tokens * 2_000n).toBe(cost);
    const draws = explanation.getByTestId('draw');
    expect(await draws.count()).toBe(1);
    expect(await draws.locator('td').allTextContents()).toEqual(['Bonus', usd(cost)]);
    expect(await accessibilityProblems(page)).toEqual([]);

    // At a phone's width, with the charge open, nothing scrolls sideways.
    await page.setViewportSize({ width: 375, height: 740 });
    try {
      const overflow = await page.evaluate(() => {
        const { documentElement } = (
          globalThis as unknown as {
            document: { documentElement: { scrollWidth: number; clientWidth: number } };
          }
        ).document;
        return documentElement.scrollWidth - documentElement.clientWidth;
      });
      expect(overflow).toBe(0);
      expect(await accessibilityProblems(page)).toEqual([]);
    } finally {
      await page.setViewportSize({ width: 1280, height: 720 });
    }
    expect(await atPhoneWidth(context, banner.baseUrl, [keyPath])).toEqual([
      { path: keyPath, overflow: 0, accessibility: [] },
    ]);

    // A key that is not the account's (or no key at all) is a refusal on the page, not a crash.
    await page.goto(`${banner.baseUrl}/keys/key_not_mine`);
    await page.getByRole('alert').waitFor();
    expect(await page.locator('tr[data-request-id]').count()).toBe(0);
  });

  it('shows that the bonus was spent first: top-up credits untouched, bonus credits less the cost', async () => {
    await shows('/', 'total', usd(parseUsd('132') - cost));
    expect(await text('top-up')).toBe('$110.00');
    expect(await text('bonus')).toBe(usd(parseUsd('22') - cost));
    expect(await text('available')).toBe(usd(parseUsd('132') - cost));

    await page.getByRole('link', { name: 'Credits breakdown', exact: true }).click();
    await page.getByTestId('credits-usage').waitFor();
    const amount = async (id: string): Promise<string> =>
      ((await page.getByTestId(`credits-${id}`).locator('td.num').textContent()) ?? '').trim();
    expect(await amount('topUps')).toBe('$110.00');
    expect(await amount('bonuses')).toBe('$22.00');
    expect(await amount('gifts')).toBe('$0.00');
    expect(await amount('referrals')).toBe('$0.00');
    expect(await amount('compensations')).toBe('$0.00');
    expect(await amount('adjustments')).toBe('$0.00');
    expect(await amount('expired')).toBe('$0.00');
    expect(await amount('usage')).toBe(usd(cost));
    expect(await amount('totalBalance')).toBe(usd(parseUsd('132') - cost));
    await page.getByText(/^As of \d{4}-\d\d-\d\d \d\d:\d\d UTC$/).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    // As of the end of yesterday (UTC), before this account had any credit.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('As of the end of (UTC)').fill(yesterday);
    await page.getByText(`As of ${yesterday} 23:59 UTC`).waitFor();
    expect(await amount('topUps')).toBe('$0.00');
    expect(await amount('totalBalance')).toBe('$0.00');
  });

  it('lists the usage charge and the top-ups in the history, and downloads the $100 invoice as a PDF with the right amounts', async () => {
    await page.getByRole('link', { name: 'Transaction history' }).click();
    const usage = page.locator('tr[data-type="usage"]');
    await usage.first().waitFor();
    expect(await usage.locator('td.num').textContent()).toBe(usd(-cost));
    expect(await usage.textContent()).toContain('(1 request)');
    const topUp = page.locator('tr[data-type="top_up"]', { hasText: '$100.00' });
    expect(await topUp.textContent()).toContain('Top-up · Card');
    expect(await page.locator('tr[data-type="bonus"]', { hasText: '$20.00' }).count()).toBe(1);
    expect(await accessibilityProblems(page)).toEqual([]);

    const [invoice] = await Promise.all([
      page.waitForEvent('download'),
      topUp.getByRole('button', { name: 'Download invoice (PDF)' }).click(),
    ]);
    const file = join(downloads, 'invoice.pdf');
    await invoice.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    expect(execFileSync('pdfinfo', [file], { encoding: 'utf8' })).toMatch(/Pages:\s+1/);
    const pdf = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    for (const expected of ['acct_demo', '100.00', '20.00', '120.00', 'Status: Paid']) {
      expect(pdf).toContain(expected);
    }

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV (this page)' }).click(),
    ]);
    const csvFile = join(downloads, 'transactions.csv');
    await csv.saveAs(csvFile);
    const lines = readFileSync(csvFile, 'utf8').trimEnd().split('\r\n');
    expect(lines[0]).toBe('date,type,method,amount_usd,description,invoice_id,api_key_id,requests');
    expect(lines.filter((l) => l.includes(',usage,'))).toEqual([
      expect.stringContaining(`,usage,,${formatUsd(-cost)},`) as string,
    ]);
    expect(lines.filter((l) => /,top_up,card,100,/.test(l))).toHaveLength(1);
    // What is on screen, no more: one line per row.
    expect(lines).toHaveLength(1 + (await page.locator('tbody tr').count()));
  });

  it('filters the history on the server: to one type, to a range of UTC days, and exports what the filter shows', async () => {
    await page.goto(`${banner.baseUrl}/transactions`);
    const rows = page.locator('tbody tr');
    await rows.first().waitFor();
    const types = (): Promise<string[]> =>
      rows.evaluateAll((trs) =>
        trs.map((tr) => (tr as unknown as { dataset: { type: string } }).dataset.type),
      );
    const amounts = (): Promise<string[]> => rows.locator('td.num').allTextContents();
    /** Waits until the table shows exactly these [type, amount] rows. */
    const showsRows = async (expected: [string, string][]): Promise<void> => {
      await eventually(
        `the rows ${JSON.stringify(expected)}`,
        async () => {
          const [t, a] = [await types(), await amounts()];
          return JSON.stringify(t.map((type, i) => [type, a[i]])) === JSON.stringify(expected)
            ? true
            : undefined;
        },
        10_000,
      );
    };

    // One type: the rows of the bonus type, as the ledger lists them with that filter.
    const bonuses = await api<{ data: { amount: string }[] }>(
      'GET',
      '/v1/accounts/acct_demo/transactions?type=bonus&limit=20',
    );
    expect(bonuses.body.data.map((r) => r.amount)).toContain('20');
    await page.getByLabel('Type').selectOption('bonus');
    await showsRows(bonuses.body.data.map((r) => ['bonus', usd(parseUsd(r.amount))]));
    expect(await accessibilityProblems(page)).toEqual([]);

    // Usage, today (UTC): the one charge, exactly.
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Type').selectOption('usage');
    await page.getByLabel('From (UTC day)').fill(today);
    await page.getByLabel('To (UTC day, included)').fill(today);
    await showsRows([['usage', usd(-cost)]]);
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV (this page)' }).click(),
    ]);
    const csvFile = join(downloads, 'usage.csv');
    await csv.saveAs(csvFile);
    const lines = readFileSync(csvFile, 'utf8').trimEnd().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,usage,,${formatUsd(-cost)},`);

    // Nothing happened tomorrow; a range that ends before it starts is refused on the page.
    await page.getByLabel('From (UTC day)').fill(tomorrow);
    await page.getByLabel('To (UTC day, included)').fill('');
    await page.getByText('No transactions match these filters.').waitFor();
    await page.getByLabel('To (UTC day, included)').fill(yesterday);
    await page
      .getByRole('alert')
      .filter({ hasText: 'The first day must not be after the last day.' })
      .waitFor();
    expect(await rows.count()).toBe(0);

    await page.getByRole('button', { name: 'Clear filters' }).click();
    await eventually('every type again', async () =>
      (await types()).includes('top_up') && (await types()).includes('usage') ? true : undefined,
    );
    expect(await page.getByRole('button', { name: 'Clear filters' }).isDisabled()).toBe(true);
  });

  it('shows the call in the usage chart and its table, by day, by model and by key, to the nano-dollar', async () => {
    await page.getByRole('link', { name: 'Usage', exact: true }).click();
    const today = new Date().toISOString().slice(0, 10);
    await page.getByTestId('usage-total').waitFor();
    const total = await text('usage-total');
    expect(total.startsWith(`${usd(cost)} over 1 request, `)).toBe(true);
    expect(total.endsWith(` to ${today}`)).toBe(true);
    const rows = page.getByTestId('usage-row');
    expect(await rows.count()).toBe(1);
    expect(await rows.locator('th').textContent()).toBe(today);
    expect(await rows.locator('td').last().textContent()).toBe(usd(cost));
    expect(await page.locator('svg[role="img"] rect title').allTextContents()).toContain(
      `${today}: ${usd(cost)}`,
    );
    expect(await accessibilityProblems(page)).toEqual([]);

    await page.getByLabel('Group by').selectOption('model');
    await rows.filter({ hasText: 'sim/echo-1' }).waitFor();
    expect(await rows.locator('td').last().textContent()).toBe(usd(cost));
    await page.getByLabel('Group by').selectOption('apiKey');
    await rows.filter({ hasText: 'browser-test' }).waitFor();
    expect(await rows.locator('td').last().textContent()).toBe(usd(cost));
  });

  it('links a card and saves an auto top-up that charges it once the balance is below the threshold, with its bonus', async () => {
    await page.getByRole('link', { name: 'Auto top-up', exact: true }).click();
    await page.getByText('No card linked yet.').waitFor();
    await page.getByRole('button', { name: 'Link a card' }).click();
    const card = page.getByTestId('card');
    await card.waitFor();
    expect(await card.textContent()).toMatch(/ending \d{4}/);

    await page.getByLabel('Top up automatically').check();
    await page.getByLabel('When the balance falls below (USD)').fill('150');
    await page.getByLabel('Top up this amount (USD)').fill('50');
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByText('Saved: $50.00 is charged whenever the balance falls below $150.00.')
      .waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    // The balance (131.99...) is already below $150: the next change of it (a call) charges the
    // card once, $50 and its $10 bonus, which lifts it above the threshold.
    const spent = cost + (await chat('Below the threshold now.'));
    await shows('/', 'total', usd(parseUsd('192') - spent));
    expect(await text('top-up')).toBe('$160.00');
    expect(await text('bonus')).toBe(usd(parseUsd('32') - spent));
    await page.goto(`${banner.baseUrl}/transactions`);
    const auto = page.locator('tr[data-type="top_up"]', { hasText: 'Auto top-up via card' });
    await auto.waitFor();
    expect(await auto.locator('td.num').textContent()).toBe('$50.00');

    await page.goto(`${banner.baseUrl}/auto-top-up`);
    await card.filter({ hasText: 'charged by auto top-up' }).waitFor();
    await page.getByLabel('Top up automatically').uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved: auto top-up is off.').waitFor();
    const config = await api<{ enabled: boolean; threshold: string; amount: string }>(
      'GET',
      '/v1/accounts/acct_demo/auto-top-up',
    );
    expect(config.body).toMatchObject({ enabled: false, threshold: '150', amount: '50' });
  });

  it('sets a daily spend limit on a key (the gateway then refuses a request that could pass it with 402 key_spend_limit_reached) and removes it again', async () => {
    await page.goto(`${banner.baseUrl}/keys`);
    await page.getByRole('button', { name: 'Spend limits of browser-test' }).click();
    await page.getByLabel('Daily limit of browser-test (USD, per UTC day)').fill('0.000001');
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Save limits' }).click();
    const row = page.locator('tr', { hasText: 'browser-test' });
    expect(await row.getByTestId('daily-limit').textContent()).toBe('Limit $0.000001 a day');
    const complete = async (): Promise<{ status: number; code: string | null }> => {
      const res = await fetch(`${banner.baseUrl}/api/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'sim/echo-1', messages: [{ role: 'user', content: 'hi' }] }),
      });
      const body = (await res.json()) as { error?: { code: string | null } };
      return { status: res.status, code: body.error?.code ?? null };
    };
    await eventually('the gateway to refuse the key for its limit', async () => {
      const answer = await complete();
      return answer.code === 'key_spend_limit_reached' && answer.status === 402 ? true : undefined;
    });

    await page.getByRole('button', { name: 'Spend limits of browser-test' }).click();
    await page.getByLabel('Daily limit of browser-test (USD, per UTC day)').fill('');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await eventually('the limit to leave the table', async () =>
      (await row.getByTestId('daily-limit').count()) === 0 ? true : undefined,
    );
    await eventually('the gateway to accept the key again', async () =>
      (await complete()).status === 200 ? true : undefined,
    );
  });

  it('renames, disables (the gateway then refuses the key), enables and deletes a key after a confirmation', async () => {
    await page.goto(`${banner.baseUrl}/keys`);
    await page.getByRole('button', { name: 'Rename browser-test' }).click();
    await page.getByLabel('New name for browser-test').fill('browser-renamed');
    await page.getByRole('button', { name: 'Save' }).click();
    const row = page.locator('tr', { hasText: 'browser-renamed' });
    await row.waitFor();

    await page.getByRole('button', { name: 'Disable browser-renamed' }).click();
    await row.getByText('Disabled').waitFor();
    const call = (): Promise<number> =>
      fetch(`${banner.baseUrl}/api/v1/models`, {
        headers: { authorization: `Bearer ${key}` },
      }).then((r) => r.status);
    await eventually('the gateway to refuse the disabled key', async () =>
      (await call()) === 401 ? true : undefined,
    );
    await page.getByRole('button', { name: 'Enable browser-renamed' }).click();
    await row.getByText('Enabled').waitFor();
    await eventually('the gateway to accept the key again', async () =>
      (await call()) === 200 ? true : undefined,
    );

    await page.getByRole('button', { name: 'Delete browser-renamed' }).click();
    await page.getByRole('alert').filter({ hasText: 'Delete browser-renamed?' }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await page.getByRole('button', { name: 'Delete browser-renamed', exact: true }).last().click();
    await eventually('the row to go', async () => ((await row.count()) === 0 ? true : undefined));
    await eventually('the gateway to refuse the deleted key', async () =>
      (await call()) === 401 ? true : undefined,
    );
  });

  it('fits a phone’s width without sideways scrolling, and stays accessible there', async () => {
    const paths = ['/', '/top-up', '/auto-top-up', '/keys', '/credits', '/transactions', '/usage'];
    expect(await atPhoneWidth(context, banner.baseUrl, paths)).toEqual(
      paths.map((path) => ({ path, overflow: 0, accessibility: [] })),
    );
  });

  it('loads less than 250 KB of compressed JavaScript on the first page', async () => {
    const html = await (await fetch(`${banner.baseUrl}/`)).text();
    const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    let bytes = 0;
    for (const script of scripts) {
      const res = await fetch(`${banner.baseUrl}${script}`, {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(res.headers.get('content-encoding')).toBe('gzip');
      bytes += Number(res.headers.get('content-length'));
    }
    writeFileSync(join(downloads, 'size.txt'), String(bytes));
    process.stdout.write(`console first-load JavaScript: ${bytes} bytes gzip\n`);
    expect(bytes).toBeLessThan(250 * 1024);
  });
});
