import http from 'node:http';
import https from 'node:https';
import { startClientSpan } from '@billing/service-kit';

/**
 * Keep-alive connection pools, one per origin scheme: every call to the ledger, metering and the
 * upstreams reuses warm connections (a TLS handshake per request would cost more than the
 * gateway's whole overhead). No socket limit: the gateway imposes no concurrency limit.
 */
export interface Agents {
  readonly http: http.Agent;
  readonly https: https.Agent;
  destroy(): void;
}

export function createAgents(): Agents {
  const options = {
    keepAlive: true,
    keepAliveMsecs: 1_000,
    maxFreeSockets: 256,
    scheduling: 'lifo' as const,
  };
  const agents = { http: new http.Agent(options), https: new https.Agent(options) };
  return {
    ...agents,
    destroy: () => {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

export interface HttpCall {
  readonly method: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Gives up when the connection is idle this long (no bytes either way). */
  readonly idleTimeoutMs: number;
  readonly signal?: AbortSignal;
  /**
   * The client span's name and extra attributes, when the call is a step of its own worth naming
   * (the upstream call); default `<METHOD> <host>` and the HTTP attributes only.
   */
  readonly span?: { readonly name: string; readonly attributes: Readonly<Record<string, string>> };
}

/**
 * Starts a request and resolves with the response head; the body is the caller's to read. With
 * tracing on and a trace active, the call is a client span (ended when the body was read or the
 * call failed) and carries its `traceparent`.
 */
export function httpRequest(agents: Agents, call: HttpCall): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = new URL(call.url);
    const isHttps = url.protocol === 'https:';
    const span = startClientSpan(
      call.span?.name ?? `${call.method} ${url.host}`,
      call.method,
      url,
      call.span?.attributes,
    );
    const headers: Record<string, string> = { ...call.headers, ...span?.headers };
    if (call.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = String(Buffer.byteLength(call.body));
    }
    const options: http.RequestOptions = {
      method: call.method,
      headers,
      agent: isHttps ? agents.https : agents.http,
      ...(call.signal !== undefined && { signal: call.signal }),
    };
    const req = (isHttps ? https : http).request(
      url,
      options,
      span === undefined
        ? resolve
        : (res) => {
            res.once('close', () => span.end({ status: res.statusCode ?? 0 }));
            resolve(res);
          },
    );
    req.setTimeout(call.idleTimeoutMs, () => {
      req.destroy(new Error(`no answer from ${url.host} within ${call.idleTimeoutMs} ms`));
    });
    req.once('error', (err) => {
      span?.end({ error: err });
      reject(err);
    });
    req.end(call.body);
  });
}

export async function readBody(res: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export interface JsonAnswer {
  readonly status: number;
  /** The parsed body; undefined when it is empty or not JSON. */
  readonly body: unknown;
}

export async function httpJson(agents: Agents, call: HttpCall): Promise<JsonAnswer> {
  const res = await httpRequest(agents, call);
  const text = await readBody(res);
  let body: unknown;
  try {
    body = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.statusCode ?? 0, body };
}
