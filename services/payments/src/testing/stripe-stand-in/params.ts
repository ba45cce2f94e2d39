import type { FormObject, FormValue } from '../form-encoding.js';
import { invalid, missing, unknownParam } from './errors.js';

// The parameters each endpoint accepts (others are `parameter_unknown`, as at Stripe), and
// readers of form-decoded parameters that refuse what Stripe refuses.
export const PAYMENT_METHOD_TYPES = new Set([
  'card',
  'alipay',
  'link',
  'us_bank_account',
  'sepa_debit',
  'wechat_pay',
  'paypal',
]);
export const CHECKOUT_PARAMS = new Set([
  'mode',
  'line_items',
  'success_url',
  'cancel_url',
  'metadata',
  'payment_intent_data',
  'allowed_payment_method_types',
  'excluded_payment_method_types',
  'client_reference_id',
  'customer',
  'customer_email',
  'expires_at',
  'subscription_data',
  'expand',
  'locale',
  'submit_type',
  'currency',
  'setup_intent_data',
]);
export const SUBSCRIPTION_DATA_PARAMS = new Set(['metadata', 'description']);
export const SETUP_INTENT_DATA_PARAMS = new Set(['metadata', 'description', 'on_behalf_of']);
export const CUSTOMER_PARAMS = new Set([
  'metadata',
  'description',
  'email',
  'name',
  'phone',
  'expand',
]);
export const PAYMENT_INTENT_DATA_PARAMS = new Set([
  'metadata',
  'description',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'receipt_email',
  'setup_future_usage',
  'capture_method',
]);
export const PAYMENT_INTENT_PARAMS = new Set([
  'amount',
  'currency',
  'customer',
  'payment_method',
  'confirm',
  'off_session',
  'metadata',
  'description',
  'expand',
  'receipt_email',
  'statement_descriptor',
  'statement_descriptor_suffix',
  'allowed_payment_method_types',
  'capture_method',
]);
/** Stripe's minimum charge in USD is $0.50; its maximum is $999,999.99. */
export const MIN_CENTS = 50;
export const MAX_CENTS = 99_999_999;

export function isObject(value: FormValue | undefined): value is FormObject {
  return value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

export function str(params: FormObject, name: string, path = name): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string')
    throw invalid(`Invalid string: ${path}`, 'parameter_invalid_string', path);
  return value;
}

export function requiredStr(params: FormObject, name: string, path = name): string {
  const value = str(params, name, path);
  if (value === undefined || value === '') throw missing(path);
  return value;
}

export function int(params: FormObject, name: string, path = name): number | undefined {
  const value = str(params, name, path);
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw invalid(`Invalid integer: ${value}`, 'parameter_invalid_integer', path);
  }
  return Number(value);
}

export function bool(params: FormObject, name: string): boolean | undefined {
  const value = str(params, name);
  if (value === undefined) return undefined;
  if (value !== 'true' && value !== 'false') {
    throw invalid(`Invalid boolean: ${value}`, 'parameter_invalid_boolean', name);
  }
  return value === 'true';
}

export function array(params: FormObject, name: string): FormValue[] | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (!Array.isArray(value))
    throw invalid(`Invalid array: ${name}`, 'parameter_invalid_array', name);
  return value;
}

export function onlyKnown(params: FormObject, known: Set<string>, prefix = ''): void {
  for (const key of Object.keys(params)) {
    if (!known.has(key)) throw unknownParam(prefix ? `${prefix}[${key}]` : key);
  }
}

export function metadata(value: FormValue | undefined, path: string): Record<string, string> {
  if (value === undefined || value === '') return {};
  if (!isObject(value)) throw invalid(`Invalid hash: ${path}`, 'parameter_invalid_hash', path);
  const entries = Object.entries(value);
  if (entries.length > 50) throw invalid('Metadata can have at most 50 keys.', undefined, path);
  const out: Record<string, string> = {};
  for (const [k, v] of entries) {
    if (typeof v !== 'string') throw invalid(`Invalid string: ${path}[${k}]`, undefined, path);
    if (k.length > 40)
      throw invalid('Metadata keys can be at most 40 characters.', undefined, path);
    if (v.length > 500)
      throw invalid('Metadata values can be at most 500 characters.', undefined, path);
    out[k] = v;
  }
  return out;
}

export function url(params: FormObject, name: string, required: boolean): string | null {
  const value = required ? requiredStr(params, name) : str(params, name);
  if (value === undefined) return null;
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw invalid(`Not a valid URL`, 'url_invalid', name);
  }
  return value;
}

export function paymentMethodTypes(params: FormObject, name: string): string[] | null {
  const list = array(params, name);
  if (list === undefined) return null;
  return list.map((v, i) => {
    if (typeof v !== 'string' || !PAYMENT_METHOD_TYPES.has(v)) {
      throw invalid(
        `Invalid ${name}[${i}]: must be one of ${[...PAYMENT_METHOD_TYPES].join(', ')}`,
        undefined,
        name,
      );
    }
    return v;
  });
}
