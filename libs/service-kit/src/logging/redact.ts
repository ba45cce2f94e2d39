/**
 * What must never reach a log line (issue #13; docs/SECURITY.md): API keys, bearer and console
 * tokens, service and admin tokens, card numbers, Stripe and low-balance alert webhook secrets and signatures, SMTP credentials, and the
 * passwords inside database or broker URLs. Two nets, because a secret can arrive either way:
 *
 * - by field name: a value under a key such as `authorization` or `password` is replaced whole,
 *   whatever it looks like (the admin token and service tokens have no recognisable shape);
 * - by shape: every string logged (messages, error texts, stacks, field values) has anything
 *   shaped like one of the secrets below replaced, since an error message can quote a header or
 *   a connection string.
 */

export const REDACTED = '[redacted]';

/** Field names (compared lower-case, `-` and `_` ignored) whose values are secrets. */
const SECRET_FIELDS = new Set(
  [
    'authorization',
    'proxy-authorization',
    'cookie',
    'set-cookie',
    'x-api-key',
    'stripe-signature',
    // Low-balance alert webhooks (payments): the signature header and the endpoint's secret.
    'billing-signature',
    'signing_secret',
    'signature',
    'password',
    'passwd',
    'secret',
    'client_secret',
    'secret_key',
    'webhook_secret',
    'api_key',
    'api_key_pepper',
    'api_key_encryption_key',
    'token',
    'access_token',
    'refresh_token',
    'id_token',
    'service_token',
    'service_tokens',
    'admin_token',
    'account_token',
    'console_jwt_secret',
    'kafka_sasl_password',
    'stripe_secret_key',
    'stripe_webhook_secret',
    'smtp_url',
    'card',
    'card_number',
    'pan',
    'cvc',
    'cvv',
  ].map(normaliseField),
);

function normaliseField(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

export function isSecretField(name: string): boolean {
  return SECRET_FIELDS.has(normaliseField(name));
}

/** Secrets recognised by their shape, each with what replaces it. */
const SHAPES: readonly [RegExp, string][] = [
  // Authorization schemes: whatever follows is the credential.
  [/\b(bearer|basic)\s+[^\s"',;]+/gi, `$1 ${REDACTED}`],
  // Provider and platform API keys (`sk-...`, `sk-payg-...`), Stripe secret and restricted keys.
  [/\b(?:sk|rk)[-_][A-Za-z0-9_-]{6,}/g, REDACTED],
  // Stripe webhook signing secrets.
  [/\bwhsec_[A-Za-z0-9+/=_-]{6,}/g, REDACTED],
  // Stripe-Signature values (`t=...,v1=<hex>`): the signatures themselves.
  [/\bv[01]=[0-9a-fA-F]{16,}/g, `v1=${REDACTED}`],
  // JSON Web Tokens: console (account) tokens.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // The password of a URL's user info: postgres://user:password@host, kafka brokers alike.
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, `$1${REDACTED}@`],
  // `password=...` in a query string or a libpq keyword string.
  [/\b(password|passwd|secret|token|api_key|apikey)=([^\s&;,'"]+)/gi, `$1=${REDACTED}`],
];

/** Sequences of 13 to 19 digits, optionally grouped by spaces or dashes: card-number candidates. */
const CARD_CANDIDATE = /\b\d(?:[ -]?\d){12,18}\b/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** The text with every secret-shaped part replaced. */
export function redactText(text: string): string {
  let out = text;
  for (const [pattern, replacement] of SHAPES) out = out.replace(pattern, replacement);
  return out.replace(CARD_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, '');
    // Only numbers that pass the Luhn check: positions, offsets and nano-dollar amounts of this
    // length are common in logs and mostly do not.
    return luhnValid(digits) ? REDACTED : match;
  });
}

const MAX_DEPTH = 6;

/**
 * A copy of `value` fit for a log line: secret fields replaced whole, strings redacted by shape,
 * errors as `{type, message, stack, code}`, bigints as strings, and nothing deeper than a few
 * levels (a log line is not a dump).
 */
export function redactValue(value: unknown, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
      return redactText(value);
    case 'bigint':
      return value.toString();
    case 'object': {
      if (value === null) return null;
      if (depth >= MAX_DEPTH) return '[object]';
      if (value instanceof Error) return redactError(value);
      if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
      if (value instanceof Date) return value.toISOString();
      if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        out[k] = isSecretField(k) ? REDACTED : redactValue(v, depth + 1);
      }
      return out;
    }
    case 'function':
    case 'symbol':
      return undefined;
    default:
      return value;
  }
}

export function redactError(err: Error): Record<string, unknown> {
  const code = (err as { code?: unknown }).code;
  return {
    type: err.name,
    message: redactText(err.message),
    ...(err.stack === undefined ? {} : { stack: redactText(err.stack) }),
    ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
  };
}
