import { parseUsd } from '@billing/money';
import { AccountRoutes, ApiError, ServiceAccess } from '@billing/service-kit';
import { Body, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse } from '@nestjs/swagger';
import { ExtendHoldCommand } from '../commands/extend-hold/extend-hold.command.js';
import { type HoldKey, PlaceHoldCommand } from '../commands/place-hold/place-hold.command.js';
import { ReleaseHoldCommand } from '../commands/release-hold/release-hold.command.js';
import { utcDay } from '../domain/index.js';
import { formatUsd } from '@billing/money';
import {
  ExplainRequestQuery,
  type RequestExplanationView,
} from '../queries/explain-request/explain-request.query.js';
import { type BalanceView, GetBalanceQuery } from '../queries/get-balance/get-balance.query.js';
import {
  type CreditsBreakdownView,
  GetCreditsBreakdownQuery,
} from '../queries/get-credits-breakdown/get-credits-breakdown.query.js';
import { GetUsageQuery, type UsageView } from '../queries/get-usage/get-usage.query.js';
import { type HoldListView, ListHoldsQuery } from '../queries/list-holds/list-holds.query.js';
import { InvalidCursorError } from '../queries/list-transactions/list-transactions.handler.js';
import {
  ListTransactionsQuery,
  type TransactionFilter,
  type TransactionPage,
} from '../queries/list-transactions/list-transactions.query.js';
import {
  AccountParams,
  AsOfQuery,
  ExtendHoldBody,
  HoldParams,
  parseTransactionTypes,
  PlaceHoldBody,
  RequestParams,
  TransactionsQuery,
  UsageQuery,
} from './dto.js';
import { REQUEST_NOT_FOUND, ledgerApiError, rethrowContended } from './ledger-errors.js';
import {
  BalanceResponse,
  CreditsBreakdownResponse,
  RequestExplanationResponse,
  TransactionPageResponse,
  UsageResponse,
} from './responses.js';

export interface HoldView {
  readonly holdId: string;
  /** Available after the hold was placed (or released). */
  readonly available: string;
}

export interface ExtendedHoldView {
  readonly holdId: string;
  readonly expiresAt: string;
}

/** Holds belong to the platform: only the gateway's service credential changes them. */
const GATEWAY = 'gateway';

const DAY_MS = 86_400_000;
const DEFAULT_USAGE_DAYS = 30;

/**
 * The account's own routes: the admin token, or the account's console token (any other account's
 * token answers 403 before a handler runs: AuthGuard, @AccountAccess). Placing, extending and
 * releasing holds is for the gateway's service credential alone (@ServiceAccess): a customer who
 * could release their own hold could overspend (issue #10), and an operator has no business
 * with a running request's admission.
 */
@AccountRoutes('accounts')
export class AccountsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get('balance')
  @ApiOkResponse({ type: BalanceResponse })
  balance(
    @Param() { accountId }: AccountParams,
    @Query() { asOf }: AsOfQuery,
  ): Promise<BalanceView> {
    return this.queryBus.execute(new GetBalanceQuery(accountId, instant(asOf)));
  }

  @Get('credits-breakdown')
  @ApiOkResponse({ type: CreditsBreakdownResponse })
  creditsBreakdown(
    @Param() { accountId }: AccountParams,
    @Query() { asOf }: AsOfQuery,
  ): Promise<CreditsBreakdownView> {
    return this.queryBus.execute(new GetCreditsBreakdownQuery(accountId, instant(asOf)));
  }

  @Get('transactions')
  @ApiOkResponse({ type: TransactionPageResponse })
  async transactions(
    @Param() { accountId }: AccountParams,
    @Query() { limit, cursor, type, from, to }: TransactionsQuery,
  ): Promise<TransactionPage> {
    const fromDay = from === undefined ? undefined : dayOf(from, 'from');
    const toDay = to === undefined ? undefined : dayOf(to, 'to');
    if (fromDay !== undefined && toDay !== undefined && fromDay > toDay) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'from must not be after to');
    }
    const filter: TransactionFilter = {
      ...(type !== undefined && { types: parseTransactionTypes(type) }),
      ...(fromDay !== undefined && { fromDay }),
      ...(toDay !== undefined && { toDay }),
    };
    try {
      return await this.queryBus.execute(
        new ListTransactionsQuery(accountId, limit ?? 50, cursor, filter),
      );
    } catch (err) {
      if (err instanceof InvalidCursorError)
        throw new ApiError(400, 'VALIDATION_FAILED', err.message);
      throw err;
    }
  }

  @Get('usage')
  @ApiOkResponse({ type: UsageResponse })
  usage(
    @Param() { accountId }: AccountParams,
    @Query() { from, to, groupBy }: UsageQuery,
  ): Promise<UsageView> {
    const toDay = to === undefined ? utcDay(Date.now()) : dayOf(to, 'to');
    const fromDay =
      from === undefined
        ? utcDay(Date.parse(toDay) - (DEFAULT_USAGE_DAYS - 1) * DAY_MS)
        : dayOf(from, 'from');
    if (fromDay > toDay) throw new ApiError(400, 'VALIDATION_FAILED', 'from must not be after to');
    return this.queryBus.execute(new GetUsageQuery(accountId, fromDay, toDay, groupBy ?? 'day'));
  }

  /**
   * "Explain this charge": the request's tokens, prices, cost, the lots it drew from and the
   * ledger events that record it. Another account's request id answers the same 404 as an unknown
   * one (the charge is looked up under this account only).
   */
  @Get('requests/:requestId')
  @ApiOkResponse({ type: RequestExplanationResponse })
  async explainRequest(
    @Param() { accountId, requestId }: RequestParams,
  ): Promise<RequestExplanationView> {
    const view = await this.queryBus.execute(new ExplainRequestQuery(accountId, requestId));
    if (view === undefined) {
      throw new ApiError(
        404,
        REQUEST_NOT_FOUND,
        'no charge of this account for that request id (usage is charged moments after a request completes)',
      );
    }
    return view;
  }

  @Get('holds')
  holds(@Param() { accountId }: AccountParams): Promise<HoldListView> {
    return this.queryBus.execute(new ListHoldsQuery(accountId));
  }

  @ServiceAccess(GATEWAY)
  @Post('holds')
  @HttpCode(201)
  async placeHold(
    @Param() { accountId }: AccountParams,
    @Body() body: PlaceHoldBody,
  ): Promise<HoldView> {
    const result = await this.commandBus
      .execute(
        new PlaceHoldCommand(
          accountId,
          body.holdId,
          parseUsd(body.amount),
          body.ttlSeconds,
          keyOfHold(body),
        ),
      )
      .catch(rethrowContended);
    if (!result.ok) throw ledgerApiError(result.error);
    return { holdId: result.holdId, available: formatUsd(result.availableNanos) };
  }

  @ServiceAccess(GATEWAY)
  @Post('holds/:holdId/extend')
  @HttpCode(200)
  async extendHold(
    @Param() { accountId, holdId }: HoldParams,
    @Body() body: ExtendHoldBody,
  ): Promise<ExtendedHoldView> {
    const result = await this.commandBus
      .execute(new ExtendHoldCommand(accountId, holdId, body.ttlSeconds))
      .catch(rethrowContended);
    if (!result.ok) throw ledgerApiError(result.error);
    return { holdId: result.holdId, expiresAt: new Date(result.expiresAtMs).toISOString() };
  }

  @ServiceAccess(GATEWAY)
  @Delete('holds/:holdId')
  @HttpCode(200)
  async releaseHold(@Param() { accountId, holdId }: HoldParams): Promise<HoldView> {
    const result = await this.commandBus
      .execute(new ReleaseHoldCommand(accountId, holdId))
      .catch(rethrowContended);
    if (!result.ok) throw ledgerApiError(result.error);
    return { holdId: result.holdId, available: formatUsd(result.availableNanos) };
  }
}

function instant(iso: string | undefined): Date | undefined {
  if (iso === undefined) return undefined;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new ApiError(400, 'VALIDATION_FAILED', 'asOf must be an ISO-8601 time');
  return new Date(ms);
}

function dayOf(iso: string, field: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms))
    throw new ApiError(400, 'VALIDATION_FAILED', `${field} must be an ISO-8601 date`);
  return utcDay(ms);
}

/** The key a hold is for and its spend limits, or undefined for a hold of no key. */
function keyOfHold(body: PlaceHoldBody): HoldKey | undefined {
  const { apiKeyId, dailySpendLimit, monthlySpendLimit } = body;
  if (apiKeyId === undefined) {
    if (dailySpendLimit !== undefined || monthlySpendLimit !== undefined) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'a spend limit needs the apiKeyId it limits');
    }
    return undefined;
  }
  return {
    apiKeyId,
    limits: {
      ...(dailySpendLimit !== undefined && { dailyNanos: parseUsd(dailySpendLimit) }),
      ...(monthlySpendLimit !== undefined && { monthlyNanos: parseUsd(monthlySpendLimit) }),
    },
  };
}
