import { formatUsdFixed, tryParseUsd } from '@billing/money';
import { fail, ok, type Result } from './errors.js';

/**
 * Low-balance alerts (issue #17), in the customer's words:
 *
 * - Tell me once when my available balance falls below my threshold: a report that takes it from
 *   at-or-above to below sends one alert ("one alert per crossing"); more usage below the
 *   threshold sends nothing more.
 * - Tell me again only after it has been at or above the threshold (a top-up landed): a report at
 *   or above re-arms the alert. Exactly at the threshold is not below.
 * - Saving the settings arms the alert, so a balance already below a new threshold is told at the
 *   next report, as auto top-up charges at the next report.
 *
 * The balance watched is `available` (what requests can still spend: total minus holds), not
 * `total`: a customer running out is one whose requests are about to be refused. Reports older
 * than the last one seen (the ledger's stream `version`) change nothing, so a replay never alerts.
 * Pure: the state is one row per account, applied under its row lock by the caller.
 */
export interface LowBalanceAlertState {
  readonly enabled: boolean;
  readonly thresholdNanos: bigint;
  /** True when the next report below the threshold alerts; false once it has (until re-armed). */
  readonly armed: boolean;
  readonly lastAvailableNanos: bigint | null;
  readonly lastVersion: number | null;
}

export interface BalanceReport {
  readonly availableNanos: bigint;
  readonly version: number;
}

export interface LowBalanceAlertOutcome {
  readonly state: LowBalanceAlertState;
  /** Send one alert for this report. */
  readonly alert: boolean;
}

/** The ledger reported a balance (BalanceChanged). */
export function onAlertBalanceReported(
  state: LowBalanceAlertState,
  report: BalanceReport,
): LowBalanceAlertOutcome {
  if (state.lastVersion !== null && report.version <= state.lastVersion) {
    return { state, alert: false };
  }
  const seen = { ...state, lastAvailableNanos: report.availableNanos, lastVersion: report.version };
  if (report.availableNanos >= state.thresholdNanos) {
    return { state: { ...seen, armed: true }, alert: false };
  }
  const alert = state.enabled && state.armed;
  return { state: { ...seen, armed: alert ? false : state.armed }, alert };
}

/** Saving the settings (PUT): armed again, the last report kept (it still orders later ones). */
export function configureLowBalanceAlert(
  previous: LowBalanceAlertState | null,
  input: { readonly enabled: boolean; readonly thresholdNanos: bigint },
): LowBalanceAlertState {
  return {
    enabled: input.enabled,
    thresholdNanos: input.thresholdNanos,
    armed: true,
    lastAvailableNanos: previous?.lastAvailableNanos ?? null,
    lastVersion: previous?.lastVersion ?? null,
  };
}

/** The bounds of what a customer may save. */
export const ALERT_LIMITS = {
  /** $1,000,000: far above any balance this platform holds, far below int8 overflow. */
  maxThresholdNanos: 1_000_000n * 1_000_000_000n,
  maxEmailLength: 254,
  maxWebhookUrlLength: 2048,
} as const;

export interface AlertSettingsInput {
  readonly enabled: boolean;
  readonly threshold: unknown;
  readonly email?: string | null | undefined;
  readonly webhookUrl?: string | null | undefined;
}

export interface ValidAlertSettings {
  readonly enabled: boolean;
  readonly thresholdNanos: bigint;
  readonly email: string | null;
  readonly webhookUrl: string | null;
}

export interface AlertChannelPolicy {
  /** Whether e-mail can be sent at all (an SMTP server is configured). */
  readonly emailAvailable: boolean;
  /**
   * Development and tests only: also accept `http://` to 127.0.0.1, localhost or [::1]. Never in
   * production, where a webhook carries a signature over a customer's balance in the clear.
   */
  readonly allowHttpLoopback: boolean;
}

/**
 * Deliberately narrower than RFC 5322: one `@`, no whitespace, no angle brackets or quotes, a dotted
 * domain. An address that needs more is not one an alert should be sent to blindly, and nothing
 * here may inject a header into the SMTP message.
 */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Checks a PUT body. Each refusal says what would have been accepted. */
export function validateAlertSettings(
  input: AlertSettingsInput,
  policy: AlertChannelPolicy,
): Result<ValidAlertSettings> {
  const thresholdNanos = tryParseUsd(input.threshold);
  if (thresholdNanos === undefined || thresholdNanos <= 0n) {
    return fail(
      'PAYMENTS.INVALID_AMOUNT',
      'threshold must be a positive decimal USD string, e.g. "10" or "2.50"',
    );
  }
  if (thresholdNanos > ALERT_LIMITS.maxThresholdNanos) {
    return fail(
      'PAYMENTS.AMOUNT_TOO_LARGE',
      `the largest threshold is $${formatUsdFixed(ALERT_LIMITS.maxThresholdNanos, 2)}`,
    );
  }
  const email = input.email ?? null;
  if (email !== null) {
    if (email.length > ALERT_LIMITS.maxEmailLength || !EMAIL.test(email)) {
      return fail('PAYMENTS.INVALID_REQUEST', 'email must be an e-mail address (name@example.com)');
    }
    if (!policy.emailAvailable) {
      return fail(
        'PAYMENTS.EMAIL_ALERTS_UNAVAILABLE',
        'this deployment sends no e-mail (no SMTP server is configured): use a webhook',
      );
    }
  }
  const webhookUrl = input.webhookUrl ?? null;
  if (webhookUrl !== null) {
    const refusal = webhookUrlRefusal(webhookUrl, policy.allowHttpLoopback);
    if (refusal !== null) return fail('PAYMENTS.INVALID_WEBHOOK_URL', refusal);
  }
  if (input.enabled && email === null && webhookUrl === null) {
    return fail('PAYMENTS.INVALID_REQUEST', 'an enabled alert needs an email or a webhookUrl');
  }
  return ok({ enabled: input.enabled, thresholdNanos, email, webhookUrl });
}

function webhookUrlRefusal(text: string, allowHttpLoopback: boolean): string | null {
  const https = 'webhookUrl must be an https:// URL without credentials, at most 2048 characters';
  if (text.length > ALERT_LIMITS.maxWebhookUrlLength || /\s/.test(text)) return https;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return https;
  }
  if (url.username !== '' || url.password !== '' || url.hostname === '') return https;
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && allowHttpLoopback && LOOPBACK_HOSTS.has(url.hostname)) {
    return null;
  }
  return https;
}

/** Delivery retries: bounded, exponential, no clock here (the worker adds the delay to now). */
export interface AlertDeliveryPolicy {
  readonly maxAttempts: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

/**
 * After failed attempt number `attempt` (1-based): the delay before the next one, or null when
 * that was the last one allowed (the delivery is `failed`). base × 2^(attempt−1), capped.
 */
export function nextAlertAttemptDelayMs(
  attempt: number,
  policy: AlertDeliveryPolicy,
): number | null {
  if (attempt >= policy.maxAttempts) return null;
  const exponent = Math.min(attempt - 1, 30);
  return Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** exponent);
}
