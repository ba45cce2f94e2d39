import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ConsoleAssets, CONSOLE_CSP } from '@billing/console-assets';
import type { ServiceName } from '@billing/contracts/http-routes';
import { loadConsoleServerEnv } from './config.js';
import { ConsoleServer } from './console-server.js';
import { startStandIns, standInEnv, type StandInService } from './testing/stand-ins.js';

// The console server on a loopback port in front of five stand-ins (plain HTTP servers named for
// the services they stand in for); no infrastructure. What it must never do: send a path to the
// wrong service, hold a stream back, alter a PDF or its headers, read a file outside the build,
// pass on a body over the limit, or answer a dead service with anything but the house error.

const INDEX = '<!doctype html><title>console</title><script src="/assets/app-1.js"></script>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;
const SECRET = 'the file next to dist/ that no request may read';

interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request as a client sends it, the path unnormalised (fetch would clean `/../` up). */
function send(
  base: string,
  path: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, {
      method: options.method ?? 'GET',
      headers: options.headers,
      path,
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const jsonOf = <T>(answer: Answer): T => JSON.parse(answer.body.toString('utf8')) as T;

describe('the console server (distributed mode) in front of five stand-in services', () => {
  const root = mkdtempSync(join(tmpdir(), 'console-server-'));
  const dist = join(root, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets/app-1.js'), SCRIPT);
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(root, 'secret.txt'), SECRET);
  const assets = ConsoleAssets.load(dist);
  if (assets === undefined) throw new Error('the test build has no index.html');

  let standIns: Record<ServiceName, StandInService>;
  let base: string;
  const servers: ConsoleServer[] = [];

  const start = async (env: NodeJS.ProcessEnv): Promise<string> => {
    const config = loadConsoleServerEnv({
      CONSOLE_PORT: '0',
      CONSOLE_HOST: '127.0.0.1',
      MAX_BODY_BYTES: '1024',
      ...env,
    });
    const server = new ConsoleServer(config, assets);
    servers.push(server);
    return `http://127.0.0.1:${await server.listen()}`;
  };

  beforeAll(async () => {
    standIns = await startStandIns();
    base = await start({ ...standInEnv(standIns), BONUS_RATE: '0.25', TOP_UP_MIN_USD: '10.50' });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close(0)));
    await Promise.all(Object.values(standIns).map((s) => s.stop()));
    rmSync(root, { recursive: true, force: true });
  });

  describe('routing: each API path reaches the service that owns it, by the standalone app’s table', () => {
    it.each([
      ['/api/v1/models', 'gateway'],
      ['/v1/accounts/acct_1/api-keys', 'keys'],
      ['/v1/accounts/acct_1/api-keys/key_1/reveal', 'keys'],
      ['/v1/models?at=2026-01-01T00:00:00Z', 'metering'],
      ['/v1/accounts/acct_1/requests?apiKeyId=key_1&limit=10', 'metering'],
      ['/v1/accounts/acct_1/requests/req_1', 'ledger'],
      ['/v1/accounts/acct_1/balance', 'ledger'],
      ['/v1/accounts/acct_1/credits-breakdown?asOf=2026-01-01T00:00:00Z', 'ledger'],
      ['/v1/accounts/acct_1/transactions?cursor=abc', 'ledger'],
      ['/v1/audit/accounts/acct_1/verify', 'ledger'],
      ['/v1/admin/projections', 'ledger'],
      ['/v1/admin/projections/runs/run_1', 'ledger'],
      ['/v1/accounts/acct_1/top-ups', 'payments'],
      ['/v1/accounts/acct_1/invoices', 'payments'],
      ['/v1/admin/accounts/acct_1/credits', 'payments'],
    ])('%s goes to the %s stand-in, path and query string unchanged', async (path, service) => {
      const answer = await send(base, path, { headers: { authorization: 'Bearer account-token' } });
      expect(answer.status).toBe(200);
      const echoed = jsonOf<{ service: string; url: string; headers: IncomingHttpHeaders }>(answer);
      expect(echoed.service).toBe(service);
      expect(echoed.url).toBe(path);
      // The account token goes through unread: the services check it, not this process.
      expect(echoed.headers.authorization).toBe('Bearer account-token');
    });

    it('sends X-Forwarded-For/-Proto/-Host and strips hop-by-hop headers, both ways', async () => {
      standIns.ledger.routes.set('GET /v1/accounts/acct_1/holds', (_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/json',
          connection: 'keep-alive, x-hop-answer',
          'keep-alive': 'timeout=77',
          'x-hop-answer': 'only for the next hop',
          'x-end-to-end': 'kept',
        });
        res.end('{}');
      });
      const answer = await send(base, '/v1/accounts/acct_1/holds', {
        headers: {
          connection: 'keep-alive, x-hop-request',
          'x-hop-request': 'only for the next hop',
          'proxy-authorization': 'Basic c2VjcmV0',
          'x-forwarded-for': '203.0.113.7',
          te: 'trailers',
        },
      });
      const seen = standIns.ledger.seen.at(-1);
      expect(seen?.headers['x-forwarded-for']).toBe('203.0.113.7, 127.0.0.1');
      expect(seen?.headers['x-forwarded-proto']).toBe('http');
      expect(seen?.headers['x-forwarded-host']).toBe(new URL(base).host);
      expect(seen?.headers.host).toBe(`127.0.0.1:${standIns.ledger.port}`);
      expect(seen?.headers['x-hop-request']).toBeUndefined();
      expect(seen?.headers['proxy-authorization']).toBeUndefined();
      expect(seen?.headers.te).toBeUndefined();
      expect(answer.headers['x-hop-answer']).toBeUndefined();
      // The console server's own connection has its own (Node's `timeout=5`), not the service's.
      expect(answer.headers['keep-alive']).not.toBe('timeout=77');
      expect(answer.headers['x-end-to-end']).toBe('kept');
    });

    it('passes a request body through and a service’s own status and error back unchanged', async () => {
      standIns.payments.routes.set('POST /v1/accounts/acct_1/top-ups', (_req, res, body) => {
        const { amount } = JSON.parse(body.toString('utf8')) as { amount: string };
        const status = amount === '0' ? 400 : 201;
        res.writeHead(status, { 'content-type': 'application/json', location: '/v1/x' });
        res.end(JSON.stringify(status === 201 ? { amount } : { error: { code: 'VALIDATION' } }));
      });
      const created = await send(base, '/v1/accounts/acct_1/top-ups', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: '100.000000001' }),
      });
      expect(created.status).toBe(201);
      expect(created.headers.location).toBe('/v1/x');
      expect(jsonOf(created)).toEqual({ amount: '100.000000001' });
      const refused = await send(base, '/v1/accounts/acct_1/top-ups', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amount: '0' }),
      });
      expect(refused.status).toBe(400);
      expect(jsonOf(refused)).toEqual({ error: { code: 'VALIDATION' } });
    });

    it.each([
      ['/v1/internal/api-keys/by-lookup-hash/abc', 'service to service only'],
      ['/V1/Internal/api-keys/by-lookup-hash/abc', 'in any case'],
      ['/services/ledger/metrics', "the standalone app's door to one service"],
      ['/webhooks/stripe', "Stripe's, through the platform's ingress to payments"],
      ['/metrics', 'each service has its own'],
      ['/docs', 'each service has its own'],
      ['/v1/nothing-here', 'an unknown API route is no page'],
    ])('%s is a 404 that reaches no service (%s)', async (path) => {
      const before = Object.values(standIns).map((s) => s.seen.length);
      const answer = await send(base, path);
      expect(answer.status).toBe(404);
      expect(jsonOf<{ error: { code: string } }>(answer).error.code).toBe('NOT_FOUND');
      expect(Object.values(standIns).map((s) => s.seen.length)).toEqual(before);
    });
  });

  describe('streams and files pass through as the service sent them', () => {
    it('delivers an SSE completion chunk by chunk, before the service has finished it', async () => {
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (release = resolve));
      standIns.gateway.routes.set('POST /api/v1/chat/completions', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: {"delta":"Hel"}\n\n');
        // The second event waits until the client has read the first through the proxy.
        void released.then(() => {
          res.write('data: {"delta":"lo"}\n\n');
          res.end('data: [DONE]\n\n');
        });
      });
      const chunks: string[] = [];
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${base}/api/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test' },
        });
        req.on('response', (res) => {
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            chunks.push(chunk);
            if (chunks.length === 1) release();
          });
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end('{"stream":true}');
      });
      expect(status).toBe(200);
      // Had the proxy buffered the response, the stand-in (waiting for the first chunk to be
      // read) would never have finished it.
      expect(chunks[0]).toBe('data: {"delta":"Hel"}\n\n');
      expect(chunks.join('')).toBe(
        'data: {"delta":"Hel"}\n\ndata: {"delta":"lo"}\n\ndata: [DONE]\n\n',
      );
    });

    it('cancels the service’s stream when the browser goes away', async () => {
      let closed: () => void = () => undefined;
      const serviceSawClose = new Promise<void>((resolve) => (closed = resolve));
      standIns.gateway.routes.set('POST /api/v1/completions', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"delta":"first"}\n\n');
        res.on('close', () => closed());
      });
      const req = request(`${base}/api/v1/completions`, { method: 'POST' });
      req.on('response', (res) => res.once('data', () => req.destroy()));
      req.on('error', () => undefined);
      req.end('{}');
      await expect(serviceSawClose).resolves.toBeUndefined();
    });

    it('cuts the browser’s response when the service dies mid-stream, rather than ending it cleanly', async () => {
      standIns.gateway.routes.set('POST /api/v1/responses', (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"delta":"partial"}\n\n');
        setTimeout(() => res.socket?.destroy(), 20);
      });
      const outcome = await new Promise<string>((resolve) => {
        const req = request(`${base}/api/v1/responses`, { method: 'POST' });
        req.on('response', (res) => {
          res.on('data', () => undefined);
          res.on('end', () => resolve('ended cleanly'));
          res.on('error', () => resolve('cut'));
          res.on('aborted', () => resolve('cut'));
        });
        req.on('error', () => resolve('cut'));
        req.end('{}');
      });
      // A clean end would pass a truncated completion (or file) off as whole.
      expect(outcome).toBe('cut');
    });

    it('passes an invoice PDF through byte for byte, with its Content-Disposition and cookies', async () => {
      const pdf = Buffer.concat([
        Buffer.from('%PDF-1.7\n'),
        Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
        randomBytes(200_000),
      ]);
      standIns.payments.routes.set('GET /v1/accounts/acct_1/invoices/inv_1/pdf', (_req, res) => {
        res.writeHead(200, {
          'content-type': 'application/pdf',
          'content-length': pdf.length,
          'content-disposition': 'attachment; filename="invoice-inv_1.pdf"',
          'set-cookie': ['a=1; Path=/; HttpOnly', 'b=2; Path=/; Secure'],
        });
        res.end(pdf);
      });
      const answer = await send(base, '/v1/accounts/acct_1/invoices/inv_1/pdf', {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toBe('application/pdf');
      expect(answer.headers['content-disposition']).toBe(
        'attachment; filename="invoice-inv_1.pdf"',
      );
      expect(answer.headers['set-cookie']).toEqual([
        'a=1; Path=/; HttpOnly',
        'b=2; Path=/; Secure',
      ]);
      expect(answer.headers['content-length']).toBe(String(pdf.length));
      expect(answer.headers['content-encoding']).toBeUndefined();
      expect(answer.body.equals(pdf)).toBe(true);
    });
  });

  describe('what a service cannot answer, the console server answers in the house shape', () => {
    let dead: NetServer;
    let deadBase: string;
    let silentBase: string;

    beforeAll(async () => {
      // A port that was just free: nothing listens there (the metering stand-in is "down").
      dead = createNetServer();
      await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
      const port = (dead.address() as { port: number }).port;
      await new Promise<void>((resolve) => dead.close(() => resolve()));
      deadBase = await start({ ...standInEnv(standIns), METERING_URL: `http://127.0.0.1:${port}` });
      silentBase = await start({ ...standInEnv(standIns), UPSTREAM_TIMEOUT_SECONDS: '1' });
      standIns.ledger.routes.set('GET /v1/accounts/acct_1/usage', () => {
        // Never answers: the console server's timeout must.
      });
    });

    it('a service that is down: 502 CONSOLE.SERVICE_UNAVAILABLE', async () => {
      const answer = await send(deadBase, '/v1/models');
      expect(answer.status).toBe(502);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(jsonOf(answer)).toEqual({
        error: {
          code: 'CONSOLE.SERVICE_UNAVAILABLE',
          message: 'the metering service did not answer',
        },
      });
      // The others are still served.
      expect((await send(deadBase, '/v1/accounts/acct_1/balance')).status).toBe(200);
    });

    it('a service that says nothing for UPSTREAM_TIMEOUT_SECONDS: 504 CONSOLE.SERVICE_TIMEOUT', async () => {
      const answer = await send(silentBase, '/v1/accounts/acct_1/usage');
      expect(answer.status).toBe(504);
      expect(jsonOf<{ error: { code: string } }>(answer).error.code).toBe(
        'CONSOLE.SERVICE_TIMEOUT',
      );
    });

    it('readiness names the service that is down (503); liveness stays 200', async () => {
      const down = await send(deadBase, '/health/ready');
      expect(down.status).toBe(503);
      const body = jsonOf<{ services: Record<string, { ready: boolean; status: unknown }> }>(down);
      expect(body.services.metering).toEqual({ ready: false, status: 'unreachable' });
      expect(body.services.ledger).toEqual({ ready: true, status: 200 });
      expect((await send(deadBase, '/health/live')).status).toBe(200);
      const up = await send(base, '/health');
      expect(up.status).toBe(200);
      expect(jsonOf(up)).toMatchObject({ status: 'ok', assets: 'loaded' });
    });
  });

  describe('request bodies over MAX_BODY_BYTES are refused', () => {
    it('by their Content-Length: 413 before the service is asked', async () => {
      const before = standIns.gateway.seen.length;
      const answer = await send(base, '/api/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: Buffer.alloc(4096, 'a'),
      });
      expect(answer.status).toBe(413);
      expect(jsonOf(answer)).toEqual({
        error: {
          code: 'CONSOLE.REQUEST_TOO_LARGE',
          message: 'the request body exceeds 1024 bytes',
        },
      });
      expect(standIns.gateway.seen.length).toBe(before);
    });

    it('streamed without a length: 413 once the limit is passed, and the service never gets it whole', async () => {
      const before = standIns.keys.seen.length;
      const answer = await new Promise<Answer>((resolve, reject) => {
        const req = request(`${base}/v1/accounts/acct_1/api-keys`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
        });
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
            }),
          );
        });
        req.on('error', reject);
        for (let i = 0; i < 8; i += 1) req.write(Buffer.alloc(512, 'b'));
        req.end();
      });
      expect(answer.status).toBe(413);
      expect(jsonOf<{ error: { code: string } }>(answer).error.code).toBe(
        'CONSOLE.REQUEST_TOO_LARGE',
      );
      expect(standIns.keys.seen.length).toBe(before);
    });

    it('a body at the limit passes', async () => {
      const answer = await send(base, '/v1/accounts/acct_1/api-keys', {
        method: 'POST',
        body: Buffer.alloc(1024, 'c'),
      });
      expect(answer.status).toBe(200);
      expect(jsonOf<{ bodyBytes: number }>(answer).bodyBytes).toBe(1024);
    });
  });

  describe('the console’s own files', () => {
    it('answers an app route with index.html, its CSP and no caching (the SPA fallback)', async () => {
      for (const path of ['/', '/keys', '/top-up/return?session_id=cs_1', '/sign-in']) {
        const answer = await send(base, path);
        expect(answer.status).toBe(200);
        expect(answer.body.toString('utf8')).toBe(INDEX);
        expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
        expect(answer.headers['content-security-policy']).toBe(CONSOLE_CSP);
        expect(answer.headers['cache-control']).toBe('no-cache');
        expect(answer.headers['referrer-policy']).toBe('no-referrer');
      }
    });

    it('caches the hashed files under /assets/ for a year, gzipped when the browser takes it', async () => {
      const plain = await send(base, '/assets/app-1.js');
      expect(plain.status).toBe(200);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
      expect(plain.body.toString('utf8')).toBe(SCRIPT);
      const zipped = await send(base, '/assets/app-1.js', {
        headers: { 'accept-encoding': 'gzip' },
      });
      expect(zipped.headers['content-encoding']).toBe('gzip');
      expect(zipped.headers.vary).toBe('accept-encoding');
      expect(gunzipSync(zipped.body).toString('utf8')).toBe(SCRIPT);
      expect(Number(zipped.headers['content-length'])).toBeLessThan(SCRIPT.length / 10);
      const other = await send(base, '/favicon.svg');
      expect(other.headers['cache-control']).toBe('no-cache');
    });

    it('answers a missing file under /assets/ with 404, not the page', async () => {
      const answer = await send(base, '/assets/app-2.js');
      expect(answer.status).toBe(404);
    });

    // An app route gets the page (200), a path under /assets/ that is no built file a 404: never
    // the file, whatever the client's dots, slashes and encodings.
    it.each([
      ['/../secret.txt', 200],
      ['/assets/../../secret.txt', 404],
      ['/%2e%2e/secret.txt', 200],
      ['/%2E%2E%2Fsecret.txt', 200],
      ['/assets/..%2f..%2fsecret.txt', 404],
      ['/..%5csecret.txt', 200],
      ['/....//secret.txt', 200],
      ['/%252e%252e/secret.txt', 200],
    ])('never reads outside the build: %s (%i)', async (path, status) => {
      const answer = await send(base, path);
      expect(answer.status).toBe(status);
      expect(answer.body.toString('utf8')).not.toContain(SECRET);
      expect(answer.headers['content-type']).toBe(
        status === 200 ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      );
    });

    it('refuses other methods on a page', async () => {
      const answer = await send(base, '/keys', { method: 'POST', body: '{}' });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET, HEAD');
    });
  });

  describe('/v1/console/*', () => {
    it('settings: the bonus rate and top-up limits of the environment payments reads', async () => {
      const answer = await send(base, '/v1/console/settings');
      expect(answer.status).toBe(200);
      expect(jsonOf(answer)).toEqual({ bonusRate: '0.25', minTopUp: '10.5', maxTopUp: '10000' });
    });

    it('sessions: the standalone sign-in exchange does not exist here (404)', async () => {
      const answer = await send(base, '/v1/console/sessions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"code":"abc"}',
      });
      expect(answer.status).toBe(404);
      expect(jsonOf<{ error: { code: string } }>(answer).error.code).toBe('NOT_FOUND');
    });
  });
});

describe('loadConsoleServerEnv', () => {
  it('defaults to port 8090 and the distributed ports of CONTRACTS.md on this host', () => {
    const config = loadConsoleServerEnv({});
    expect(config.port).toBe(8090);
    expect(config.services.ledger.href).toBe('http://127.0.0.1:8083/');
    expect(config.services.payments.href).toBe('http://127.0.0.1:8084/');
    expect(config.settings).toEqual({ bonusRate: '0.20', minTopUp: '5', maxTopUp: '10000' });
  });

  it('refuses a malformed URL, port, bonus rate or limit, naming each variable', () => {
    const load = () =>
      loadConsoleServerEnv({
        LEDGER_URL: 'ledger:8083',
        PAYMENTS_URL: 'http://payments:8084/?x=1',
        CONSOLE_PORT: '80a',
        BONUS_RATE: '1.5',
        TOP_UP_MAX_USD: '10.001',
      });
    for (const name of [
      'LEDGER_URL',
      'PAYMENTS_URL',
      'CONSOLE_PORT',
      'BONUS_RATE',
      'TOP_UP_MAX_USD',
    ]) {
      expect(load).toThrow(name);
    }
  });
});
