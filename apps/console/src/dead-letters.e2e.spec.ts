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

// The dead-letter desk (docs/adr/015) in a real browser against `npm start`'s process on a fresh
// data folder. A fresh platform has no dead letters, and nothing a browser can do makes one (the
// gateway admits only priced models): the replay itself is proven by the services' integration
// tests on Kafka and in process. Here: the page is reached from the desk's navigation and from
// the operations page, asks all four services through the one origin, says there is nothing,
// is accessible at desktop and phone width; the routes answer the auditor's read and refuse its
// replay, and the gateway serves no desk.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVICES = ['metering', 'ledger', 'keys', 'payments'] as const;

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
