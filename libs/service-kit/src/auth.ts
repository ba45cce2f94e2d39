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
import {
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { ApiError } from './errors.js';
import { routeTemplate } from './logging/access-log.js';
import { currentRequestContext } from './logging/context.js';

/**
 * Who is calling (CONTRACTS.md, "Authentication"):
 * - `Authorization: Bearer <ADMIN_TOKEN>`: an operator, allowed on admin and account routes, but
 *   not on the routes that belong to the platform's own services (holds: see `ServiceAccess`);
 * - `Authorization: Bearer <AUDITOR_TOKEN>`: a read-only operator, allowed on the GET and HEAD
 *   requests of the routes the admin token may read (`@OperatorRead`, `@AccountAccess`) and on no
 *   other request, whatever the route's decorator says;
 * - `Authorization: Bearer <service token>`: an internal caller (the gateway), allowed only on the
 *   routes that name its role with `@ServiceAccess(...)`;
 * - `Authorization: Bearer <JWT>`: that account's console, allowed on `/v1/accounts/{sub}/...`
 *   only. The token must carry `sub`, `iss`, `aud`, `iat` and `exp`, live no longer than the
 *   configured maximum, and be signed HS256 with CONSOLE_JWT_SECRET, or, when a JWKS URL is
 *   configured, RS256/ES256 by a key of that set (HS256 is then refused).
 */
export type Principal =
  | { kind: 'admin' }
  | { kind: 'auditor' }
  | { kind: 'service'; service: string }
  | { kind: 'account'; accountId: string };

/** One credential an internal caller presents; a role may have two at once while it rotates. */
export interface ServiceCredential {
  readonly service: string;
  readonly token: string;
}

/** How account tokens (console JWTs) are verified. */
export interface AccountTokenOptions {
  /** `CONSOLE_JWT_SECRET`: HS256. Ignored when `jwksUrl` is set. */
  readonly secret?: string;
  /** `CONSOLE_JWKS_URL`: the identity provider's key set; RS256 and ES256 only. */
  readonly jwksUrl?: string;
  /** The `iss` every token must carry. */
  readonly issuer: string;
  /** The `aud` every token must carry (one of its values when it is a list). */
  readonly audience: string;
  /** The longest `exp - iat` accepted, and the oldest `iat`, in seconds. */
  readonly maxLifetimeSeconds: number;
}

export interface AuthOptions {
  /** The operators' token. Absent on services that serve no admin route (the gateway). */
  adminToken?: string;
  /** The read-only operators' token (`AUDITOR_TOKEN`); absent: no auditor is accepted. */
  auditorToken?: string;
  /** Absent on services that serve no account routes: account tokens are then refused. */
  accountTokens?: AccountTokenOptions;
  /** The internal callers this service accepts, by role. */
  serviceTokens?: readonly ServiceCredential[];
}

/** What account tokens must say unless a deployment configures otherwise. */
export const DEFAULT_ACCOUNT_TOKEN_ISSUER = 'billing-console';
export const DEFAULT_ACCOUNT_TOKEN_AUDIENCE = 'billing-api';
export const DEFAULT_ACCOUNT_TOKEN_MAX_LIFETIME_SECONDS = 86_400;
/** How far clocks of the issuer and of this service may disagree. */
const CLOCK_TOLERANCE_SECONDS = 30;

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');
const ACCESS = 'billing:access';
type Access =
  'admin' | 'operator-read' | 'account' | 'public' | { readonly services: readonly string[] };

/** Only the admin token may call this route (`/v1/admin/*` and every operator's write). */
export const AdminOnly = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'admin');
/**
 * An operator's read (the audit log, its verification): the admin token, or the auditor token on
 * a GET or HEAD. The auditor is refused any other method even here, so a write route given this
 * decorator by mistake is still closed to it.
 */
export const OperatorRead = (): MethodDecorator & ClassDecorator =>
  SetMetadata(ACCESS, 'operator-read');
/**
 * The admin token, an account token whose `sub` equals the route's `:accountId`, or the auditor
 * token on a GET or HEAD.
 */
export const AccountAccess = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'account');
/** No credentials (health, metrics, docs, webhooks that verify their own signatures). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, 'public');
/**
 * Only the service credentials of these roles: not the admin token, not an account token, not
 * another service's credential. For what belongs to the platform's own machinery (holds).
 */
export const ServiceAccess = (
  ...services: [string, ...string[]]
): MethodDecorator & ClassDecorator => SetMetadata(ACCESS, { services } satisfies Access);

/**
 * Tells the request's log context what routing decided: the route template (the access line and
 * the HTTP histogram are labelled by it) and the account the route names, if any.
 */
function noteRequest(req: Request): void {
  const context = currentRequestContext();
  if (context === undefined) return;
  context.route = routeTemplate(req) ?? context.route;
  const accountId = (req.params as Record<string, unknown> | undefined)?.accountId;
  if (typeof accountId === 'string') context.accountId = accountId;
}

function bearer(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return match?.[1];
}

/** Constant time in the length of the expected secret, whatever is given. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare equal-length buffers even when the lengths differ, so the time says nothing.
  const equal = timingSafeEqual(a.length === b.length ? a : b, b);
  return a.length === b.length && equal;
}

/**
 * Parses `SERVICE_TOKENS`: `role=token` pairs separated by commas (`gateway=...,gateway=...` while
 * a token rotates). Returns the problems without ever echoing a token.
 */
export function parseServiceTokens(
  value: string,
): { ok: true; credentials: ServiceCredential[] } | { ok: false; problems: string[] } {
  const credentials: ServiceCredential[] = [];
  const problems: string[] = [];
  const entries = value.split(',').map((e) => e.trim());
  for (const [i, entry] of entries.entries()) {
    const eq = entry.indexOf('=');
    const service = eq > 0 ? entry.slice(0, eq) : '';
    const token = eq > 0 ? entry.slice(eq + 1) : '';
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(service)) {
      problems.push(`entry ${i + 1} must read <role>=<token> with a lower-case role`);
    } else if (token.length < 32 || /\s/.test(token)) {
      problems.push(`the token of entry ${i + 1} (${service}) must be at least 32 characters`);
    } else {
      credentials.push({ service, token });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, credentials };
}

/** Verifies account tokens; one per service, so that a JWKS is fetched once and cached. */
class AccountTokenVerifier {
  private readonly key: Uint8Array | JWTVerifyGetKey;
  private readonly algorithms: string[];

  constructor(private readonly options: AccountTokenOptions) {
    if (options.jwksUrl !== undefined) {
      // The identity provider's keys: asymmetric only, so a token signed HS256 with the public
      // key as the secret (the classic confusion attack) or `alg: none` never verifies.
      this.key = createRemoteJWKSet(new URL(options.jwksUrl), {
        timeoutDuration: 5_000,
        cooldownDuration: 30_000,
        cacheMaxAge: 600_000,
      });
      this.algorithms = ['RS256', 'ES256'];
    } else if (options.secret !== undefined) {
      this.key = new TextEncoder().encode(options.secret);
      this.algorithms = ['HS256'];
    } else {
      throw new RangeError('account tokens need a secret or a JWKS URL');
    }
    if (!Number.isSafeInteger(options.maxLifetimeSeconds) || options.maxLifetimeSeconds < 1) {
      throw new RangeError('maxLifetimeSeconds must be a positive integer');
    }
  }

  async verify(token: string): Promise<JWTPayload> {
    const common = {
      algorithms: this.algorithms,
      issuer: this.options.issuer,
      audience: this.options.audience,
      maxTokenAge: this.options.maxLifetimeSeconds,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['sub', 'exp', 'iat'],
    };
    const { payload } =
      typeof this.key === 'function'
        ? await jwtVerify(token, this.key, common)
        : await jwtVerify(token, this.key, common);
    // maxTokenAge bounds the age of a token; this bounds the life it claims, so a token minted
    // now with an expiry years away is refused today, not only once it is old.
    const lifetime = (payload.exp ?? 0) - (payload.iat ?? 0);
    if (lifetime > this.options.maxLifetimeSeconds) {
      throw new joseErrors.JWTClaimValidationFailed('lifetime too long', payload, 'exp');
    }
    return payload;
  }
}

const verifiers = new WeakMap<AccountTokenOptions, AccountTokenVerifier>();

function verifierFor(options: AccountTokenOptions): AccountTokenVerifier {
  let verifier = verifiers.get(options);
  if (verifier === undefined) {
    verifier = new AccountTokenVerifier(options);
    verifiers.set(options, verifier);
  }
  return verifier;
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
  if (options.adminToken !== undefined && sameSecret(token, options.adminToken)) {
    return { kind: 'admin' };
  }
  if (options.auditorToken !== undefined && sameSecret(token, options.auditorToken)) {
    return { kind: 'auditor' };
  }
  // Every credential is compared, so the time taken does not tell which role a token is close to.
  let service: string | undefined;
  for (const credential of options.serviceTokens ?? []) {
    if (sameSecret(token, credential.token)) service ??= credential.service;
  }
  if (service !== undefined) return { kind: 'service', service };
  if (options.accountTokens && token.split('.').length === 3) {
    try {
      const payload = await verifierFor(options.accountTokens).verify(token);
      if (typeof payload.sub === 'string' && payload.sub.length > 0) {
        return { kind: 'account', accountId: payload.sub };
      }
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired && err.claim === 'exp') {
        throw new ApiError(401, 'AUTH.TOKEN_EXPIRED', 'the account token has expired');
      }
      // Any other verification failure is answered like an unknown token, without detail.
    }
  }
  throw new ApiError(401, 'AUTH.INVALID_CREDENTIALS', 'the bearer token is not valid');
}

/** The only methods an auditor may use: they change nothing (RFC 9110, safe methods). */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * Global guard: every route must declare its access with @AdminOnly, @OperatorRead, @AccountAccess,
 * @ServiceAccess or @Public, so a new route cannot be left open by forgetting a decorator (it
 * answers 403 instead).
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const req = context.switchToHttp().getRequest<Request & { principal?: Principal }>();
    noteRequest(req);
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (access === 'public') return true;
    const principal = await authenticate(bearer(req), this.options);
    req.principal = principal;
    // The auditor is read-only by method, decided here before any decorator is consulted: no
    // route can forget it, not even one marked for reading by mistake.
    if (principal.kind === 'auditor' && !READ_METHODS.has(req.method.toUpperCase())) {
      throw new ApiError(403, 'AUTH.READ_ONLY', 'the auditor token can read, not change anything');
    }
    if (typeof access === 'object') {
      if (principal.kind === 'service' && access.services.includes(principal.service)) return true;
      throw new ApiError(
        403,
        'AUTH.FORBIDDEN',
        `this route is for the platform's ${access.services.join(', ')} service only`,
      );
    }
    if (principal.kind === 'admin') return true;
    if (principal.kind === 'auditor') {
      if (access === 'operator-read' || access === 'account') return true;
      throw new ApiError(403, 'AUTH.FORBIDDEN', 'this route needs the admin token');
    }
    if (access === 'account' && principal.kind === 'account') {
      const accountId = req.params.accountId;
      if (typeof accountId === 'string' && accountId === principal.accountId) return true;
      throw new ApiError(403, 'AUTH.FORBIDDEN', 'this token does not give access to that account');
    }
    throw new ApiError(
      403,
      'AUTH.FORBIDDEN',
      access === 'account'
        ? 'this route needs an account token or the admin token'
        : 'this route needs the admin token',
    );
  }
}
