import { route, SERVICES, type Route } from './http-routes.js';

const service = (name: string, url?: string) => ({
  kind: 'service',
  service: name,
  ...(url ? { url } : {}),
});

describe('route: which service answers a URL on the one port', () => {
  it.each([
    // gateway: the OpenAI-compatible surface, including its own 404s
    ['/api/v1/chat/completions', 'gateway'],
    ['/api/v1/models', 'gateway'],
    ['/api/v1/models/sim/echo-1', 'gateway'],
    ['/api/v1/embeddings', 'gateway'],
    ['/api/v1', 'gateway'],
    // keys
    ['/v1/accounts/acct_1/api-keys', 'keys'],
    ['/v1/accounts/acct_1/api-keys/key_1', 'keys'],
    ['/v1/accounts/acct_1/api-keys/key_1/reveal', 'keys'],
    [`/v1/internal/api-keys/by-lookup-hash/${'a'.repeat(64)}`, 'keys'],
    // metering
    ['/v1/models', 'metering'],
    ['/v1/models?at=2026-01-01T00:00:00Z', 'metering'],
    ['/v1/admin/models/openai/gpt-5', 'metering'],
    ['/v1/usage', 'metering'],
    ['/v1/accounts/acct_1/requests?apiKeyId=key_1&limit=10', 'metering'],
    ['/v1/accounts/acct_1/claims?limit=10', 'metering'],
    // ledger
    ['/v1/accounts/acct_1/balance', 'ledger'],
    ['/v1/accounts/acct_1/balance?asOf=2026-01-01T00:00:00Z', 'ledger'],
    ['/v1/accounts/acct_1/credits-breakdown', 'ledger'],
    ['/v1/accounts/acct_1/transactions?limit=5&cursor=abc', 'ledger'],
    ['/v1/accounts/acct_1/usage?groupBy=model', 'ledger'],
    ['/v1/accounts/acct_1/holds', 'ledger'],
    ['/v1/accounts/acct_1/holds/req_1', 'ledger'],
    ['/v1/accounts/acct_1/requests/req_1', 'ledger'],
    ['/v1/audit/events?after=0', 'ledger'],
    ['/v1/audit/accounts/acct_1/events', 'ledger'],
    ['/v1/audit/accounts/acct_1/verify', 'ledger'],
    ['/v1/admin/projections', 'ledger'],
    ['/v1/admin/projections/verify', 'ledger'],
    ['/v1/admin/projections/runs/0b9f1f3e-2c1e-4c55-9a52-0c3c9b0d6a71', 'ledger'],
    // payments
    ['/v1/accounts/acct_1/top-ups', 'payments'],
    ['/v1/accounts/acct_1/auto-top-up', 'payments'],
    ['/v1/accounts/acct_1/referral', 'payments'],
    ['/v1/accounts/acct_1/referrals', 'payments'],
    ['/v1/accounts/acct_1/builder-subscription', 'payments'],
    ['/v1/admin/accounts/acct_1/builder-subscription', 'keys'],
    ['/v1/accounts/acct_1/low-balance-alert', 'payments'],
    ['/v1/accounts/acct_1/low-balance-alert/deliveries?limit=5', 'payments'],
    ['/v1/accounts/acct_1/low-balance-alert/webhook-secret', 'payments'],
    ['/v1/accounts/acct_1/payment-methods', 'payments'],
    ['/v1/accounts/acct_1/payment-methods/setup', 'payments'],
    ['/v1/accounts/acct_1/payment-methods/pm_1', 'payments'],
    ['/v1/accounts/acct_1/invoices', 'payments'],
    ['/v1/accounts/acct_1/invoices/inv_1/pdf', 'payments'],
    ['/v1/admin/accounts/acct_1/credits', 'payments'],
    ['/v1/admin/accounts/acct_1/builder-subscription', 'keys'],
    ['/webhooks/stripe', 'payments'],
    // the dead-letter desk: each service its own consumers' dead letters
    ['/v1/admin/dead-letters/metering?topic=usage.observed.v1&limit=20', 'metering'],
    ['/v1/admin/dead-letters/ledger', 'ledger'],
    ['/v1/admin/dead-letters/keys/7/replay', 'keys'],
    ['/v1/admin/dead-letters/payments?cursor=abc', 'payments'],
  ])('%s → %s', (url, expected) => {
    expect(route(url)).toEqual(service(expected, url));
  });

  it('matches as Express does: any case, an optional trailing slash', () => {
    expect(route('/V1/Models/')).toMatchObject(service('metering'));
    expect(route('/v1/accounts/acct_1/balance/')).toMatchObject(service('ledger'));
    expect(route('/API/V1/chat/completions')).toMatchObject(service('gateway'));
  });

  it('keeps the usage routes apart: metering records usage, the ledger reports an account’s', () => {
    expect(route('/v1/usage')).toMatchObject(service('metering'));
    expect(route('/v1/accounts/a/usage')).toMatchObject(service('ledger'));
  });

  it('keeps the request routes apart: metering lists the request log, the ledger explains one request', () => {
    expect(route('/v1/accounts/a/requests')).toMatchObject(service('metering'));
    expect(route('/v1/accounts/a/requests/')).toMatchObject(service('metering'));
    expect(route('/v1/accounts/a/requests?limit=5&cursor=x')).toMatchObject(service('metering'));
    expect(route('/v1/accounts/a/requests/req_1')).toMatchObject(service('ledger'));
    expect(route('/v1/accounts/a/requests/req_1/')).toMatchObject(service('ledger'));
    expect(route('/v1/accounts/a/requests/req_1?x=1')).toMatchObject(service('ledger'));
    expect(route('/v1/accounts/a/requests/req_1/more')).toMatchObject(service('metering'));
  });

  it('routes no dead-letter desk to the gateway (it takes no admin token) nor to an unknown service', () => {
    expect(route('/v1/admin/dead-letters/gateway')).toEqual({ kind: 'not-found' });
    expect(route('/v1/admin/dead-letters')).toEqual({ kind: 'not-found' });
    expect(route('/v1/admin/dead-letters/meteringx/1/replay')).toEqual({ kind: 'not-found' });
  });

  it('does not take a longer word for a route prefix', () => {
    expect(route('/v1/modelsx')).toEqual({ kind: 'not-found' });
    expect(route('/v1/usage-report')).toEqual({ kind: 'not-found' });
    expect(route('/v1/accounts/a/balances')).toEqual({ kind: 'not-found' });
    expect(route('/api/v10/chat')).toEqual({ kind: 'not-found' });
  });

  it('answers health, metrics and docs itself, for all five services', () => {
    expect(route('/health')).toEqual({ kind: 'health' });
    expect(route('/health/ready')).toEqual({ kind: 'health' });
    expect(route('/health/live')).toEqual({ kind: 'live' });
    expect(route('/metrics')).toEqual({ kind: 'metrics' });
    expect(route('/docs')).toEqual({ kind: 'docs', path: '/docs' });
    expect(route('/docs/openapi.json')).toEqual({ kind: 'docs', path: '/docs/openapi.json' });
    expect(route('/docs/swagger-ui.css')).toEqual({ kind: 'docs', path: '/docs/swagger-ui.css' });
  });

  it.each(SERVICES)(
    'reaches any route of %s under /services/<name>, its path unprefixed',
    (name) => {
      expect(route(`/services/${name}/health`)).toEqual(service(name, '/health'));
      expect(route(`/services/${name}/docs/openapi.json?x=1`)).toEqual(
        service(name, '/docs/openapi.json?x=1'),
      );
      expect(route(`/services/${name}`)).toEqual(service(name, '/'));
    },
  );

  it('finds nothing for unknown paths and unknown services', () => {
    const none: Route = { kind: 'not-found' };
    expect(route('/v1/accounts/acct_1')).toEqual(none);
    expect(route('/v1/accounts//balance')).toEqual(none);
    expect(route('/v1/admin/accounts/acct_1/debits')).toEqual(none);
    expect(route('/services/billing/health')).toEqual(none);
    expect(route('/v1')).toEqual(none);
    expect(route('/api/v2/chat')).toEqual(none);
    expect(route('/webhooks/paypal')).toEqual(none);
  });

  it('gives the console every other path, and its own API under /v1/console', () => {
    expect(route('/')).toEqual({ kind: 'console', path: '/' });
    expect(route('/sign-in?code=abc')).toEqual({ kind: 'console', path: '/sign-in' });
    expect(route('/assets/index-1a2b.js')).toEqual({
      kind: 'console',
      path: '/assets/index-1a2b.js',
    });
    expect(route('/keys')).toEqual({ kind: 'console', path: '/keys' });
    expect(route('/v1/console/sessions')).toEqual({
      kind: 'console-api',
      path: '/v1/console/sessions',
    });
    expect(route('/v1/consoles')).toEqual({ kind: 'not-found' });
  });
});
