import type {
  ApiKey,
  AutoTopUp,
  Balance,
  Claim,
  CreatedTopUp,
  CreditsBreakdown,
  JoinedReferral,
  List,
  Page,
  PaymentMethod,
  Referrals,
  RequestExplanation,
  RequestLogEntry,
  SignedIn,
  TopUp,
  TopUpQuote,
  UsageReport,
} from './api.js';
import type { TransactionRow } from '../lib/csv.js';
import type { TopUpSettings } from '../lib/money.js';
import type {
  AccountEventsPage,
  ChainVerification,
  DeadLetterPage,
  DeadLetterReplay,
  GrantedCredit,
  GrantRequest,
  LogPage,
  ProjectionRun,
  ProjectionsStatus,
} from './operator/api.js';

/** The services whose consumers' dead letters the operator's desk reads (not the gateway). */
export const DEAD_LETTER_SERVICES = ['metering', 'ledger', 'keys', 'payments'] as const;

/**
 * Every route of the API the console calls, as data: its method, its path template (the
 * services' OpenAPI spelling, `{name}` for a path parameter), the query parameters it may send,
 * and, for a path parameter that takes only some values, which. Every call goes through
 * `api()`/`endpointUrl()` of api.ts with one of these names, so this table is the whole list, and
 * apps/console/src/api-contract.spec.ts checks it, with the response and body types below,
 * against the services' OpenAPI documents.
 */
export const ENDPOINTS = {
  // The console front's own routes (`/v1/console/*`, apps/standalone and apps/console-server).
  consoleSettings: { method: 'GET', path: '/v1/console/settings' },
  signIn: { method: 'POST', path: '/v1/console/sessions' },

  // ledger
  balance: { method: 'GET', path: '/v1/accounts/{accountId}/balance' },
  creditsBreakdown: {
    method: 'GET',
    path: '/v1/accounts/{accountId}/credits-breakdown',
    query: ['asOf'],
  },
  transactions: {
    method: 'GET',
    path: '/v1/accounts/{accountId}/transactions',
    query: ['limit', 'cursor', 'type', 'from', 'to'],
  },
  usage: {
    method: 'GET',
    path: '/v1/accounts/{accountId}/usage',
    query: ['from', 'to', 'groupBy'],
  },
  requestExplanation: { method: 'GET', path: '/v1/accounts/{accountId}/requests/{requestId}' },
  projectionsStatus: { method: 'GET', path: '/v1/admin/projections' },
  startProjectionsVerify: { method: 'POST', path: '/v1/admin/projections/verify' },
  projectionRun: { method: 'GET', path: '/v1/admin/projections/runs/{runId}' },
  accountEvents: {
    method: 'GET',
    path: '/v1/audit/accounts/{accountId}/events',
    query: ['fromVersion', 'limit'],
  },
  verifyChain: { method: 'GET', path: '/v1/audit/accounts/{accountId}/verify' },
  globalLog: { method: 'GET', path: '/v1/audit/events', query: ['limit', 'after'] },

  // metering
  requests: {
    method: 'GET',
    path: '/v1/accounts/{accountId}/requests',
    query: ['apiKeyId', 'limit', 'cursor'],
  },
  claims: { method: 'GET', path: '/v1/accounts/{accountId}/claims', query: ['limit', 'cursor'] },

  // keys
  apiKeys: { method: 'GET', path: '/v1/accounts/{accountId}/api-keys' },
  createApiKey: { method: 'POST', path: '/v1/accounts/{accountId}/api-keys' },
  apiKey: { method: 'GET', path: '/v1/accounts/{accountId}/api-keys/{apiKeyId}' },
  updateApiKey: { method: 'PATCH', path: '/v1/accounts/{accountId}/api-keys/{apiKeyId}' },
  deleteApiKey: { method: 'DELETE', path: '/v1/accounts/{accountId}/api-keys/{apiKeyId}' },
  revealApiKey: { method: 'POST', path: '/v1/accounts/{accountId}/api-keys/{apiKeyId}/reveal' },

  // payments
  topUps: { method: 'GET', path: '/v1/accounts/{accountId}/top-ups' },
  createTopUp: { method: 'POST', path: '/v1/accounts/{accountId}/top-ups' },
  quoteTopUp: { method: 'POST', path: '/v1/accounts/{accountId}/top-ups/quote' },
  autoTopUp: { method: 'GET', path: '/v1/accounts/{accountId}/auto-top-up' },
  setAutoTopUp: { method: 'PUT', path: '/v1/accounts/{accountId}/auto-top-up' },
  paymentMethods: { method: 'GET', path: '/v1/accounts/{accountId}/payment-methods' },
  setUpPaymentMethod: { method: 'POST', path: '/v1/accounts/{accountId}/payment-methods/setup' },
  deletePaymentMethod: {
    method: 'DELETE',
    path: '/v1/accounts/{accountId}/payment-methods/{paymentMethodId}',
  },
  invoicePdf: { method: 'GET', path: '/v1/accounts/{accountId}/invoices/{invoiceId}/pdf' },
  referrals: { method: 'GET', path: '/v1/accounts/{accountId}/referrals', query: ['limit'] },
  joinReferral: { method: 'POST', path: '/v1/accounts/{accountId}/referral' },
  grantCredit: { method: 'POST', path: '/v1/admin/accounts/{accountId}/credits' },

  // every service but the gateway: its own consumers' dead letters
  deadLetters: {
    method: 'GET',
    path: '/v1/admin/dead-letters/{service}',
    query: ['state', 'topic', 'limit', 'cursor'],
    values: { service: DEAD_LETTER_SERVICES },
  },
  replayDeadLetter: {
    method: 'POST',
    path: '/v1/admin/dead-letters/{service}/{id}/replay',
    values: { service: DEAD_LETTER_SERVICES },
  },
} as const satisfies Record<string, Endpoint>;

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Endpoint {
  readonly method: Method;
  readonly path: string;
  readonly query?: readonly string[];
  readonly values?: Readonly<Record<string, readonly string[]>>;
}

export type EndpointName = keyof typeof ENDPOINTS;

/** The `{name}`s of a path template. */
type ParamNames<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | ParamNames<Rest>
  : never;

/** The path parameters of an endpoint, each a string (encoded by `endpointUrl`). */
export type PathParams<N extends EndpointName> = {
  readonly [K in ParamNames<(typeof ENDPOINTS)[N]['path']>]: (typeof ENDPOINTS)[N] extends {
    readonly values: { readonly [P in K]: readonly (infer V)[] };
  }
    ? V
    : string;
};

/** The query parameters an endpoint may be sent; an undefined one is left out. */
export type QueryParams<N extends EndpointName> = (typeof ENDPOINTS)[N] extends {
  readonly query: readonly (infer Q extends string)[];
}
  ? { readonly [K in Q]?: string | number | undefined }
  : never;

/**
 * What each endpoint answers, as the console reads it (`void`: nothing read, or a 204). The
 * fields of these types are checked against the response schemas the services' OpenAPI documents
 * declare (every service route here has one).
 */
export interface Responses extends Record<EndpointName, unknown> {
  consoleSettings: TopUpSettings;
  signIn: SignedIn;
  balance: Balance;
  creditsBreakdown: CreditsBreakdown;
  transactions: Page<TransactionRow>;
  usage: UsageReport;
  requestExplanation: RequestExplanation;
  projectionsStatus: ProjectionsStatus;
  startProjectionsVerify: { readonly runId: string };
  projectionRun: ProjectionRun;
  accountEvents: AccountEventsPage;
  verifyChain: ChainVerification;
  globalLog: LogPage;
  requests: Page<RequestLogEntry>;
  claims: Page<Claim>;
  apiKeys: { readonly data: readonly ApiKey[] };
  createApiKey: { readonly id: string; readonly name: string; readonly key: string };
  apiKey: ApiKey;
  updateApiKey: void;
  deleteApiKey: void;
  revealApiKey: { readonly key: string };
  topUps: List<TopUp>;
  createTopUp: CreatedTopUp;
  quoteTopUp: TopUpQuote;
  autoTopUp: AutoTopUp;
  setAutoTopUp: AutoTopUp;
  paymentMethods: List<PaymentMethod>;
  setUpPaymentMethod: { readonly status: 'pending' | 'saved'; readonly setupUrl: string };
  deletePaymentMethod: void;
  /** A PDF file, read as a Blob (`request()`), not JSON. */
  invoicePdf: void;
  referrals: Referrals;
  joinReferral: JoinedReferral;
  grantCredit: GrantedCredit;
  deadLetters: DeadLetterPage;
  replayDeadLetter: DeadLetterReplay;
}

/** The JSON bodies the console sends; their fields are checked against the request schemas. */
export interface Bodies {
  signIn: { readonly code: string };
  createApiKey: { readonly name: string };
  updateApiKey: {
    readonly name?: string;
    readonly status?: 'enabled' | 'disabled';
    /** An empty field removes that limit (null); the keys service checks the amounts. */
    readonly spendLimits?: { readonly daily: string | null; readonly monthly: string | null };
  };
  createTopUp: {
    readonly amount: string;
    readonly method: string;
    readonly promotionCode?: string;
  };
  /** Sent only once both are known (the query is disabled until then). */
  quoteTopUp: { readonly amount: string | undefined; readonly promotionCode: string | undefined };
  setAutoTopUp: {
    readonly enabled: boolean;
    readonly threshold: string;
    readonly amount: string;
    readonly paymentMethodId: string;
  };
  joinReferral: { readonly code: string };
  grantCredit: GrantRequest;
}

export type BodyOf<N extends EndpointName> = N extends keyof Bodies ? Bodies[N] : never;
