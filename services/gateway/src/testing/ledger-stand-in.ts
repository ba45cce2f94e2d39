// A stand-in for the ledger's holds API, for the gateway's tests and bench: an in-memory balance
// per account and the three routes the gateway calls (CONTRACTS.md, "ledger"). It is not the
// ledger: no event store, no capture by charges. It checks the gateway's service token, refuses
// a hold that would make the available balance negative, lets a hold expire at its TTL (so a
// request that outlives it would be seen running unbudgeted) and extends it like the ledger,
// which is all the gateway relies on. (The cross-service e2e suite runs the gateway against the
// real ledger.)
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatUsd, parseUsd } from '@billing/money';

export interface StandInHold {
  readonly accountId: string;
  readonly holdId: string;
  readonly amountNanos: bigint;
  readonly ttlSeconds: number;
  /** The key and its spend limits, as the hold request named them (the ledger enforces them). */
  readonly key?: {
    readonly apiKeyId?: string;
    readonly dailySpendLimit?: string;
    readonly monthlySpendLimit?: string;
  };
  /** Epoch ms; moved by extensions. */
  expiresAtMs: number;
}

export class LedgerStandIn {
  private readonly balances = new Map<string, bigint>();
  readonly holds = new Map<string, StandInHold>();
  readonly placed: StandInHold[] = [];
  readonly released: string[] = [];
  /** Holds that reached their TTL and were dropped. */
  readonly expired: string[] = [];
  /** Every successful extension: the hold and its new expiry. */
  readonly extended: { holdId: string; expiresAtMs: number }[] = [];
  /** Holds released or expired: extending them answers 409 LEDGER.HOLD_CLOSED. */
  private readonly closed = new Set<string>();
  /**
   * Keys whose holds are refused as the ledger refuses a key past a spend limit (402
   * LEDGER.KEY_<PERIOD>_SPEND_LIMIT_REACHED), by period: the gateway's side of that answer.
   */
  readonly keyLimitReached = new Map<string, 'daily' | 'monthly'>();
  /** Answer every call with 503 (the ledger down). */
  down = false;
  /** Place holds but answer 500, as when the answer is lost after the ledger committed. */
  failAfterPlacing = false;
  /** Keep the history in `placed` / `released` (off in the bench). */
  record = true;
  /** Accounts not given a balance have this much (the bench's unlimited account). */
  defaultBalanceNanos = 0n;
  private server: http.Server | undefined;

  constructor(private readonly serviceToken: string) {}

  setBalance(accountId: string, usd: string): void {
    this.balances.set(accountId, parseUsd(usd));
  }

  /** Closes a hold as if it had been released behind the gateway's back (a fault to test). */
  closeHold(holdId: string): void {
    this.holds.delete(holdId);
    this.closed.add(holdId);
  }

  /** Drops the holds whose TTL has passed, as the ledger's scheduler does. */
  expireDue(nowMs = Date.now()): void {
    for (const [holdId, hold] of this.holds) {
      if (hold.expiresAtMs <= nowMs) {
        this.holds.delete(holdId);
        this.closed.add(holdId);
        if (this.record) this.expired.push(holdId);
      }
    }
  }

  available(accountId: string): bigint {
    this.expireDue();
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
    if (req.headers.authorization !== `Bearer ${this.serviceToken}`) {
      return send(res, 401, { error: { code: 'AUTH.INVALID_CREDENTIALS', message: 'bad token' } });
    }
    this.expireDue();
    const match = /^\/v1\/accounts\/([^/]+)\/holds(?:\/([^/]+))?(\/extend)?$/.exec(req.url ?? '');
    if (!match?.[1]) return send(res, 404, { error: { code: 'NOT_FOUND', message: 'no route' } });
    const accountId = decodeURIComponent(match[1]);
    if (req.method === 'POST' && match[2] === undefined) {
      let body: {
        holdId: string;
        amount: string;
        ttlSeconds: number;
        apiKeyId?: string;
        dailySpendLimit?: string;
        monthlySpendLimit?: string;
      };
      let amountNanos: bigint;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        amountNanos = parseUsd(body.amount);
      } catch {
        return send(res, 400, { error: { code: 'VALIDATION_FAILED', message: 'bad hold body' } });
      }
      const existing = this.holds.get(body.holdId);
      const reached =
        body.apiKeyId === undefined ? undefined : this.keyLimitReached.get(body.apiKeyId);
      if (existing === undefined && reached !== undefined) {
        return send(res, 402, {
          error: {
            code: `LEDGER.KEY_${reached.toUpperCase()}_SPEND_LIMIT_REACHED`,
            message: `key ${body.apiKeyId ?? ''} past its ${reached} spend limit`,
          },
        });
      }
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
        const hold = {
          accountId,
          holdId: body.holdId,
          amountNanos,
          ttlSeconds: body.ttlSeconds,
          key: {
            ...(body.apiKeyId !== undefined && { apiKeyId: body.apiKeyId }),
            ...(body.dailySpendLimit !== undefined && { dailySpendLimit: body.dailySpendLimit }),
            ...(body.monthlySpendLimit !== undefined && {
              monthlySpendLimit: body.monthlySpendLimit,
            }),
          },
          expiresAtMs: Date.now() + body.ttlSeconds * 1000,
        };
        this.holds.set(body.holdId, hold);
        if (this.record) this.placed.push(hold);
      }
      if (this.failAfterPlacing) {
        return send(res, 500, { error: { code: 'INTERNAL', message: 'answer lost' } });
      }
      return send(res, 201, {
        holdId: body.holdId,
        available: formatUsd(this.available(accountId)),
      });
    }
    if (req.method === 'POST' && match[2] !== undefined && match[3] !== undefined) {
      const holdId = decodeURIComponent(match[2]);
      const hold = this.holds.get(holdId);
      if (hold === undefined) {
        return this.closed.has(holdId)
          ? send(res, 409, { error: { code: 'LEDGER.HOLD_CLOSED', message: holdId } })
          : send(res, 404, { error: { code: 'LEDGER.HOLD_NOT_FOUND', message: holdId } });
      }
      const { ttlSeconds } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        ttlSeconds: number;
      };
      hold.expiresAtMs = Math.max(hold.expiresAtMs, Date.now() + ttlSeconds * 1000);
      if (this.record) this.extended.push({ holdId, expiresAtMs: hold.expiresAtMs });
      return send(res, 200, { holdId, expiresAt: new Date(hold.expiresAtMs).toISOString() });
    }
    if (req.method === 'DELETE' && match[2] !== undefined && match[3] === undefined) {
      const holdId = decodeURIComponent(match[2]);
      this.closed.add(holdId);
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
