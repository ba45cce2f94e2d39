import type { ChargeTokens, UnitPrices } from '../lib/history.js';
import {
  ENDPOINTS,
  type BodyOf,
  type Endpoint,
  type EndpointName,
  type PathParams,
  type QueryParams,
  type Responses,
} from './endpoints.js';
import {
  currentSession,
  isOperator,
  signOut,
  type AccountSession,
  type OperatorSession,
} from './session.js';

/** A refusal of the API, in the house error shape `{"error": {"code", "message"}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function errorOf(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = `The server answered ${res.status}.`;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
  } catch {
    // Not JSON: the status says enough.
  }
  return new ApiError(res.status, code, message);
}

/** A call to this origin's API as the signed-in account; a 401 ends the session. */
async function request(method: string, path: string, body?: unknown): Promise<Response> {
  const session = currentSession();
  const res = await fetch(path, {
    method,
    headers: {
      ...(session === undefined ? {} : { authorization: `Bearer ${session.token}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 401 && session !== undefined) signOut();
  if (!res.ok) throw await errorOf(res);
  return res;
}

/**
 * The URL of one of the console's endpoints (endpoints.ts): its path template with each
 * parameter encoded, and the query parameters that are defined.
 */
export function endpointUrl<N extends EndpointName>(
  name: N,
  params: PathParams<N>,
  query?: QueryParams<N>,
): string {
  const endpoint: Endpoint = ENDPOINTS[name];
  const values = params as Readonly<Record<string, string | undefined>>;
  const path = endpoint.path.replace(/\{([^}]+)\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`${name}: no value for {${key}}`);
    return encodeURIComponent(value);
  });
  const search = new URLSearchParams();
  const given: Readonly<Record<string, string | number | undefined>> = query ?? {};
  const entries = Object.entries(given);
  for (const [key, value] of entries) {
    if (value !== undefined) search.set(key, String(value));
  }
  const text = search.toString();
  return text === '' ? path : `${path}?${text}`;
}

export interface CallOptions<N extends EndpointName> {
  readonly query?: QueryParams<N>;
  readonly body?: BodyOf<N>;
}

/** The raw answer of one of the console's endpoints (a file to download). */
export function apiRequest<N extends EndpointName>(
  name: N,
  params: PathParams<N>,
  options: CallOptions<N> = {},
): Promise<Response> {
  return request(ENDPOINTS[name].method, endpointUrl(name, params, options.query), options.body);
}

/** Calls one of the console's endpoints (endpoints.ts) and reads its JSON answer. */
export async function api<N extends EndpointName>(
  name: N,
  params: PathParams<N>,
  options: CallOptions<N> = {},
): Promise<Responses[N]> {
  const res = await apiRequest(name, params, options);
  return (res.status === 204 ? undefined : await res.json()) as Responses[N];
}

/** The signed-in account's id, the `{accountId}` of its own routes. */
export function own(): { readonly accountId: string } {
  const session = currentSession();
  if (session === undefined || isOperator(session)) {
    throw new ApiError(401, 'SIGNED_OUT', 'Sign in to an account first.');
  }
  return { accountId: session.accountId };
}

/** Saves a response or a string as a file the browser downloads. */
export function download(name: string, data: Blob): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// The shapes of docs/CONTRACTS.md the console reads.
export interface Balance {
  readonly accountId: string;
  readonly total: string;
  readonly topUp: string;
  readonly bonusAndCompensation: string;
  readonly held: string;
  readonly available: string;
  readonly asOf: string;
}

export interface CreditsBreakdown {
  readonly topUps: string;
  readonly bonuses: string;
  readonly gifts: string;
  readonly referrals: string;
  readonly compensations: string;
  readonly adjustments: string;
  readonly expired: string;
  readonly usage: string;
  readonly totalBalance: string;
  readonly asOf?: string;
}

export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  readonly status: 'enabled' | 'disabled';
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly used: string;
  /** The most the key may spend a UTC day and a UTC month (decimal USD); null, no limit. */
  readonly spendLimits: { readonly daily: string | null; readonly monthly: string | null };
  /** When the key stops working (ISO-8601 UTC); null, never. */
  readonly expiresAt?: string | null;
  /** `payg` or `builder`. */
  readonly plan?: string;
}

/** One request of metering's request log (`GET .../requests`). */
export interface RequestLogEntry {
  readonly requestId: string;
  readonly apiKeyId: string | null;
  readonly model: string;
  readonly status: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number | null;
  readonly cacheWriteTokens: number | null;
  readonly reasoningTokens: number | null;
  readonly estimated: boolean;
  readonly cost: string;
  readonly priceVersion: string;
  readonly startedAt: string;
  readonly completedAt: string;
  readonly latencyMs: number;
}

/** The ledger's "explain this charge" (`GET .../requests/{requestId}`), the parts shown. */
export interface RequestExplanation {
  readonly requestId: string;
  readonly model: string;
  readonly completedAt: string;
  readonly chargedAt: string;
  readonly tokens: ChargeTokens;
  readonly price: { readonly version: string; readonly perMillionTokens: UnitPrices | null };
  readonly cost: string;
  readonly draws: readonly {
    readonly lotId: string;
    readonly kind: string;
    readonly amount: string;
  }[];
  readonly debtIncurred: string;
  readonly hold: { readonly holdId: string; readonly captured: string | null } | null;
  readonly chargedBy: { readonly eventId: string; readonly position: string };
}

export interface TopUp {
  readonly topUpId: string;
  readonly amount: string;
  readonly status: string;
  readonly method: string | null;
  readonly invoiceId: string | null;
  readonly failureCode: string | null;
  readonly createdAt: string;
  /** The part a promotion code paid (null without one); `amount` is what was charged. */
  readonly discount: string | null;
  readonly promotionCode: string | null;
}

/** A page of a list the API pages by cursor, newest first. */
export interface Page<T> {
  readonly data: T[];
  /** The cursor of the next (older) page; null on the last page. */
  readonly nextCursor: string | null;
}

/** A list the API answers whole (payments' top-ups and saved cards): no cursor. */
export interface List<T> {
  readonly data: T[];
}

export interface PaymentMethod {
  readonly paymentMethodId: string;
  readonly type: string;
  readonly brand: string | null;
  readonly last4: string | null;
  readonly expMonth: number | null;
  readonly expYear: number | null;
  readonly createdAt: string;
  readonly usedByAutoTopUp: boolean;
}

export interface AutoTopUp {
  readonly enabled: boolean;
  readonly threshold: string;
  readonly amount: string;
  readonly paymentMethodId: string;
  readonly disabledReason: string | null;
  readonly consecutiveFailures: number;
  readonly lastFailureAt: string | null;
  readonly lastFailureCode: string | null;
  readonly nextAttemptAt: string | null;
}

/** `GET /v1/accounts/{id}/referrals` (payments). */
export interface Referrals {
  readonly accountId: string;
  readonly code: string;
  readonly totalRewarded: string;
  readonly data: readonly {
    readonly referredAccountId: string;
    readonly status: string;
    readonly referralId: string;
    readonly reward: string | null;
    readonly createdAt: string;
    readonly rewardedAt: string | null;
    readonly revokedAt: string | null;
  }[];
}

/** One claim of `GET /v1/accounts/{id}/claims` (metering's AI insurance). */
export interface Claim {
  readonly claimId: string;
  readonly compensationId: string;
  readonly rule: string;
  readonly policyVersion: string;
  readonly amount: string;
  readonly reason: string;
  readonly requestIds: readonly string[];
  readonly requests: readonly {
    readonly requestId: string;
    readonly model: string;
    readonly status: string;
    readonly cost: string;
    readonly ttftMs: number | null;
    readonly startedAt: string;
    readonly completedAt: string;
  }[];
  readonly issuedAt: string;
}

/** `POST /v1/console/sessions` (the console front's sign-in): a session, or the house error. */
export type SignedIn = Partial<AccountSession & OperatorSession> & {
  readonly error?: { readonly code: string; readonly message: string };
};

/** `POST .../top-ups/quote` (payments): every figure of a top-up with a promotion code. */
export interface TopUpQuote {
  readonly requested: string;
  readonly discount: string;
  readonly charged: string;
  readonly bonus: string;
  readonly credited: string;
  readonly promotionCode: string | null;
}

/** `POST .../top-ups` (payments). */
export interface CreatedTopUp {
  readonly topUpId: string;
  readonly status: 'pending' | 'settled';
  readonly checkoutUrl: string;
}

/** `POST .../referral` (payments): this account signed up with another's code. */
export interface JoinedReferral {
  readonly referrerAccountId: string;
  readonly status: string;
}

export type UsageGrouping = 'day' | 'model' | 'apiKey';

export interface UsageRow {
  readonly day?: string;
  readonly model?: string;
  readonly apiKeyId?: string | null;
  readonly cost: string;
  readonly requests: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/** `GET .../usage` (ledger). */
export interface UsageReport {
  readonly from: string;
  readonly to: string;
  readonly groupBy: UsageGrouping;
  readonly data: UsageRow[];
  readonly total: { readonly cost: string; readonly requests: number };
}
