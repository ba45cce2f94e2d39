import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConsoleAssets } from '@billing/console-assets';
import { SERVICES } from '@billing/contracts/http-routes';
import { StandaloneProcess, type Banner } from '../../standalone/src/testing/standalone-process.js';
import { loadConsoleServerEnv, SERVICE_URL_VARIABLES } from './config.js';
import { ConsoleServer } from './console-server.js';

// The console server in front of real services: `npm start`'s process (the five services behind
// one port, routed by the same table) stands for the five URLs, and the console server is started
// here with every *_URL pointing at it. What this proves beyond the stand-ins: the real services'
// answers (the catalog, the ledger's refusal of another account's token, the gateway's SSE, the
// invoice PDF payments renders) arrive through the proxy exactly as they leave the services.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('the console server in front of the platform (npm start as the five services)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'console-server-e2e-'));
  let running: StandaloneProcess | undefined;
  let banner: Banner;
  let server: ConsoleServer | undefined;
  let base: string;
  let accountId: string;

  const direct = (path: string, init?: RequestInit) => fetch(`${banner.baseUrl}${path}`, init);
  const proxied = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
  const asAccount = (token = banner.accountToken): RequestInit => ({
    headers: { authorization: `Bearer ${token}` },
  });

  beforeAll(async () => {
    execFileSync(process.execPath, ['tools/build/console.js', '--if-stale'], {
      cwd: ROOT,
      stdio: 'inherit',
    });
    ({ process: running, banner } = await StandaloneProcess.start({ dataDir }));
    const assets = ConsoleAssets.load(join(ROOT, 'apps/console/dist'));
    if (assets === undefined) throw new Error('apps/console/dist was not built');
    const env: NodeJS.ProcessEnv = { CONSOLE_PORT: '0', CONSOLE_HOST: '127.0.0.1' };
    for (const service of SERVICES) env[SERVICE_URL_VARIABLES[service]] = banner.baseUrl;
    server = new ConsoleServer(loadConsoleServerEnv(env), assets);
    base = `http://127.0.0.1:${await server.listen()}`;
    const claims = JSON.parse(
      Buffer.from(banner.accountToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as { sub: string };
    accountId = claims.sub;
  });

  afterAll(async () => {
    await server?.close(0);
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the same console page as the standalone app, and is ready once the services are', async () => {
    const mine = await proxied('/');
    expect(mine.status).toBe(200);
    expect(mine.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await mine.text()).toBe(await (await direct('/')).text());
    const ready = await proxied('/health/ready');
    expect(ready.status).toBe(200);
  });

  it('answers GET /v1/models (metering) as the service does, query string included', async () => {
    const path = `/v1/models?at=${new Date().toISOString()}`;
    const mine = await proxied(path);
    expect(mine.status).toBe(200);
    const body = (await mine.json()) as { at: string; data: unknown[] };
    expect(body.data.length).toBeGreaterThan(0);
    expect(body).toEqual(await (await direct(path)).json());
  });

  it("passes the account token through: the account's balance answers, another account's is refused by the ledger", async () => {
    const own = await proxied(`/v1/accounts/${accountId}/balance`, asAccount());
    expect(own.status).toBe(200);
    const other = await proxied('/v1/accounts/someone_else/balance', asAccount());
    expect(other.status).toBe(403);
    const anonymous = await proxied(`/v1/accounts/${accountId}/balance`);
    expect(anonymous.status).toBe(401);
  });

  it('tops up $100 through payments and downloads its invoice PDF byte for byte as payments serves it', async () => {
    const topUp = await proxied(`/v1/accounts/${accountId}/top-ups`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${banner.accountToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ amount: '100' }),
    });
    expect(topUp.status).toBe(201);
    let invoiceId: string | undefined;
    for (let i = 0; i < 100 && invoiceId === undefined; i += 1) {
      const list = (await (
        await proxied(`/v1/accounts/${accountId}/invoices`, asAccount())
      ).json()) as { data: { invoiceId: string; amount: string }[] };
      invoiceId = list.data.find((inv) => inv.amount === '100')?.invoiceId;
      if (invoiceId === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(invoiceId).toBeDefined();
    const path = `/v1/accounts/${accountId}/invoices/${invoiceId ?? ''}/pdf`;
    const [mine, theirs] = await Promise.all([
      proxied(path, asAccount()),
      direct(path, asAccount()),
    ]);
    expect(mine.status).toBe(200);
    expect(mine.headers.get('content-type')).toBe('application/pdf');
    expect(mine.headers.get('content-disposition')).toBe(theirs.headers.get('content-disposition'));
    expect(mine.headers.get('content-disposition')).toMatch(/filename=".+\.pdf"/);
    const bytes = Buffer.from(await mine.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.equals(Buffer.from(await theirs.arrayBuffer()))).toBe(true);
  });

  it('streams a completion from the gateway as SSE events, to the [DONE]', async () => {
    const res = await proxied('/api/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${banner.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'sim/echo-1',
        stream: true,
        messages: [{ role: 'user', content: 'one two three four five six' }],
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text();
    const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
    expect(events.length).toBeGreaterThan(2);
    expect(events.at(-1)).toBe('data: [DONE]');
  });
});
