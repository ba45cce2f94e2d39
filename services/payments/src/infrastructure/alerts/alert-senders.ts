import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { PAYMENTS_OPTIONS, type ResolvedPaymentsOptions } from '../../payments.options.js';
import { DELIVERY_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './alert-signature.js';

/** What one attempt came to. `permanent`: retrying cannot help (nothing to send it to). */
export interface AttemptResult {
  readonly delivered: boolean;
  readonly responseStatus: number | null;
  readonly error: string | null;
  readonly permanent?: boolean;
}

/** The fields of a `balance.low` alert an e-mail is written from. */
export interface AlertMailFields {
  readonly id: string;
  readonly accountId: string;
  readonly threshold: string;
  readonly available: string;
  readonly occurredAt: string;
}

const MAX_ERROR_LENGTH = 500;

const fieldOf = (value: unknown, field: string): unknown =>
  typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[field]
    : undefined;
const isTimeout = (err: unknown): boolean =>
  fieldOf(err, 'name') === 'TimeoutError' ||
  fieldOf(fieldOf(err, 'cause'), 'name') === 'TimeoutError';
const causeOf = (err: unknown): unknown => fieldOf(err, 'cause');
function messageOf(err: unknown): string {
  const message = fieldOf(err, 'message');
  return typeof message === 'string' && message !== '' ? message : String(err);
}
const clip = (text: string): string =>
  text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH)}...` : text;

/**
 * "$9.50" for whole cents, else every digit the amount has ("$9.876543211"): never rounded. A
 * balance in debt reads "-$3.00".
 */
export function usdText(decimal: string): string {
  const sign = decimal.startsWith('-') ? '-' : '';
  const [whole, fraction = ''] = decimal.slice(sign.length).split('.');
  return `${sign}$${whole}.${fraction.length <= 2 ? fraction.padEnd(2, '0') : fraction}`;
}

export function alertMail(alert: AlertMailFields): { subject: string; text: string } {
  const available = usdText(alert.available);
  const threshold = usdText(alert.threshold);
  return {
    subject: `Low balance: ${available} available (your alert threshold is ${threshold})`,
    text: [
      `The available balance of account ${alert.accountId} fell to ${available}, below your alert threshold of ${threshold}.`,
      '',
      'Top up to keep your requests running. You will be alerted again once the balance has been back at or above the threshold and falls below it again.',
      '',
      `Alert ${alert.id}, ${alert.occurredAt}`,
    ].join('\n'),
  };
}

/**
 * The two ways an alert leaves the service. Webhooks: one POST of the stored body, signed when
 * sent, answered 2xx within the timeout or failed; redirects are not followed (a 3xx is a
 * failure, so a registered https URL cannot bounce the request elsewhere). E-mail: SMTP through
 * nodemailer, when SMTP_URL is set.
 */
@Injectable()
export class AlertSenders implements OnModuleDestroy {
  private readonly mail: Transporter | null;

  constructor(@Inject(PAYMENTS_OPTIONS) private readonly options: ResolvedPaymentsOptions) {
    const { smtpUrl } = options.lowBalanceAlerts;
    this.mail =
      smtpUrl === null
        ? null
        : nodemailer.createTransport(smtpUrl, {
            connectionTimeout: 5_000,
            greetingTimeout: 5_000,
            socketTimeout: 10_000,
          });
  }

  async webhook(
    url: string,
    secret: string,
    deliveryId: string,
    body: string,
    nowMs: number,
  ): Promise<AttemptResult> {
    const timestamp = Math.floor(nowMs / 1000);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'billing-platform-alerts/1',
          [SIGNATURE_HEADER]: signatureHeader(secret, timestamp, body),
          [DELIVERY_ID_HEADER]: deliveryId,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.options.lowBalanceAlerts.webhookTimeoutMs),
      });
      // The receiver's answer is not read: only its status counts, and a slow body must not hold us.
      await res.body?.cancel().catch(() => undefined);
      const delivered = res.status >= 200 && res.status < 300;
      return {
        delivered,
        responseStatus: res.status,
        error: delivered ? null : `the receiver answered HTTP ${res.status}`,
      };
    } catch (err) {
      // Duck-typed: the abort's DOMException and undici's errors may come from another realm.
      const text = isTimeout(err)
        ? `no answer within ${this.options.lowBalanceAlerts.webhookTimeoutMs} ms`
        : messageOf(causeOf(err) ?? err);
      return { delivered: false, responseStatus: null, error: clip(text) };
    }
  }

  async email(to: string, deliveryId: string, alert: AlertMailFields): Promise<AttemptResult> {
    if (this.mail === null) {
      return {
        delivered: false,
        responseStatus: null,
        error: 'no SMTP server is configured (SMTP_URL)',
        permanent: true,
      };
    }
    try {
      await this.mail.sendMail({
        from: this.options.lowBalanceAlerts.emailFrom,
        to,
        ...alertMail(alert),
        headers: { [DELIVERY_ID_HEADER]: deliveryId },
      });
      return { delivered: true, responseStatus: null, error: null };
    } catch (err) {
      return {
        delivered: false,
        responseStatus: null,
        error: clip(messageOf(err)),
      };
    }
  }

  onModuleDestroy(): void {
    this.mail?.close();
  }
}
