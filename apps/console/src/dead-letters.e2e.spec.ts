import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { publishAsService, serviceEvent } from '../../standalone/src/testing/standalone-outbox.js';
import { StandaloneProcess, type Banner } from '../../standalone/src/testing/standalone-process.js';
import {
  accessibilityProblems,
  atPhoneWidth,
  eventually,
  launchChromium,
} from './testing/browser.js';

// The dead-letter desk (docs/adr/015) in a real browser against `npm start`'s process on a fresh
// data folder. A refund arrives before its top-up (written to payments' outbox as payments would
// write it: no HTTP route makes one), so the ledger's real consumer dead-letters it with
// LEDGER.TOP_UP_NOT_FOUND. The admin finds it on the page with its reason, and a replay is refused
// while the cause stands; the auditor sees it and no Replay button; once the top-up has arrived the
// admin replays it from the page and the balance is exactly the top-up less the refund, once. The
// page is reached from the navigation and from the operations page, and is accessible at desktop
// and phone width.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVICES = ['metering', 'ledger', 'keys', 'payments'] as const;
const ACCOUNT = 'acct_dead_letter_e2e';

describe('the dead-letter desk in Chromium, against npm start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dead-letters-e2e-'));
  let running: StandaloneProcess | undefined;
  let banner: Banner;
  let browser: Browser | undefined;
  let page: Page;

  const api = async <T>(
    token: string,
    method: string,
    path: string,
  ): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${banner.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    execFileSync(process.execPath, ['tools/build/console.js', '--if-stale'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    ({ process: running, banner } = await StandaloneProcess.start({ dataDir, timeoutMs: 300_000 }));
    browser = await launchChromium();
    page = await (await browser.newContext()).newPage();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('answers every service’s desk through the one origin: the auditor reads, may not replay', async () => {
    for (const service of SERVICES) {
      const listed = await api<{ service: string; data: unknown[]; nextCursor: null }>(
        banner.auditorToken,
        'GET',
        `/v1/admin/dead-letters/${service}`,
      );
      expect(listed).toEqual({
        status: 200,
        body: { service, data: [], nextCursor: null, counts: [] },
      });
    }
    const refused = await api<{ error: { code: string } }>(
      banner.auditorToken,
      'POST',
      '/v1/admin/dead-letters/ledger/1/replay',
    );
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('AUTH.READ_ONLY');
    const unknown = await api<{ error: { code: string } }>(
      banner.adminToken,
      'POST',
      '/v1/admin/dead-letters/ledger/1/replay',
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('DEAD_LETTERS.NOT_FOUND');
    expect((await api(banner.adminToken, 'GET', '/v1/admin/dead-letters/gateway')).status).toBe(
      404,
    );
  });

  it('shows the admin every service with nothing waiting, reached from the navigation, accessibly', async () => {
    await page.goto(banner.operatorSignInUrl);
    await page.getByRole('heading', { name: 'Find an account' }).waitFor();
    await page.getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
    await page.getByTestId('no-dead-letters').waitFor();
    const counts = page.getByTestId('dead-letter-count');
    const expected = SERVICES.map((service) => `${service}No dead letters.`);
    await eventually('every service’s count', async () => {
      const rows = await counts.allTextContents();
      return rows.join('|') === expected.join('|') ? rows : undefined;
    });
    expect(await page.getByRole('button', { name: 'Replay' }).count()).toBe(0);
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('lists the refund the ledger could not apply, with its reason, and refuses to replay it while the top-up is missing', async () => {
    await publishAsService(dataDir, 'payments', 'payments.v1', [
      serviceEvent('payments', 'TopUpRefunded', ACCOUNT, {
        topUpId: 'tu_e2e',
        amount: '4',
        refundReference: 're_e2e',
      }),
    ]);
    await page.getByLabel('Service').selectOption('ledger');
    const row = page.getByTestId('dead-letter').filter({ hasText: ACCOUNT });
    await eventually('the dead letter on the page', async () =>
      (await row.count()) === 1 ? true : undefined,
    );
    expect(await row.getByTestId('dead-letter-reason').textContent()).toMatch(
      /^handler_failed.*LEDGER\.TOP_UP_NOT_FOUND/,
    );
    expect(await row.textContent()).toContain('TopUpRefunded');
    // The counts refresh on their own (every 5 s).
    const ledger = page.getByTestId('dead-letter-count').filter({ hasText: 'payments.v1' });
    await eventually('the count of the ledger', async () =>
      (await ledger.locator('td.num').allTextContents()).join(',') === '1,0' ? true : undefined,
    );
    await row.getByRole('button', { name: 'Replay' }).click();
    await row.getByRole('button', { name: 'Confirm replay' }).click();
    await row.getByRole('alert').waitFor();
    expect(await row.getByRole('alert').textContent()).toContain('DEAD_LETTERS.STILL_REFUSED');
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('shows the auditor the dead letter and no Replay button', async () => {
    const auditor = await browser!.newContext().then((c) => c.newPage());
    await auditor.goto(banner.auditorSignInUrl);
    await auditor.getByRole('heading', { name: 'Find an account' }).waitFor();
    await auditor.getByRole('link', { name: 'Dead letters' }).click();
    await auditor.getByLabel('Service').selectOption('ledger');
    const row = auditor.getByTestId('dead-letter').filter({ hasText: ACCOUNT });
    await row.waitFor();
    expect(await row.textContent()).toContain('Waiting');
    expect(await auditor.getByRole('button', { name: 'Replay' }).count()).toBe(0);
    expect(await accessibilityProblems(auditor)).toEqual([]);
    await auditor.context().close();
  });

  it('replays it once the top-up has arrived: $10 less the $4 refund, exactly once', async () => {
    await publishAsService(dataDir, 'payments', 'payments.v1', [
      serviceEvent('payments', 'TopUpSettled', ACCOUNT, {
        topUpId: 'tu_e2e',
        amount: '10',
        method: 'card',
        trigger: 'manual',
        paymentReference: 'pi_e2e',
        invoiceId: 'inv_e2e',
      }),
    ]);
    const balance = () =>
      api<{ total: string; version: number }>(
        banner.adminToken,
        'GET',
        `/v1/accounts/${ACCOUNT}/balance`,
      ).then((r) => r.body);
    await eventually('the top-up on the ledger', async () =>
      (await balance()).total === '10' ? true : undefined,
    );
    const row = page.getByTestId('dead-letter').filter({ hasText: ACCOUNT });
    await row.getByRole('button', { name: 'Replay' }).click();
    await row.getByRole('button', { name: 'Confirm replay' }).click();
    await page.getByTestId('no-dead-letters').waitFor();
    expect(await balance()).toEqual(expect.objectContaining({ total: '6', version: 2 }));

    await page.getByLabel('Show').selectOption('replayed');
    const done = page.getByTestId('dead-letter').filter({ hasText: ACCOUNT });
    await done.getByTestId('replayed').waitFor();
    expect(await done.getByTestId('replayed').textContent()).toMatch(/^Replayed /);
    const listed = await api<{ data: { id: string; key: string }[] }>(
      banner.adminToken,
      'GET',
      '/v1/admin/dead-letters/ledger?state=replayed',
    );
    const id = listed.body.data.find((l) => l.key === ACCOUNT)?.id ?? '';
    const again = await api<{ error: { code: string } }>(
      banner.adminToken,
      'POST',
      `/v1/admin/dead-letters/ledger/${id}/replay`,
    );
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('DEAD_LETTERS.ALREADY_REPLAYED');
    expect(await balance()).toEqual(expect.objectContaining({ total: '6', version: 2 }));
    expect(await accessibilityProblems(page)).toEqual([]);
  });

  it('links the operations page to it, and fits a phone’s width', async () => {
    await page.getByRole('link', { name: 'Projections & DLQ' }).click();
    await page.getByRole('heading', { name: 'Projections & dead letters' }).waitFor();
    await page.getByRole('main').getByRole('link', { name: 'Dead letters' }).click();
    await page.getByRole('heading', { name: 'Dead letters', level: 1 }).waitFor();
    const paths = ['/operator/dead-letters', '/operator/operations'];
    expect(await atPhoneWidth(page.context(), banner.baseUrl, paths)).toEqual(
      paths.map((path) => ({ path, overflow: 0, accessibility: [] })),
    );
  });
});
