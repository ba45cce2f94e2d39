// `@billing/contracts/http-routes`: which service owns which path of the HTTP contract
// (CONTRACTS.md, "HTTP"), for the fronts that put the five behind one origin: the standalone app
// (apps/standalone/src/front-server.ts) and the console server of the distributed mode
// (apps/console-server). One table, so the two never disagree about a route.

/** The five services, in the order they start (each one's HTTP dependencies before it). */
export const SERVICES = ['metering', 'ledger', 'keys', 'payments', 'gateway'] as const;
export type ServiceName = (typeof SERVICES)[number];

/**
 * Where a request goes:
 * - `service`: one service's Nest application, with `url` (a service-only path when the request
 *   came through `/services/<name>/...`);
 * - `health` (readiness: `/health`, `/health/ready`), `live` (`/health/live`), `metrics`,
 *   `docs`: answered by the front itself (the standalone process answers them for all five);
 * - `console-api` (`/v1/console/*`: the console's sign-in and settings) and `console` (its pages and
 *   files: any other path outside `/v1`, `/api`, `/services` and `/webhooks`): the console;
 * - `not-found`: no service has the route.
 */
export type Route =
  | { readonly kind: 'service'; readonly service: ServiceName; readonly url: string }
  | { readonly kind: 'health' | 'live' | 'metrics' | 'not-found' }
  | { readonly kind: 'docs' | 'console' | 'console-api'; readonly path: string };

const SEGMENT = '[^/]+';
const ACCOUNT = `/v1/accounts/${SEGMENT}`;
/** The path itself or anything below it, with an optional trailing slash. */
const under = (prefix: string): string => `${prefix}(?:/.*)?`;

/**
 * The route table, first match wins. It mirrors the services' controllers (CONTRACTS.md, "HTTP");
 * a route a service adds under a prefix listed here needs no change.
 */
const TABLE: readonly (readonly [RegExp, ServiceName])[] = (
  [
    [under('/api/v1'), 'gateway'],
    [under(`${ACCOUNT}/api-keys`), 'keys'],
    // The gateway's key lookup (its service token only): KEYS_URL is this process.
    [under('/v1/internal/api-keys'), 'keys'],
    [under('/v1/models'), 'metering'],
    [under('/v1/admin/models'), 'metering'],
    [under('/v1/usage'), 'metering'],
    // One request explained ("explain this charge") is the ledger's; the request log is metering's.
    [`${ACCOUNT}/requests/${SEGMENT}/?`, 'ledger'],
    [under(`${ACCOUNT}/requests`), 'metering'],
    // The AI insurance's claims are evaluated and kept by metering, beside the request log.
    [under(`${ACCOUNT}/claims`), 'metering'],
    [under(`${ACCOUNT}/(?:balance|credits-breakdown|transactions|usage|holds)`), 'ledger'],
    [under('/v1/audit'), 'ledger'],
    // The projections' rebuilds and verifies (the operator's desk): kept by the ledger.
    [under('/v1/admin/projections'), 'ledger'],
    [
      under(`${ACCOUNT}/(?:top-ups|auto-top-up|low-balance-alert|payment-methods|invoices)`),
      'payments',
    ],
    // Referrals (issue #17): the account's code and rewards, and signing up with a code.
    [under(`${ACCOUNT}/(?:referral|referrals)`), 'payments'],
    // The Builder subscription the customer pays through the payment provider (issue #17).
    [under(`${ACCOUNT}/builder-subscription`), 'payments'],
    [under(`/v1/admin/accounts/${SEGMENT}/credits`), 'payments'],
    [under('/v1/admin/promotion-codes'), 'payments'],
    // An operator's switch of an account's Builder subscription: only keys checks it.
    [under(`/v1/admin/accounts/${SEGMENT}/builder-subscription`), 'keys'],
    [under('/webhooks/stripe'), 'payments'],
    // The dead-letter desk (docs/adr/015): each service serves the dead letters of the consumers
    // it runs, under its own name. Not the gateway's: it takes no admin token.
    [under('/v1/admin/dead-letters/metering'), 'metering'],
    [under('/v1/admin/dead-letters/ledger'), 'ledger'],
    [under('/v1/admin/dead-letters/keys'), 'keys'],
    [under('/v1/admin/dead-letters/payments'), 'payments'],
  ] as const
).map(([pattern, service]) => [new RegExp(`^${pattern}$`, 'i'), service] as const);

const SERVICE_PREFIX = /^\/services\/([a-z]+)(\/.*)?$/;

function isService(name: string): name is ServiceName {
  return (SERVICES as readonly string[]).includes(name);
}

/**
 * Routes a request by its URL (path and query string), the way Express would match the services'
 * controllers: case-insensitive, an optional trailing slash. `/services/<name>/<path>` reaches any
 * route of one service directly (its own `/health`, `/metrics`, `/docs`).
 */
export function route(url: string): Route {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  const query = queryAt < 0 ? '' : url.slice(queryAt);

  const direct = SERVICE_PREFIX.exec(path);
  if (direct !== null) {
    const name = direct[1] ?? '';
    return isService(name)
      ? { kind: 'service', service: name, url: `${direct[2] ?? '/'}${query}` }
      : { kind: 'not-found' };
  }
  // `/health` is readiness, as on every service (`/health/ready`); `/health/live` the process.
  if (/^\/health(?:\/ready)?\/?$/i.test(path)) return { kind: 'health' };
  if (/^\/health\/live\/?$/i.test(path)) return { kind: 'live' };
  if (/^\/metrics\/?$/i.test(path)) return { kind: 'metrics' };
  if (/^\/docs(?:\/.*)?$/i.test(path)) return { kind: 'docs', path };
  for (const [pattern, service] of TABLE) {
    if (pattern.test(path)) return { kind: 'service', service, url };
  }
  if (/^\/v1\/console(?:\/.*)?$/i.test(path)) return { kind: 'console-api', path };
  // The API's prefixes never fall through to the console's page: an unknown route is a 404 there.
  if (/^\/(?:v1|api|services|webhooks)(?:\/.*)?$/i.test(path)) return { kind: 'not-found' };
  return { kind: 'console', path };
}
