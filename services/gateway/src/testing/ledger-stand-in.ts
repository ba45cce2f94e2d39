// A stand-in for the ledger's holds API, for the gateway's tests and bench: an in-memory balance
// per account and the two routes the gateway calls (CONTRACTS.md, "ledger"). It is not the
// ledger: no event store, no TTL expiry, no capture by charges. It checks the admin token and
// refuses a hold that would make the available balance negative, which is all the gateway relies
// on. (The cross-service e2e suite runs the gateway against the real ledger.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatUsd, parseUsd } from '@billing/money';

export interface StandInHold {
  readonly accountId: string;
  readonly holdId: string;
  readonly amountNanos: bigint;
  readonly ttlSeconds: number;
}

export class LedgerStandIn {
  private readonly balances = new Map<string, bigint>();
  readonly holds = new Map<string, StandInHold>();
  readonly placed: StandInHold[] = [];
  readonly released: string[] = [];
  /** Answer every call with 503 (the ledger down). */
  down = false;
  /** Keep the history in `placed` / `released` (off in the bench). */
  record = true;
  /** Accounts not given a balance have this much (the bench's unlimited account). */
  defaultBalanceNanos = 0n;
  private server: http.Server | undefined;

  constructor(private readonly adminToken: string) {}

  setBalance(accountId: string, usd: string): void {
    this.balances.set(accountId, parseUsd(usd));
  }

  available(accountId: string): bigint {
    let held = 0n;
    for (const hold of this.holds.values())
      if (hold.accountId === accountId) held += hold.amountNanos;
    return (this.balances.get(accountId) ?? this.defaultBalanceNanos) - held;
  }

  async start(): Promise<string> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.server = server;
    return this.url;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('the ledger stand-in is not started');
    return `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (this.down) return send(res, 503, { error: { code: 'UNAVAILABLE', message: 'down' } });
    if (req.headers.authorization !== `Bearer ${this.adminToken}`) {
      return send(res, 401, { error: { code: 'AUTH.INVALID_CREDENTIALS', message: 'bad token' } });
    }
    const match = /^\/v1\/accounts\/([^/]+)\/holds(?:\/([^/]+))?$/.exec(req.url ?? '');
    if (!match?.[1]) return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    const accountId = decodeURIComponent(match[1]);
    if (req.method === 'POST' && match[2] === undefined) {
      let body: { holdId: string; amount: string; ttlSeconds: number };
      let amountNanos: bigint;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        amountNanos = parseUsd(body.amount);
      } catch {
        return send(res, 400, { error: { code: 'VALIDATION_FAILED', message: 'bad hold body' } });
      }
      const existing = this.holds.get(body.holdId);
      if (existing === undefined) {
        const available = this.available(accountId);
        if (amountNanos > available) {
          return send(res, 402, {
            error: {
              code: 'LEDGER.INSUFFICIENT_FUNDS',
              message: `a hold of ${body.amount} exceeds the available ${formatUsd(available)}`,
            },
          });
        }
        const hold = { accountId, holdId: body.holdId, amountNanos, ttlSeconds: body.ttlSeconds };
        this.holds.set(body.holdId, hold);
        if (this.record) this.placed.push(hold);
      }
      return send(res, 201, {
        holdId: body.holdId,
        available: formatUsd(this.available(accountId)),
      });
    }
    if (req.method === 'DELETE' && match[2] !== undefined) {
      const holdId = decodeURIComponent(match[2]);
      if (!this.holds.delete(holdId)) {
        return send(res, 404, { error: { code: 'LEDGER.HOLD_NOT_FOUND', message: holdId } });
      }
      if (this.record) this.released.push(holdId);
      return send(res, 200, { holdId, available: formatUsd(this.available(accountId)) });
    }
    return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
  }
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}
