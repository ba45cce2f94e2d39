import { formatUsd, type NanoUsd } from '@billing/money';
import { Logger } from '@nestjs/common';
import { holdLimitFields, type Caller, type SpendPeriod } from '../domain/index.js';
import type { Agents } from './http-json.js';
import { ServiceClient } from './service-client.js';

export type HoldOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'insufficient_funds'; readonly message: string }
  | {
      readonly ok: false;
      readonly reason: 'key_spend_limit';
      readonly period: SpendPeriod;
      readonly message: string;
    }
  | { readonly ok: false; readonly reason: 'unavailable'; readonly message: string };

/**
 * What extending a running request's hold came to:
 * - `ok`: the hold now expires at `expiresAtMs`;
 * - `closed`: the ledger no longer holds it (captured, released, expired, unknown): the request
 *   must stop, or it would spend money nothing reserves;
 * - `unavailable`: the ledger could not be asked; the hold still lives until its last expiry, so
 *   the caller tries again, and stops the request only if that expiry comes first.
 */
export type ExtendOutcome =
  | { readonly ok: true; readonly expiresAtMs: number }
  | { readonly ok: false; readonly reason: 'closed' | 'unavailable'; readonly message: string };

/** The ledger's refusals of a hold for the key's spend limits, and the period of each. */
const KEY_LIMIT_CODES: Readonly<Record<string, SpendPeriod | undefined>> = {
  'LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED': 'daily',
  'LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED': 'monthly',
};

/** How long a hold call may take before the request is refused (the ledger answers in ms). */
const LEDGER_TIMEOUT_MS = 10_000;

/**
 * The ledger's holds API (CONTRACTS.md, "ledger"), called with the gateway's own service
 * credential (`SERVICE_TOKEN`), the only one the ledger accepts there:
 * `POST /v1/accounts/{id}/holds {holdId, amount, ttlSeconds, apiKeyId, dailySpendLimit?,
 * monthlySpendLimit?}` → 201, or 402 `LEDGER.INSUFFICIENT_FUNDS` or
 * `LEDGER.KEY_DAILY_SPEND_LIMIT_REACHED` / `LEDGER.KEY_MONTHLY_SPEND_LIMIT_REACHED`; `POST .../holds/{holdId}/extend {ttlSeconds}` → 200
 * `{expiresAt}`; `DELETE /v1/accounts/{id}/holds/{holdId}` releases it.
 */
export class LedgerClient {
  private readonly logger = new Logger('LedgerClient');
  private readonly ledger: ServiceClient;

  constructor(baseUrl: string, serviceToken: string, agents: Agents) {
    this.ledger = new ServiceClient(baseUrl, serviceToken, agents, LEDGER_TIMEOUT_MS);
  }

  private holdsPath(accountId: string, holdId?: string): string {
    const base = `/v1/accounts/${encodeURIComponent(accountId)}/holds`;
    return holdId === undefined ? base : `${base}/${encodeURIComponent(holdId)}`;
  }

  /**
   * Places the hold for a request of `caller`'s key, which counts against the key's spend and is
   * refused past its limits (decided by the ledger with the balance). Anything but a 201 or a 402
   * (the ledger unreachable, a 5xx, a timeout) is `unavailable`: the gateway then refuses the
   * request rather than call an upstream unbudgeted.
   */
  async placeHold(
    caller: Pick<Caller, 'accountId' | 'apiKeyId' | 'spendLimits'>,
    holdId: string,
    amountNanos: NanoUsd,
    ttlSeconds: number,
  ): Promise<HoldOutcome> {
    try {
      const answer = await this.ledger.call('POST', this.holdsPath(caller.accountId), {
        holdId,
        amount: formatUsd(amountNanos),
        ttlSeconds,
        apiKeyId: caller.apiKeyId,
        ...holdLimitFields(caller.spendLimits),
      });
      if (answer.status === 201 || answer.status === 200) return { ok: true };
      const period = KEY_LIMIT_CODES[errorCode(answer.body)];
      if (answer.status === 402 && period !== undefined) {
        return {
          ok: false,
          reason: 'key_spend_limit',
          period,
          message: errorMessage(answer.body) ?? `the key's ${period} spend limit`,
        };
      }
      if (answer.status === 402) {
        return {
          ok: false,
          reason: 'insufficient_funds',
          message: errorMessage(answer.body) ?? 'insufficient balance',
        };
      }
      this.logger.error(
        `placing hold ${holdId} answered ${answer.status}: ${errorCode(answer.body)}`,
      );
      return { ok: false, reason: 'unavailable', message: `ledger answered ${answer.status}` };
    } catch (err) {
      this.logger.error(`placing hold ${holdId} failed: ${(err as Error).message}`);
      return { ok: false, reason: 'unavailable', message: 'ledger unreachable' };
    }
  }

  /**
   * Pushes the hold's expiry to `ttlSeconds` from now, for a request that is still running.
   * 409 `LEDGER.HOLD_CLOSED` and 404 mean the hold is gone; anything else (a 5xx, a timeout, the
   * ledger unreachable, an answer without a valid `expiresAt`) is `unavailable`.
   */
  async extendHold(accountId: string, holdId: string, ttlSeconds: number): Promise<ExtendOutcome> {
    try {
      const answer = await this.ledger.call('POST', `${this.holdsPath(accountId, holdId)}/extend`, {
        ttlSeconds,
      });
      if (answer.status === 200) {
        const expiresAt = (answer.body as { expiresAt?: unknown } | undefined)?.expiresAt;
        const expiresAtMs = typeof expiresAt === 'string' ? Date.parse(expiresAt) : Number.NaN;
        if (Number.isFinite(expiresAtMs)) return { ok: true, expiresAtMs };
        return { ok: false, reason: 'unavailable', message: 'the ledger answered no expiry' };
      }
      if (answer.status === 409 || answer.status === 404) {
        return {
          ok: false,
          reason: 'closed',
          message: errorMessage(answer.body) ?? `hold ${holdId} is closed`,
        };
      }
      this.logger.warn(
        `extending hold ${holdId} answered ${answer.status}: ${errorCode(answer.body)}`,
      );
      return { ok: false, reason: 'unavailable', message: `ledger answered ${answer.status}` };
    } catch (err) {
      this.logger.warn(`extending hold ${holdId} failed: ${(err as Error).message}`);
      return { ok: false, reason: 'unavailable', message: 'ledger unreachable' };
    }
  }

  /**
   * Releases a hold that no usage will capture. Best effort: if it fails, the hold expires on its
   * own after its TTL, so a failure is logged and nothing more.
   */
  async releaseHold(accountId: string, holdId: string): Promise<void> {
    try {
      const answer = await this.ledger.call('DELETE', this.holdsPath(accountId, holdId));
      if (answer.status >= 300 && answer.status !== 404) {
        this.logger.warn(`releasing hold ${holdId} answered ${answer.status}; it will expire`);
      }
    } catch (err) {
      this.logger.warn(
        `releasing hold ${holdId} failed (${(err as Error).message}); it will expire`,
      );
    }
  }
}

function errorField(body: unknown, name: 'message' | 'code'): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

const errorMessage = (body: unknown): string | undefined => errorField(body, 'message');
const errorCode = (body: unknown): string => errorField(body, 'code') ?? 'no error code';
