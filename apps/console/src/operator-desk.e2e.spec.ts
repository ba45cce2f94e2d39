import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { StandaloneProcess, type Banner } from '../../standalone/src/testing/standalone-process.js';
import {
  accessibilityProblems,
  atPhoneWidth,
  eventually,
  launchChromium,
} from './testing/browser.js';

// The operator's desk in a real browser (Debian's Chromium) against `npm start`'s process on a
// fresh data folder: the admin signs in from the banner's "Operator desk" link, grants the demo
// account a compensation with a claim reference and sees it in the balances, then reads the
// account's hash chain and has the ledger verify it, then verifies the projections from the page
// and follows the run to its end; the auditor signs in from its own link, sees the same figures
// without the verify button, and is refused the same grant, by the server (403 AUTH.READ_ONLY)
// and visibly on the page.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe("the operator's desk in Chromium, against npm start", () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'operator-desk-e2e-'));
  let running: StandaloneProcess | undefined;
  let banner: Banner;
  let browser: Browser | undefined;
  let page: Page;

  /** A call to the API with an operator's token, as a script would make it. */
  const api = async <T>(
    token: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${banner.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as T };
  };
  const text = async (p: Page, testId: string): Promise<string> =>
    ((await p.getByTestId(testId).first().textContent()) ?? '').trim();
  const creditAmount = async (p: Page, id: string): Promise<string> =>
    ((await p.getByTestId(`credits-${id}`).locator('td.num').textContent()) ?? '').trim();

  beforeAll(async () => {
    execFileSync(process.execPath, ['tools/build/console.js', '--if-stale'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    // A shared CI machine can take minutes to start PGlite: the start gets its own, longer limit.
    ({ process: running, banner } = await StandaloneProcess.start({ dataDir, timeoutMs: 300_000 }));
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('signs the admin in from the banner’s Operator desk link, and forgets the code', async () => {
    await page.goto(banner.operatorSignInUrl);
    await page.getByRole('heading', { name: 'Find an account' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/operator');
    expect(page.url()).not.toContain('code=');
    expect(await text(page, 'role')).toBe('Admin');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('finds the demo account and shows its balances and credits breakdown', async () => {
    await page.getByLabel('Account id').fill('acct_demo');
    await page.getByRole('button', { name: 'Open' }).click();
    await page.getByRole('heading', { name: 'Account acct_demo' }).waitFor();
    await page.getByTestId('total').waitFor();
    expect(await text(page, 'total')).toBe('$12.00');
    expect(await text(page, 'top-up')).toBe('$10.00');
    expect(await text(page, 'bonus')).toBe('$2.00');
    expect(await creditAmount(page, 'topUps')).toBe('$10.00');
    expect(await creditAmount(page, 'compensations')).toBe('$0.00');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('grants a compensation with a claim reference, and the balances show it once the ledger has it', async () => {
    await page.getByLabel('Kind').selectOption('compensation');
    await page.getByLabel(/^Amount in US dollars/).fill('7.5');
    await page.getByLabel('Reason').fill('Gateway outage of 2026-12-06');
    await page.getByLabel('Claim reference').fill('claim-4711');
    await page.getByRole('button', { name: 'Grant compensation' }).click();
    await page.getByTestId('granted').waitFor();
    expect(await text(page, 'granted')).toMatch(
      /^Granted \$7\.50 \(compensation, claim claim-4711\) as \S+\.$/,
    );
    await eventually('the compensation in the balances', async () =>
      (await text(page, 'total')) === '$19.50' ? true : undefined,
    );
    expect(await text(page, 'bonus')).toBe('$9.50');
    expect(await text(page, 'top-up')).toBe('$10.00');
    await eventually('the compensation in the breakdown', async () =>
      (await creditAmount(page, 'compensations')) === '$7.50' ? true : undefined,
    );
    // The server's own figures, not the page's.
    const balance = await api<{ total: string; bonusAndCompensation: string }>(
      banner.adminToken,
      'GET',
      '/v1/accounts/acct_demo/balance',
    );
    expect(balance.body).toMatchObject({ total: '19.5', bonusAndCompensation: '9.5' });
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('shows the account’s events chained hash to previous hash, and the ledger verifies the chain', async () => {
    await page.getByRole('link', { name: 'Event history' }).click();
    await page.getByRole('heading', { name: 'Events of acct_demo' }).waitFor();
    const events = page.getByTestId('event');
    // The balances already showed the compensation: the ledger's stream holds it (the demo's
    // top-up and its bonus before it).
    await events.first().waitFor();
    const hashes = await page.locator('.timeline code.hash').allTextContents();
    // Each event shows its hash then its previous hash: the previous of one is the hash before it.
    expect(hashes.length).toBe(2 * (await events.count()));
    expect(hashes.length).toBeGreaterThanOrEqual(6);
    for (let i = 2; i < hashes.length; i += 2) expect(hashes[i + 1]).toBe(hashes[i - 2]);
    expect(hashes[0]).toMatch(/^[0-9a-f]{64}$/);

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByTestId('verification').waitFor();
    const headHash = hashes[hashes.length - 2] ?? '';
    expect(await text(page, 'verification')).toBe(
      `Chain verified: ${hashes.length / 2} events, head hash ${headHash}.`,
    );
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('pages through the global log from a position cursor', async () => {
    await page.getByRole('link', { name: 'Global log' }).click();
    await page.getByRole('heading', { name: 'Global log' }).waitFor();
    const rows = page.getByTestId('log-row');
    await rows.first().waitFor();
    expect(await text(page, 'cursor')).toBe('From the beginning of the log.');
    const all = await rows.count();
    expect(all).toBeGreaterThanOrEqual(3);
    expect(await accessibilityProblems(page)).toEqual([]);

    // The log after the first page's first event: every row but that one.
    const log = await api<{ data: { position: string }[]; nextCursor: string }>(
      banner.adminToken,
      'GET',
      '/v1/audit/events?limit=1',
    );
    await page.getByLabel('Start after cursor').fill(log.body.nextCursor);
    await page.getByRole('button', { name: 'Go' }).click();
    await page.getByText(`After cursor ${log.body.nextCursor}.`).waitFor();
    await eventually('the page after the cursor', async () =>
      (await rows.count()) === all - 1 ? true : undefined,
    );
    expect(await rows.first().locator('td').first().textContent()).not.toBe(
      log.body.data[0]?.position,
    );
  });

  it('says what exists for projections and dead letters, accessibly', async () => {
    await page.getByRole('link', { name: 'Projections & DLQ' }).click();
    await page.getByRole('heading', { name: 'Projections & dead letters' }).waitFor();
    const rows = page.getByTestId('projection-row');
    await rows.first().waitFor();
    // A fresh data folder: no projection was ever rebuilt or verified.
    expect(await rows.count()).toBe(6);
    expect(await rows.first().locator('td').allTextContents()).toEqual([
      'Never',
      '—',
      'Never',
      '—',
    ]);
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('starts a verify of the projections from the page and shows it to its end, with the ledger’s figures', async () => {
    const started = page.waitForResponse(
      (r) => r.url().endsWith('/v1/admin/projections/verify') && r.request().method() === 'POST',
    );
    // By keyboard, as an operator without a mouse would.
    await page.getByRole('button', { name: 'Verify projections' }).focus();
    await page.keyboard.press('Enter');
    const response = await started;
    expect(response.status()).toBe(202);
    const { runId } = (await response.json()) as { runId: string };
    await page.getByTestId('verify-result').waitFor({ timeout: 60_000 });

    // The page says what the ledger recorded for that run, to the event.
    const run = await api<{
      status: string;
      startedBy: string;
      summary: { kind: string; events: number; accounts: number; differences: number };
    }>(banner.adminToken, 'GET', `/v1/admin/projections/runs/${runId}`);
    expect(run.body).toMatchObject({
      status: 'ok',
      startedBy: 'admin',
      summary: { kind: 'verify', differences: 0 },
    });
    const { events, accounts } = run.body.summary;
    expect(events).toBeGreaterThanOrEqual(3);
    expect(accounts).toBeGreaterThanOrEqual(1);
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    expect(await text(page, 'verify-result')).toBe(
      `Verified: the projections match the event log (${plural(events, 'event')}, ${plural(accounts, 'account')}).`,
    );
    // Every projection now shows it as its last verify, started from the desk.
    await eventually('the table to show the verify', async () => {
      const cells = await page
        .getByTestId('projection-row')
        .locator('td:nth-child(5)')
        .allTextContents();
      return cells.length === 6 &&
        cells.every((c) => c === `OK: ${plural(events, 'event')}, ${plural(accounts, 'account')}`)
        ? true
        : undefined;
    });
    expect(
      await page.getByTestId('projection-row').first().locator('td:nth-child(4)').textContent(),
    ).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC \(desk\)$/);
    expect(await page.getByRole('button', { name: 'Verify projections' }).isEnabled()).toBe(true);
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('fits a phone’s width without sideways scrolling on every operator page, and stays accessible there', async () => {
    const paths = [
      '/operator',
      '/operator/accounts/acct_demo',
      '/operator/accounts/acct_demo/events',
      '/operator/log',
      '/operator/operations',
    ];
    expect(await atPhoneWidth(page.context(), banner.baseUrl, paths)).toEqual(
      paths.map((path) => ({ path, overflow: 0, accessibility: [] })),
    );
  });

  it('lets the auditor read everything and refuses its grant: the server answers 403 and the page shows it', async () => {
    const auditor = await browser!.newContext().then((c) => c.newPage());
    await auditor.goto(banner.auditorSignInUrl);
    await auditor.getByRole('heading', { name: 'Find an account' }).waitFor();
    expect(await text(auditor, 'role')).toBe('Auditor (read-only)');
    await auditor.getByLabel('Account id').fill('acct_demo');
    await auditor.getByRole('button', { name: 'Open' }).click();
    await auditor.getByTestId('total').waitFor();
    expect(await text(auditor, 'total')).toBe('$19.50');

    const refused = auditor.waitForResponse(
      (r) =>
        r.url().endsWith('/v1/admin/accounts/acct_demo/credits') && r.request().method() === 'POST',
    );
    await auditor.getByLabel(/^Amount in US dollars/).fill('1000');
    await auditor.getByLabel('Reason').fill('Trying my luck');
    await auditor.getByLabel('Claim reference').fill('claim-666');
    await auditor.getByRole('button', { name: 'Grant compensation' }).click();
    const response = await refused;
    expect(response.status()).toBe(403);
    expect(await response.json()).toEqual({
      error: { code: 'AUTH.READ_ONLY', message: expect.any(String) as string },
    });
    await auditor.getByRole('alert').filter({ hasText: 'AUTH.READ_ONLY' }).waitFor();
    expect(await auditor.getByTestId('granted').count()).toBe(0);
    expect(await accessibilityProblems(auditor)).toEqual([]);

    // Straight to the API with the auditor's token: refused too; nothing was granted.
    const direct = await api<{ error: { code: string } }>(
      banner.auditorToken,
      'POST',
      '/v1/admin/accounts/acct_demo/credits',
      { type: 'gift', amount: '1000', reason: 'x', reference: 'auditor-direct' },
    );
    expect([direct.status, direct.body.error.code]).toEqual([403, 'AUTH.READ_ONLY']);
    const balance = await api<{ total: string }>(
      banner.adminToken,
      'GET',
      '/v1/accounts/acct_demo/balance',
    );
    expect(balance.body.total).toBe('19.5');

    // Reading is the auditor's to do: the chain verifies for it as well.
    await auditor.getByRole('link', { name: 'Event history' }).click();
    await auditor.getByRole('button', { name: 'Verify chain' }).click();
    await auditor.getByText(/^Chain verified: \d+ events/).waitFor();

    // The projections' figures too, but no button to start a verify; the ledger refuses it anyway.
    await auditor.getByRole('link', { name: 'Projections & DLQ' }).click();
    await auditor.getByTestId('projection-row').first().waitFor();
    expect(
      await auditor.getByTestId('projection-row').first().locator('td:nth-child(5)').textContent(),
    ).toMatch(/^OK: \d+ events, \d+ accounts?$/);
    expect(await auditor.getByRole('button', { name: 'Verify projections' }).count()).toBe(0);
    await auditor
      .getByText('Signed in read-only: starting a verify needs the admin token.')
      .waitFor();
    expect(await accessibilityProblems(auditor)).toEqual([]);
    const verify = await api<{ error: { code: string } }>(
      banner.auditorToken,
      'POST',
      '/v1/admin/projections/verify',
    );
    expect([verify.status, verify.body.error.code]).toEqual([403, 'AUTH.READ_ONLY']);
    await auditor.context().close();
  });

  it('refuses an operator link used twice', async () => {
    const code = new URL(banner.auditorSignInUrl).searchParams.get('code');
    const again = await fetch(`${banner.baseUrl}/v1/console/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code }),
    });
    expect(again.status).toBe(401);
  });
});
