import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendAsset as send, serveConsolePage } from '@billing/console-assets';
import type { ConsoleAssets } from './console-assets.js';
import type { OperatorRole, SignInCodes } from './sign-in-codes.js';

/** What the console needs to know before a top-up: the bonus it will earn and the limits. */
export interface ConsoleSettings {
  readonly bonusRate: string;
  readonly minTopUp: string;
  readonly maxTopUp: string;
}

export interface ConsoleFrontOptions {
  /** The built console; undefined when apps/console/dist is missing (a page says how to build it). */
  readonly assets: ConsoleAssets | undefined;
  readonly codes: SignInCodes;
  readonly mintToken: (accountId: string) => Promise<{ token: string; expiresAt: string }>;
  /**
   * An operator's credential for `role` (ADMIN_TOKEN or AUDITOR_TOKEN) and when the console should
   * forget it (the token itself does not expire: it is the operator's, as printed in the banner).
   */
  readonly operatorSession: (role: OperatorRole) => { token: string; expiresAt: string };
  /** Undefined until payments has started. */
  readonly settings: () => ConsoleSettings | undefined;
}

/** A sign-in request body is one short code; anything longer is not one. */
const MAX_BODY_BYTES = 4_096;

/**
 * The console's own routes (docs/CONTRACTS.md, "console"): the pages, served same-origin with the
 * API so that the browser needs no CORS and the account token never leaves this origin, and
 * `/v1/console/*`, the sign-in exchange and the settings.
 */
export class ConsoleFront {
  constructor(private readonly options: ConsoleFrontOptions) {}

  /** `GET /`, `/sign-in`, `/keys`, `/assets/...`: a built file, or the app's page for a route of its own. */
  page(path: string, req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      error(res, 405, 'NOT_FOUND', `Cannot ${req.method ?? ''} ${path}`, { allow: 'GET, HEAD' });
      return;
    }
    const assets = this.options.assets;
    if (assets === undefined) {
      send(req, res, 503, 'text/html; charset=utf-8', Buffer.from(NOT_BUILT), undefined, {
        'cache-control': 'no-store',
      });
      return;
    }
    serveConsolePage(assets, path, req, res);
  }

  /** `/v1/console/*`. */
  api(path: string, req: IncomingMessage, res: ServerResponse): void {
    const at = path.replace(/\/+$/, '').toLowerCase();
    if (at === '/v1/console/sessions' && req.method === 'POST') {
      this.signIn(req, res).catch((err: unknown) => {
        if (!res.headersSent) error(res, 500, 'INTERNAL', 'internal error');
        else res.destroy(err instanceof Error ? err : undefined);
      });
      return;
    }
    if (at === '/v1/console/settings' && req.method === 'GET') {
      const settings = this.options.settings();
      if (settings === undefined) {
        error(res, 503, 'STANDALONE.STARTING', 'the payments service is starting', {
          'retry-after': '1',
        });
        return;
      }
      json(res, 200, settings);
      return;
    }
    error(res, 404, 'NOT_FOUND', `Cannot ${req.method ?? 'GET'} ${path}`);
  }

  private async signIn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = req.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) {
      req.resume();
      error(res, 415, 'VALIDATION', 'send {"code": "..."} as application/json');
      return;
    }
    const text = await readBody(req, MAX_BODY_BYTES);
    let code: unknown;
    try {
      code = text === undefined ? undefined : (JSON.parse(text) as { code?: unknown }).code;
    } catch {
      code = undefined;
    }
    if (typeof code !== 'string' || code.length === 0 || code.length > 200) {
      error(res, 400, 'VALIDATION', 'code must be the sign-in code of the link, a string');
      return;
    }
    const redeemed = this.options.codes.redeem(code);
    if (!redeemed.ok) {
      // The reason goes into the message for the person at the browser; the code is the same for
      // all three, so that a caller cannot probe which codes exist.
      error(
        res,
        401,
        'CONSOLE.SIGN_IN_CODE_INVALID',
        `this sign-in link is ${REASONS[redeemed.reason]}; a link works once, for 10 minutes: restart npm start for a new one, or paste the account token from its banner`,
      );
      return;
    }
    res.setHeader('cache-control', 'no-store');
    if ('role' in redeemed) {
      const { token, expiresAt } = this.options.operatorSession(redeemed.role);
      json(res, 201, { role: redeemed.role, token, expiresAt });
      return;
    }
    const { token, expiresAt } = await this.options.mintToken(redeemed.accountId);
    json(res, 201, { accountId: redeemed.accountId, token, expiresAt });
  }
}

const REASONS = { unknown: 'not known', used: 'already used', expired: 'expired' } as const;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Console not built</title></head>
<body><h1>The console is not built</h1>
<p><code>npm start</code> builds it before it starts (<code>npm run console:build</code> builds it alone).
The API is here all the same: <a href="/docs">/docs</a>.</p></body></html>
`;

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  json(res, status, { error: { code, message } });
}
