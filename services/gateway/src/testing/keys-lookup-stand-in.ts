// A stand-in for the keys service's internal lookup route, for the gateway's tests: keys by
// lookup hash in memory, the gateway's service token checked, calls counted, and a switch that
// makes it answer 503 as if the keys service were down.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInKey {
  readonly apiKeyId: string;
  readonly accountId: string;
  status: 'enabled' | 'disabled';
  /** ISO-8601 UTC, null or absent: as the keys service answers (absent: one older than expiry). */
  expiresAt?: string | null;
  /** Decimal USD or null each; absent: a keys service older than spend limits. */
  spendLimits?: { daily: string | null; monthly: string | null };
  /** The keys.v1 events published for the key; absent: a keys service older than versions. */
  version?: number;
}

const PATH = /^\/v1\/internal\/api-keys\/by-lookup-hash\/([^/?]+)$/;

export class KeysLookupStandIn {
  readonly keys = new Map<string, StandInKey>();
  /** Lookup hashes asked for, in order. */
  readonly asked: string[] = [];
  down = false;
  private server: http.Server | undefined;
  url = '';

  constructor(private readonly serviceToken: string) {}

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const match = PATH.exec(req.url ?? '');
      if (req.method !== 'GET' || match === null) return answer(res, 404, {});
      if (req.headers.authorization !== `Bearer ${this.serviceToken}`) return answer(res, 403, {});
      const hash = match[1] ?? '';
      this.asked.push(hash);
      if (this.down) return answer(res, 503, { code: 'DATABASE_UNAVAILABLE' });
      const key = this.keys.get(hash);
      return key === undefined
        ? answer(res, 404, { code: 'KEYS.NOT_FOUND' })
        : answer(res, 200, key);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': text.length });
  res.end(text);
}
