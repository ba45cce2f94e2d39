import type { FormObject } from '../form-encoding.js';

export const STAND_IN_API_VERSION = '2026-10-28.endive';

export interface StripeStandInOptions {
  readonly secretKey: string;
  /** Where `deliver` sends events, and the secret it signs them with. */
  readonly webhook?: { readonly url: string; readonly secret: string };
  readonly host?: string;
  readonly port?: number;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly idempotencyKey: string | undefined;
  readonly params: FormObject;
  readonly status: number;
  readonly response: unknown;
  /** Answered from the idempotency store, not executed again. */
  readonly replayed: boolean;
}

export type StripeObject = Record<string, unknown>;

export interface StripeEvent {
  readonly id: string;
  readonly object: 'event';
  readonly api_version: string;
  readonly created: number;
  readonly livemode: false;
  readonly pending_webhooks: number;
  readonly request: { readonly id: string | null; readonly idempotency_key: string | null };
  readonly type: string;
  readonly data: { readonly object: StripeObject; readonly previous_attributes?: StripeObject };
}
