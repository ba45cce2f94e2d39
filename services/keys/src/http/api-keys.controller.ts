import { AccountRoutes, ApiError, type Principal } from '@billing/service-kit';
import { Body, Delete, Get, Header, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import {
  CreateApiKeyCommand,
  type CreatedApiKey,
} from '../commands/create-api-key/create-api-key.command.js';
import { DeleteApiKeyCommand } from '../commands/delete-api-key/delete-api-key.command.js';
import { RevealApiKeyCommand } from '../commands/reveal-api-key/reveal-api-key.command.js';
import { UpdateApiKeyCommand } from '../commands/update-api-key/update-api-key.command.js';
import type { SpendLimitsChange } from '../domain/index.js';
import type { ApiKeyDetailsView, ApiKeyView } from '../queries/api-key-view.js';
import { GetApiKeyQuery } from '../queries/get-api-key/get-api-key.query.js';
import { type ApiKeyList, ListApiKeysQuery } from '../queries/list-api-keys/list-api-keys.query.js';
import { AccountParams, ApiKeyParams, CreateApiKeyBody, UpdateApiKeyBody } from './dto.js';
import { keyNotFound, keysApiError } from './keys-errors.js';
import {
  ApiKeyDetailsResponse,
  ApiKeyListResponse,
  ApiKeyResponse,
  CreatedApiKeyResponse,
  RevealedApiKeyResponse,
} from './responses.js';

/**
 * `/v1/accounts/{accountId}/api-keys`: the admin token, or the account's own console token (any
 * other account's token answers 403 before a handler runs: AuthGuard, @AccountAccess). A key id
 * of another account under the caller's own account path answers 404, exactly like a missing key.
 *
 * The two answers that carry the full key (create, reveal) are marked `no-store` so that no proxy
 * or browser cache keeps them. Nothing here logs a request or a response body.
 */
@AccountRoutes('api-keys', 'api-keys')
export class ApiKeysController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post()
  @HttpCode(201)
  @ApiCreatedResponse({ type: CreatedApiKeyResponse })
  @Header('Cache-Control', 'no-store')
  async create(
    @Param() { accountId }: AccountParams,
    @Body() { name, expiresAt, plan }: CreateApiKeyBody,
  ): Promise<CreatedApiKey> {
    const result = await this.commandBus.execute(
      new CreateApiKeyCommand(accountId, name, expiresAt ?? null, plan ?? 'payg'),
    );
    if (!result.ok) throw keysApiError(result.error);
    return result.value;
  }

  @Get()
  @ApiOkResponse({ type: ApiKeyListResponse })
  list(@Param() { accountId }: AccountParams): Promise<ApiKeyList> {
    return this.queryBus.execute(new ListApiKeysQuery(accountId));
  }

  @Get(':apiKeyId')
  @ApiOkResponse({ type: ApiKeyDetailsResponse })
  async details(@Param() { accountId, apiKeyId }: ApiKeyParams): Promise<ApiKeyDetailsView> {
    const view = await this.queryBus.execute(new GetApiKeyQuery(accountId, apiKeyId));
    if (view === undefined) throw keyNotFound();
    return view;
  }

  @Post(':apiKeyId/reveal')
  @HttpCode(200)
  @ApiOkResponse({ type: RevealedApiKeyResponse })
  @Header('Cache-Control', 'no-store')
  async reveal(
    @Param() { accountId, apiKeyId }: ApiKeyParams,
    @Req() req: Request & { principal?: Principal },
  ): Promise<{ key: string }> {
    const result = await this.commandBus.execute(
      new RevealApiKeyCommand(accountId, apiKeyId, actorOf(req.principal)),
    );
    if (!result.ok) throw keysApiError(result.error);
    return { key: result.key };
  }

  @Patch(':apiKeyId')
  @ApiOkResponse({ type: ApiKeyResponse })
  async update(
    @Param() { accountId, apiKeyId }: ApiKeyParams,
    @Body() body: UpdateApiKeyBody,
  ): Promise<ApiKeyView> {
    const result = await this.commandBus.execute(
      new UpdateApiKeyCommand(accountId, apiKeyId, {
        ...(body.name !== undefined && { name: body.name }),
        ...(body.status !== undefined && { status: body.status }),
        // null is a request (remove the expiry), not an absence.
        ...(body.expiresAt !== undefined && { expiresAt: body.expiresAt }),
        ...(body.spendLimits !== undefined && { spendLimits: spendLimitsChange(body.spendLimits) }),
      }),
    );
    if (!result.ok) throw keysApiError(result.error);
    return result.value;
  }

  @Delete(':apiKeyId')
  @HttpCode(204)
  async remove(@Param() { accountId, apiKeyId }: ApiKeyParams): Promise<void> {
    const result = await this.commandBus.execute(new DeleteApiKeyCommand(accountId, apiKeyId));
    if (!result.ok) throw keysApiError(result.error);
  }
}

/** Who a reveal is recorded for. The guard has set the principal on every @AccountAccess route. */
function actorOf(principal: Principal | undefined): string {
  if (principal === undefined) throw new Error('no principal on an authenticated route');
  switch (principal.kind) {
    case 'admin':
      return 'admin';
    // Unreachable today (a reveal is a POST, which the guard refuses the auditor), named anyway.
    case 'auditor':
      return 'auditor';
    case 'service':
      return `service:${principal.service}`;
    case 'account':
      return `account:${principal.accountId}`;
  }
}

/**
 * The `spendLimits` of a PATCH as the domain reads it: `daily` and `monthly` only (anything else
 * is refused, not ignored: a misspelt period must not leave a key unlimited), null kept as a
 * request to remove. Their values are checked by the domain (KEYS.INVALID_SPEND_LIMIT).
 */
function spendLimitsChange(raw: Record<string, unknown>): SpendLimitsChange {
  const unknown = Object.keys(raw).filter((k) => k !== 'daily' && k !== 'monthly');
  if (unknown.length > 0) {
    throw new ApiError(
      400,
      'KEYS.INVALID_SPEND_LIMIT',
      `spendLimits takes daily and monthly only, not ${unknown.join(', ')}`,
    );
  }
  const value = (period: string, v: unknown): string | null => {
    if (v === null || typeof v === 'string') return v;
    // A number would be read as a float somewhere: money is a decimal string (CONTRACTS.md).
    throw new ApiError(
      400,
      'KEYS.INVALID_SPEND_LIMIT',
      `spendLimits.${period} must be a decimal USD string or null`,
    );
  };
  return {
    ...(raw.daily !== undefined && { daily: value('daily', raw.daily) }),
    ...(raw.monthly !== undefined && { monthly: value('monthly', raw.monthly) }),
  };
}
