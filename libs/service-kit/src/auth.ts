import { timingSafeEqual } from 'node:crypto';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  SetMetadata,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { jwtVerify, errors as joseErrors } from 'jose';
import { ApiError } from './errors.js';

/**
 * Who is calling (CONTRACTS.md, "Authentication"):
 * - `Authorization: Bearer <ADMIN_TOKEN>`: an operator, allowed everywhere;
 * - `Authorization: Bearer <JWT>` (HS256 with CONSOLE_JWT_SECRET, `sub` = account id, `exp`
 *   required): that account's console, allowed on `/v1/accounts/{sub}/...` only.
 */
export type Principal = { kind: 'admin' } | { kind: 'account'; accountId: string };

export interface AuthOptions {
  adminToken: string;
  /** Absent on services that serve no account routes: account tokens are then refused. */
  consoleJwtSecret?: string;
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
const ACCESS = 'billing:access';
type Access = 'admin' | 'account' | 'public';

/** Only the admin token may call this route (`/v1/admin/*`, audit routes, ops). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'admin');
/** The admin token, or an account token whose `sub` equals the route's `:accountId`. */
export const AccountAccess = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'account');
/** No credentials (health, metrics, docs, webhooks that verify their own signatures). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'public');

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return match?.[1];
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function authenticate(
  token: string | undefined,
  options: AuthOptions,
): Promise<Principal> {
  if (!token)
    throw new ApiError(
      401,
      'AUTH.MISSING_CREDENTIALS',
      'an Authorization: Bearer token is required',
    );
  if (sameSecret(token, options.adminToken)) return { kind: 'admin' };
  if (options.consoleJwtSecret && token.split('.').length === 3) {
    try {
      const { payload } = await jwtVerify(
        token,
        new TextEncoder().encode(options.consoleJwtSecret),
        {
          algorithms: ['HS256'],
          requiredClaims: ['sub', 'exp'],
        },
      );
      if (typeof payload.sub === 'string' && payload.sub.length > 0) {
        return { kind: 'account', accountId: payload.sub };
      }
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) {
        throw new ApiError(401, 'AUTH.TOKEN_EXPIRED', 'the account token has expired');
      }
      // Any other verification failure is answered like an unknown token, without detail.
    }
  }
  throw new ApiError(401, 'AUTH.INVALID_CREDENTIALS', 'the bearer token is not valid');
}

/**
 * Global guard: every route must declare its access with @AdminOnly, @AccountAccess or @Public,
 * so a new route cannot be left open by forgetting a decorator (it answers 403 instead).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access === 'public') return true;
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    const principal = await authenticate(bearer(req), this.options);
    req.principal = principal;
    if (principal.kind === 'admin') return true;
    if (access === 'account') {
      const accountId = req.params.accountId;
      if (typeof accountId === 'string' && accountId === principal.accountId) return true;
      throw new ApiError(403, 'AUTH.FORBIDDEN', 'this token does not give access to that account');
    }
    throw new ApiError(403, 'AUTH.FORBIDDEN', 'this route needs the admin token');
  }
}
