import { applyDecorators, Controller } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { AccountAccess } from './auth.js';

/**
 * A controller of an account's own routes, `v1/accounts/:accountId` (and `/path` below it): the
 * admin token, the account's own console token, or the read-only auditor token on a GET; another
 * account's token answers 403 before a
 * handler runs (AuthGuard, @AccountAccess). In the OpenAPI document under `tag`, with bearer auth.
 * A route of such a controller that is for less than that says so itself (`@ServiceAccess`).
 */
export function AccountRoutes(tag: string, path?: string): ClassDecorator {
  return applyDecorators(
    ApiTags(tag),
    ApiBearerAuth(),
    AccountAccess(),
    Controller(path === undefined ? 'v1/accounts/:accountId' : `v1/accounts/:accountId/${path}`),
  );
}
