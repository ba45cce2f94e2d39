import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConsoleAssets } from './console-assets.js';
import { ConsoleFront, type ConsoleSettings } from './console-front.js';
import { SignInCodes } from './sign-in-codes.js';

// The console's front on a real loopback server (no infrastructure): what it answers besides the
// happy path the browser test walks.

const INDEX = '<!doctype html><title>console</title><script src="/assets/app-1.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;

describe('the console front', () => {
  const dist = mkdtempSync(join(tmpdir(), 'console-dist-'));
  mkdirSync(join(dist, 'assets'));
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets/app-1.js'), SCRIPT);
  const codes = new SignInCodes();
  let settings: ConsoleSettings | undefined;
  const servers: Server[] = [];

  const serve = async (assets: ConsoleAssets | undefined): Promise<string> => {
    const front = new ConsoleFront({
      assets,
      codes,
      mintToken: (accountId) =>
        Promise.resolve({ token: `token-for-${accountId}`, expiresAt: '2026-12-07T10:00:00Z' }),
      operatorSession: (role) => ({ token: `${role}-token`, expiresAt: '2026-12-07T11:00:00Z' }),
      settings: () => settings,
    });
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path.startsWith('/v1/console')) front.api(path, req, res);
      else front.page(path, req, res);
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  let base: string;

  beforeAll(async () => {
    base = await serve(ConsoleAssets.load(dist));
  });

  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    rmSync(dist, { recursive: true, force: true });
  });

  const signIn = (body: string, type = 'application/json'): Promise<Response> =>
    fetch(`${base}/v1/console/sessions`, {
      method: 'POST',
      headers: { 'content-type': type },
      body,
    });

  it('answers any path of the app with its page, under a CSP that allows only this origin', async () => {
    for (const path of ['/', '/keys', '/top-up/return']) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(INDEX);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('cache-control')).toBe('no-cache');
    }
  });

  it('serves a hashed file gzip-compressed and cached for good, and 404s an unknown one instead of the page', async () => {
    const res = await fetch(`${base}/assets/app-1.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBe('gzip');
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(Number(res.headers.get('content-length'))).toBeLessThan(SCRIPT.length / 4);
    expect(await res.text()).toBe(SCRIPT);
    const missing = await fetch(`${base}/assets/app-0.js`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'Cannot GET /assets/app-0.js' },
    });
  });

  it('sends the uncompressed file to a client that does not take gzip, and nothing for HEAD', async () => {
    const res = await fetch(`${base}/assets/app-1.js`, {
      headers: { 'accept-encoding': 'identity' },
    });
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.text()).toBe(SCRIPT);
    const head = await fetch(`${base}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('refuses a write to a page with 405', async () => {
    const res = await fetch(`${base}/keys`, { method: 'POST' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });

  it('exchanges a code once, then answers 401 CONSOLE.SIGN_IN_CODE_INVALID', async () => {
    const { code } = codes.issue('acct_a');
    const first = await signIn(JSON.stringify({ code }));
    expect(first.status).toBe(201);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(await first.json()).toEqual({
      accountId: 'acct_a',
      token: 'token-for-acct_a',
      expiresAt: '2026-12-07T10:00:00Z',
    });
    const again = await signIn(JSON.stringify({ code }));
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({
      error: {
        code: 'CONSOLE.SIGN_IN_CODE_INVALID',
        message: expect.stringContaining('already used') as string,
      },
    });
  });

  it("exchanges an operator's code for the role's token, once", async () => {
    const { code } = codes.issueOperator('auditor');
    const first = await signIn(JSON.stringify({ code }));
    expect([first.status, first.headers.get('cache-control')]).toEqual([201, 'no-store']);
    expect(await first.json()).toEqual({
      role: 'auditor',
      token: 'auditor-token',
      expiresAt: '2026-12-07T11:00:00Z',
    });
    expect((await signIn(JSON.stringify({ code }))).status).toBe(401);
  });

  it('refuses a body that is not JSON (415), without a code (400), or too large to be one (400)', async () => {
    expect((await signIn('code=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await signIn('{"code": 42}')).status).toBe(400);
    expect((await signIn('not json')).status).toBe(400);
    expect((await signIn(JSON.stringify({ code: 'c'.repeat(10_000) }))).status).toBe(400);
  });

  it('answers the settings once payments runs, 503 before', async () => {
    settings = undefined;
    const starting = await fetch(`${base}/v1/console/settings`);
    expect(starting.status).toBe(503);
    expect(starting.headers.get('retry-after')).toBe('1');
    settings = { bonusRate: '0.20', minTopUp: '5', maxTopUp: '10000' };
    const res = await fetch(`${base}/v1/console/settings`);
    expect(await res.json()).toEqual(settings);
    expect((await fetch(`${base}/v1/console/other`)).status).toBe(404);
  });

  it('says how to build the console when it is not built, and keeps answering', async () => {
    const unbuilt = await serve(ConsoleAssets.load(join(dist, 'missing')));
    const res = await fetch(`${unbuilt}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run console:build');
  });
});
