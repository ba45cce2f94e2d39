import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleAssets } from './console-assets.js';

/** The console loads only its own files and talks only to this origin. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * `GET /`, `/sign-in`, `/keys`, `/assets/...`: a built file, or the app's page for a route of its
 * own. `path` is the URL's path as the client sent it, never decoded: it is only ever a key of the
 * in-memory map of built files, so no path (`/../`, `%2e%2e%2f`) can reach the disk.
 */
export function serveConsolePage(
  assets: ConsoleAssets,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    error(res, 405, 'NOT_FOUND', `Cannot ${req.method ?? ''} ${path}`, { allow: 'GET, HEAD' });
    return;
  }
  const file = path === '/' || path === '/index.html' ? undefined : assets.file(path);
  if (file !== undefined) {
    // Vite names the files under /assets/ by their content's hash: they never change.
    const cache = path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
    sendAsset(req, res, 200, file.type, file.body, file.gzip, { 'cache-control': cache });
    return;
  }
  if (path.startsWith('/assets/')) {
    error(res, 404, 'NOT_FOUND', `Cannot GET ${path}`);
    return;
  }
  // Any other path is one of the app's own routes (it routes in the browser).
  const index = assets.index;
  sendAsset(req, res, 200, index.type, index.body, index.gzip, {
    'cache-control': 'no-cache',
    'content-security-policy': CONSOLE_CSP,
  });
}

/** A built file (or a page), gzipped when the client takes it and a compressed copy exists. */
export function sendAsset(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  type: string,
  body: Buffer,
  gzip: Buffer | undefined,
  headers: Record<string, string>,
): void {
  const useGzip = gzip !== undefined && /\bgzip\b/i.test(req.headers['accept-encoding'] ?? '');
  const payload = useGzip ? gzip : body;
  res.writeHead(status, {
    'content-type': type,
    'content-length': payload.length,
    'x-content-type-options': 'nosniff',
    // The sign-in link carries its code in the query string: no other site may see it.
    'referrer-policy': 'no-referrer',
    ...(gzip === undefined ? {} : { vary: 'accept-encoding' }),
    ...(useGzip ? { 'content-encoding': 'gzip' } : {}),
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : payload);
}

function error(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
