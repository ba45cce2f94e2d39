import { Controller, Get, type INestApplication, Module, Param } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { SignJWT } from 'jose';
import { AccountAccess, AdminOnly, AUTH_OPTIONS, AuthGuard, Public } from './auth.js';
import { configureApp } from './bootstrap.js';

const adminToken = 'admin-token-0123456789abcdef';
const jwtSecret = 'console-jwt-secret-0123456789abcdef0123';

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

  @AccountAccess()
  @Get('v1/accounts/:accountId/balance')
  balance(@Param('accountId') accountId: string): { accountId: string } {
    return { accountId };
  }

  @Get('undeclared')
  undeclared(): string {
    return 'undeclared';
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    { provide: AUTH_OPTIONS, useValue: { adminToken, consoleJwtSecret: jwtSecret } },
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
})
class ProbeModule {}

async function accountToken(
  sub: string,
  opts: { exp?: string | number; secret?: string; alg?: string } = {},
) {
  return new SignJWT({})
    .setProtectedHeader({ alg: opts.alg ?? 'HS256' })
    .setSubject(sub)
    .setExpirationTime(opts.exp ?? '5m')
    .sign(new TextEncoder().encode(opts.secret ?? jwtSecret));
}

describe('AuthGuard', () => {
  let app: INestApplication;
  let base: string;

  beforeAll(async () => {
    app = await NestFactory.create(ProbeModule, { logger: false });
    configureApp(app, 'probe');
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
  });
  afterAll(async () => app.close());

  const get = async (path: string, token?: string) => {
    const res = await fetch(`${base.replace('[::1]', '127.0.0.1')}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    const body: unknown = await res.json().catch(() => undefined);
    return { status: res.status, body };
  };

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
      .sign(new TextEncoder().encode(jwtSecret));
    expect((await get('/v1/accounts/acct_1/balance', noExp)).status).toBe(401);
  });
});
