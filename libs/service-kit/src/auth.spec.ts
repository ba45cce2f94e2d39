import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Controller,
  type DynamicModule,
  Get,
  type INestApplication,
  Module,
  Param,
  Post,
  Put,
} from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import {
  AccountAccess,
  AdminOnly,
  AUTH_OPTIONS,
  AuthGuard,
  OperatorRead,
  type AuthOptions,
  DEFAULT_ACCOUNT_TOKEN_AUDIENCE,
  DEFAULT_ACCOUNT_TOKEN_ISSUER,
  parseServiceTokens,
  Public,
  ServiceAccess,
} from './auth.js';
import { configureApp } from './bootstrap.js';

const adminToken = 'admin-token-0123456789abcdef';
const auditorToken = 'auditor-token-0123456789abcdef';
const jwtSecret = 'console-jwt-secret-0123456789abcdef0123';
const gatewayToken = 'gateway-service-token-0123456789abcdef';
const gatewayNextToken = 'gateway-service-token-next-0123456789ab';
const paymentsToken = 'payments-service-token-0123456789abcdef';

@Controller()
class ProbeController {
  @Public()
  @Get('open')
  open(): string {
    return 'open';
  }

  @AdminOnly()
  @Get('v1/admin/thing')
  admin(): string {
    return 'admin';
  }

  @AdminOnly()
  @Post('v1/admin/accounts/:accountId/credits')
  grant(): string {
    return 'granted';
  }

  @OperatorRead()
  @Get('v1/audit/events')
  auditLog(): { data: unknown[] } {
    return { data: [] };
  }

  // A write given the read decorator by mistake: the auditor must still be refused.
  @OperatorRead()
  @Post('v1/audit/mistake')
  mistake(): string {
    return 'changed';
  }

  @AccountAccess()
  @Put('v1/accounts/:accountId/auto-top-up')
  autoTopUp(@Param('accountId') accountId: string): { accountId: string } {
    return { accountId };
  }

  @AccountAccess()
  @Get('v1/accounts/:accountId/balance')
  balance(@Param('accountId') accountId: string): { accountId: string } {
    return { accountId };
  }

  @ServiceAccess('gateway')
  @Post('v1/accounts/:accountId/holds')
  placeHold(@Param('accountId') accountId: string): { accountId: string } {
    return { accountId };
  }

  @Get('undeclared')
  undeclared(): string {
    return 'undeclared';
  }
}

@Module({})
class ProbeModule {
  static with(options: AuthOptions): DynamicModule {
    return {
      module: ProbeModule,
      controllers: [ProbeController],
      providers: [
        { provide: AUTH_OPTIONS, useValue: options },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    };
  }
}

const hs256Options: AuthOptions = {
  adminToken,
  auditorToken,
  accountTokens: {
    secret: jwtSecret,
    issuer: DEFAULT_ACCOUNT_TOKEN_ISSUER,
    audience: DEFAULT_ACCOUNT_TOKEN_AUDIENCE,
    maxLifetimeSeconds: 3600,
  },
  serviceTokens: [
    { service: 'gateway', token: gatewayToken },
    { service: 'gateway', token: gatewayNextToken },
    { service: 'payments', token: paymentsToken },
  ],
};

interface TokenOptions {
  exp?: string | number;
  iat?: number | null;
  iss?: string | null;
  aud?: string | null;
  secret?: string;
  alg?: string;
}

async function accountToken(sub: string, opts: TokenOptions = {}) {
  const jwt = new SignJWT({}).setProtectedHeader({ alg: opts.alg ?? 'HS256' }).setSubject(sub);
  claims(jwt, opts);
  return jwt.sign(new TextEncoder().encode(opts.secret ?? jwtSecret));
}

/** The registered claims a console token carries, each one left out or changed on demand. */
function claims(jwt: SignJWT, opts: TokenOptions): void {
  if (opts.iat !== null) jwt.setIssuedAt(opts.iat);
  jwt.setExpirationTime(opts.exp ?? '5m');
  if (opts.iss !== null) jwt.setIssuer(opts.iss ?? DEFAULT_ACCOUNT_TOKEN_ISSUER);
  if (opts.aud !== null) jwt.setAudience(opts.aud ?? DEFAULT_ACCOUNT_TOKEN_AUDIENCE);
}

async function startProbe(options: AuthOptions) {
  const app: INestApplication = await NestFactory.create(ProbeModule.with(options), {
    logger: false,
  });
  configureApp(app, 'probe');
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const call = async (method: string, path: string, token?: string) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const body: unknown = await res.json().catch(() => undefined);
    return { status: res.status, body };
  };
  return { app, call };
}

describe('AuthGuard', () => {
  let probe: Awaited<ReturnType<typeof startProbe>>;

  beforeAll(async () => {
    probe = await startProbe(hs256Options);
  });
  afterAll(async () => probe.app.close());

  const get = (path: string, token?: string) => probe.call('GET', path, token);
  const post = (path: string, token?: string) => probe.call('POST', path, token);

  it('lets anyone call a public route', async () => {
    expect((await get('/open')).status).toBe(200);
  });

  it('answers 401 in the contract error shape without a token', async () => {
    expect(await get('/v1/accounts/acct_1/balance')).toEqual({
      status: 401,
      body: { error: { code: 'AUTH.MISSING_CREDENTIALS', message: expect.any(String) as string } },
    });
  });

  it('lets the admin token call admin and account routes', async () => {
    expect((await get('/v1/admin/thing', adminToken)).status).toBe(200);
    expect((await get('/v1/accounts/acct_1/balance', adminToken)).status).toBe(200);
  });

  it("lets an account token read its own account's routes", async () => {
    expect(await get('/v1/accounts/acct_1/balance', await accountToken('acct_1'))).toEqual({
      status: 200,
      body: { accountId: 'acct_1' },
    });
  });

  it("should not let an account token read another account's routes", async () => {
    const res = await get('/v1/accounts/acct_2/balance', await accountToken('acct_1'));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      error: { code: 'AUTH.FORBIDDEN', message: expect.any(String) as string },
    });
  });

  it('should not let an account token call admin or undeclared routes', async () => {
    const token = await accountToken('acct_1');
    expect((await get('/v1/admin/thing', token)).status).toBe(403);
    expect((await get('/undeclared', token)).status).toBe(403);
  });

  it('refuses expired, wrongly signed, unsigned and near-miss tokens with 401', async () => {
    const expired = await accountToken('acct_1', { exp: Math.floor(Date.now() / 1000) - 60 });
    expect(await get('/v1/accounts/acct_1/balance', expired)).toMatchObject({
      status: 401,
      body: { error: { code: 'AUTH.TOKEN_EXPIRED' } },
    });
    const forged = await accountToken('acct_1', {
      secret: 'another-secret-0123456789abcdef0123456',
    });
    expect((await get('/v1/accounts/acct_1/balance', forged)).status).toBe(401);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: 'acct_1', exp: 9999999999 })).toString(
      'base64url',
    );
    expect((await get('/v1/accounts/acct_1/balance', `${header}.${payload}.`)).status).toBe(401);
    expect((await get('/v1/admin/thing', `${adminToken}x`)).status).toBe(401);
  });

  it('requires an exp claim on account tokens', async () => {
    const noExp = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('acct_1')
      .setIssuedAt()
      .setIssuer(DEFAULT_ACCOUNT_TOKEN_ISSUER)
      .setAudience(DEFAULT_ACCOUNT_TOKEN_AUDIENCE)
      .sign(new TextEncoder().encode(jwtSecret));
    expect((await get('/v1/accounts/acct_1/balance', noExp)).status).toBe(401);
  });

  describe('account tokens: issuer, audience and lifetime', () => {
    const balance = '/v1/accounts/acct_1/balance';

    it('refuses a token of another issuer, or without one', async () => {
      expect((await get(balance, await accountToken('acct_1', { iss: 'evil-idp' }))).status).toBe(
        401,
      );
      expect((await get(balance, await accountToken('acct_1', { iss: null }))).status).toBe(401);
    });

    it('refuses a token for another audience, or without one', async () => {
      const other = await accountToken('acct_1', { aud: 'another-product' });
      expect(await get(balance, other)).toMatchObject({
        status: 401,
        body: { error: { code: 'AUTH.INVALID_CREDENTIALS' } },
      });
      expect((await get(balance, await accountToken('acct_1', { aud: null }))).status).toBe(401);
    });

    it('refuses a token whose lifetime exceeds the maximum, even while it is young', async () => {
      // Issued now, expiring in 2 hours: the maximum is 1 hour.
      const longLived = await accountToken('acct_1', { exp: '2h' });
      expect((await get(balance, longLived)).status).toBe(401);
      // The same secret, a lifetime of 59 minutes: accepted.
      expect((await get(balance, await accountToken('acct_1', { exp: '59m' }))).status).toBe(200);
    });

    it('refuses a token without iat (its lifetime cannot be known) or issued in the future', async () => {
      expect((await get(balance, await accountToken('acct_1', { iat: null }))).status).toBe(401);
      const now = Math.floor(Date.now() / 1000);
      const future = await accountToken('acct_1', { iat: now + 600, exp: now + 900 });
      expect((await get(balance, future)).status).toBe(401);
    });

    it('refuses a token issued longer ago than the maximum lifetime', async () => {
      const now = Math.floor(Date.now() / 1000);
      const old = await accountToken('acct_1', { iat: now - 7200, exp: now + 60 });
      expect((await get(balance, old)).status).toBe(401);
    });
  });

  describe('the auditor token (read-only operator)', () => {
    const readOnly = {
      status: 403,
      body: { error: { code: 'AUTH.READ_ONLY', message: expect.any(String) as string } },
    };

    it("reads the operator's routes and any account's routes", async () => {
      expect(await get('/v1/audit/events', auditorToken)).toEqual({
        status: 200,
        body: { data: [] },
      });
      expect((await get('/v1/accounts/acct_1/balance', auditorToken)).status).toBe(200);
      expect((await get('/v1/accounts/acct_2/balance', auditorToken)).status).toBe(200);
      expect((await probe.call('HEAD', '/v1/audit/events', auditorToken)).status).toBe(200);
    });

    it('should not let the auditor grant credits, or write an account route', async () => {
      expect(await post('/v1/admin/accounts/acct_1/credits', auditorToken)).toEqual(readOnly);
      expect(await probe.call('PUT', '/v1/accounts/acct_1/auto-top-up', auditorToken)).toEqual(
        readOnly,
      );
    });

    it('should not let the auditor write even a write route marked @OperatorRead by mistake', async () => {
      expect(await post('/v1/audit/mistake', auditorToken)).toEqual(readOnly);
      expect((await post('/v1/audit/mistake', adminToken)).status).toBe(201);
    });

    it('should not let the auditor read an admin-only, undeclared or service route', async () => {
      expect((await get('/v1/admin/thing', auditorToken)).status).toBe(403);
      expect((await get('/undeclared', auditorToken)).status).toBe(403);
      expect((await post('/v1/accounts/acct_1/holds', auditorToken)).status).toBe(403);
    });

    it('should not let an account token read the operator routes', async () => {
      expect((await get('/v1/audit/events', await accountToken('acct_1'))).status).toBe(403);
    });

    it('refuses a near-miss of the auditor token with 401, and any auditor when none is configured', async () => {
      expect((await get('/v1/audit/events', `${auditorToken}x`)).status).toBe(401);
      const noAuditor = await startProbe({ ...hs256Options, auditorToken: undefined });
      try {
        expect((await noAuditor.call('GET', '/v1/audit/events', auditorToken)).status).toBe(401);
      } finally {
        await noAuditor.app.close();
      }
    });
  });

  describe('service credentials', () => {
    const holds = '/v1/accounts/acct_1/holds';

    it('lets the gateway credential call a route for the gateway role', async () => {
      expect(await post(holds, gatewayToken)).toEqual({
        status: 201,
        body: { accountId: 'acct_1' },
      });
    });

    it('accepts both gateway credentials while one rotates', async () => {
      expect((await post(holds, gatewayNextToken)).status).toBe(201);
    });

    it('should not let an account place a hold on its own account (the overspend attack)', async () => {
      const res = await post(holds, await accountToken('acct_1'));
      expect(res).toEqual({
        status: 403,
        body: { error: { code: 'AUTH.FORBIDDEN', message: expect.any(String) as string } },
      });
    });

    it('should not let the admin token call a route for the gateway role', async () => {
      expect((await post(holds, adminToken)).status).toBe(403);
    });

    it("should not let another service's credential call a route for the gateway role", async () => {
      expect((await post(holds, paymentsToken)).status).toBe(403);
    });

    it('should not let a service credential call account or admin routes', async () => {
      expect((await get('/v1/accounts/acct_1/balance', gatewayToken)).status).toBe(403);
      expect((await get('/v1/admin/thing', gatewayToken)).status).toBe(403);
    });

    it('refuses a near-miss of a service credential with 401', async () => {
      expect((await post(holds, `${gatewayToken}x`)).status).toBe(401);
      expect((await post(holds, gatewayToken.slice(0, -1))).status).toBe(401);
    });
  });
});

describe('parseServiceTokens', () => {
  it('reads role=token pairs, the same role twice while it rotates', () => {
    expect(parseServiceTokens(`gateway=${gatewayToken}, gateway=${gatewayNextToken}`)).toEqual({
      ok: true,
      credentials: [
        { service: 'gateway', token: gatewayToken },
        { service: 'gateway', token: gatewayNextToken },
      ],
    });
  });

  it('names every bad entry and never echoes a token', () => {
    const result = parseServiceTokens(`gateway=short,${gatewayToken},Gateway=${gatewayNextToken}`);
    expect(result.ok).toBe(false);
    const text = JSON.stringify(result);
    expect(text).toContain('entry 1');
    expect(text).toContain('entry 2');
    expect(text).toContain('entry 3');
    expect(text).not.toContain('short');
    expect(text).not.toContain(gatewayToken);
    expect(text).not.toContain(gatewayNextToken);
  });
});

describe('AuthGuard with account tokens from a JWKS URL (RS256/ES256)', () => {
  let jwks: Server;
  let jwksRequests = 0;
  let probe: Awaited<ReturnType<typeof startProbe>>;
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let stranger: { privateKey: CryptoKey; publicKey: CryptoKey };
  let rsaPublicJwk: JWK;
  const balance = '/v1/accounts/acct_1/balance';

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
    stranger = await generateKeyPair('RS256', { extractable: true });
    rsaPublicJwk = { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' };
    const keys = [rsaPublicJwk, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' }];
    // A local identity provider's key set, as an IdP serves it.
    jwks = createServer((req, res) => {
      jwksRequests++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const { port } = jwks.address() as AddressInfo;
    probe = await startProbe({
      adminToken,
      accountTokens: {
        jwksUrl: `http://127.0.0.1:${port}/.well-known/jwks.json`,
        issuer: 'https://idp.example',
        audience: 'billing',
        maxLifetimeSeconds: 3600,
      },
    });
  });
  afterAll(async () => {
    await probe.app.close();
    await new Promise((resolve) => jwks.close(resolve));
  });

  const signed = (key: CryptoKey, alg: string, kid: string, opts: TokenOptions = {}) => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg, kid }).setSubject('acct_1');
    claims(jwt, { iss: 'https://idp.example', aud: 'billing', ...opts });
    return jwt.sign(key);
  };
  const get = (path: string, token?: string) => probe.call('GET', path, token);

  it('accepts an RS256 and an ES256 token signed by keys of the set', async () => {
    expect((await get(balance, await signed(rsa.privateKey, 'RS256', 'rsa-1'))).status).toBe(200);
    expect((await get(balance, await signed(ec.privateKey, 'ES256', 'ec-1'))).status).toBe(200);
    expect(jwksRequests).toBeGreaterThan(0);
  });

  it('refuses a token signed by a key that is not in the set, even under a known kid', async () => {
    expect((await get(balance, await signed(stranger.privateKey, 'RS256', 'rsa-1'))).status).toBe(
      401,
    );
    expect((await get(balance, await signed(stranger.privateKey, 'RS256', 'other'))).status).toBe(
      401,
    );
  });

  it('refuses HS256 (the key-confusion attack: the public key used as an HMAC secret)', async () => {
    const publicKeyAsSecret = new TextEncoder().encode(JSON.stringify(rsaPublicJwk));
    const jwt = new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' })
      .setSubject('acct_1');
    claims(jwt, { iss: 'https://idp.example', aud: 'billing' });
    expect((await get(balance, await jwt.sign(publicKeyAsSecret))).status).toBe(401);
    // And a token made with the shared console secret is no account token here either.
    expect((await get(balance, await accountToken('acct_1'))).status).toBe(401);
  });

  it("refuses alg 'none'", async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa-1' })).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const payload = Buffer.from(
      JSON.stringify({
        sub: 'acct_1',
        iss: 'https://idp.example',
        aud: 'billing',
        iat: now,
        exp: now + 60,
      }),
    ).toString('base64url');
    expect((await get(balance, `${header}.${payload}.`)).status).toBe(401);
  });

  it('refuses a well-signed token with the wrong issuer or audience, or too long a life', async () => {
    const key = rsa.privateKey;
    expect((await get(balance, await signed(key, 'RS256', 'rsa-1', { iss: 'x' }))).status).toBe(
      401,
    );
    expect((await get(balance, await signed(key, 'RS256', 'rsa-1', { aud: 'x' }))).status).toBe(
      401,
    );
    expect((await get(balance, await signed(key, 'RS256', 'rsa-1', { exp: '3h' }))).status).toBe(
      401,
    );
  });
});
