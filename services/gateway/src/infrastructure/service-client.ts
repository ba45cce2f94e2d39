import { httpJson, type Agents, type JsonAnswer } from './http-json.js';

/**
 * Calls to another service of the platform (the ledger's holds, the keys service's lookup): JSON
 * over the gateway's keep-alive pools, with the gateway's own service credential
 * (`SERVICE_TOKEN`), within the caller's idle timeout, and sent once more on a fresh connection
 * when a pooled one turns out to be stale (see {@link retryOnStaleConnection}). What an answer
 * means is the caller's to say.
 */
export class ServiceClient {
  private readonly headers: Readonly<Record<string, string>>;

  constructor(
    private readonly baseUrl: string,
    serviceToken: string,
    private readonly agents: Agents,
    private readonly idleTimeoutMs: number,
  ) {
    this.headers = { authorization: `Bearer ${serviceToken}`, accept: 'application/json' };
  }

  /** `path` starts with `/` and is already encoded; `body` is sent as JSON when given. */
  call(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<JsonAnswer> {
    return retryOnStaleConnection(() =>
      httpJson(this.agents, {
        method,
        url: `${this.baseUrl}${path}`,
        headers: this.headers,
        ...(body !== undefined && { body: JSON.stringify(body) }),
        idleTimeoutMs: this.idleTimeoutMs,
      }),
    );
  }
}

/**
 * A pooled keep-alive connection can be closed by the server just as it is reused, which fails
 * the request with a reset before anything was answered. Every call made here may be sent twice:
 * a key lookup reads, placing and releasing a hold are idempotent (the hold id is the idempotency
 * key) and an extension sent twice only extends from a later now; so each is sent once more on a
 * fresh connection.
 */
export async function retryOnStaleConnection<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code !== 'ECONNRESET' && code !== 'EPIPE') throw err;
    return call();
  }
}
