import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * Headers that describe one connection, not the message (RFC 9110 7.6.1): never passed on in
 * either direction.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface ProxyTarget {
  /** The service's base URL; its path, if any, prefixes the request's. */
  readonly base: URL;
  /** The request's path and query string. */
  readonly url: string;
  readonly timeoutMs: number;
  readonly maxBodyBytes: number;
}

/** A failure the proxy answers itself, before the service's response has started. */
export type ProxyFailure = 'unavailable' | 'timeout' | 'too-large';

/** Removes the hop-by-hop headers, and those the `connection` header names. */
function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter((h) => h !== ''),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Passes one request to a service and its response back, both bodies streamed as they come (an
 * SSE completion reaches the browser chunk by chunk; an invoice PDF byte for byte), with the
 * status and the end-to-end headers (`set-cookie`, `content-disposition`, ...) unchanged.
 * A client that goes away cancels the service's request, so the gateway stops a completion no
 * one reads. `fail` answers what the service could not: called at most once, and only while
 * nothing of the response has been sent; after that the response is cut instead.
 */
export class ServiceProxy {
  private readonly http = new HttpAgent({ keepAlive: true });
  private readonly https = new HttpsAgent({ keepAlive: true });

  forward(
    req: IncomingMessage,
    res: ServerResponse,
    target: ProxyTarget,
    fail: (failure: ProxyFailure) => void,
  ): void {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (Number.isFinite(declared) && declared > target.maxBodyBytes) {
      // Refused before a byte of it is read; the connection closes so that the body is not.
      res.setHeader('connection', 'close');
      fail('too-large');
      return;
    }

    const { base } = target;
    const headers = endToEnd(req.headers);
    // The service's own host name (Node sets it from the URL): a service behind a virtual host or
    // a TLS name needs its own, not the console's.
    delete headers.host;
    const client = req.socket.remoteAddress ?? '';
    const forwardedFor = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] =
      forwardedFor === undefined || forwardedFor === ''
        ? client
        : `${String(forwardedFor)}, ${client}`;
    // A load balancer in front that terminated TLS says so; otherwise this hop was plain HTTP.
    headers['x-forwarded-proto'] = req.headers['x-forwarded-proto'] ?? 'http';
    const forwardedHost = req.headers['x-forwarded-host'] ?? req.headers.host;
    if (forwardedHost !== undefined) headers['x-forwarded-host'] = forwardedHost;

    const https = base.protocol === 'https:';
    const upstream = (https ? httpsRequest : httpRequest)({
      protocol: base.protocol,
      hostname: base.hostname,
      port: base.port === '' ? undefined : base.port,
      method: req.method,
      path: `${base.pathname.replace(/\/+$/, '')}${target.url}`,
      headers,
      agent: https ? this.https : this.http,
      timeout: target.timeoutMs,
    });

    let settled = false;
    const failOnce = (failure: ProxyFailure): void => {
      if (settled) return;
      settled = true;
      upstream.destroy();
      if (!res.headersSent) fail(failure);
      else res.destroy();
    };

    upstream.on('timeout', () => failOnce('timeout'));
    upstream.on('error', () => failOnce('unavailable'));
    upstream.on('response', (answer) => {
      if (settled) {
        answer.resume();
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.headers));
      // Headers first, at once: an SSE stream's client sees the response open before any event.
      res.flushHeaders();
      answer.pipe(res);
      answer.on('error', () => res.destroy());
      answer.on('aborted', () => res.destroy());
      answer.on('end', () => {
        settled = true;
      });
    });
    // The client went away before the response was complete: nobody reads the rest.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });

    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > target.maxBodyBytes && !settled) {
        // A body without a length, or longer than it said: the service is cancelled, the rest of
        // the body is read and dropped, and the connection closes after the 413.
        req.unpipe(upstream);
        if (!res.headersSent) res.setHeader('connection', 'close');
        failOnce('too-large');
      }
    });
    req.pipe(upstream);
  }

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}
