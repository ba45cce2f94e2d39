import { AccountRoutes, ApiError } from '@billing/service-kit';
import { Body, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  ConfigureLowBalanceAlertCommand,
  type ConfiguredLowBalanceAlert,
} from '../commands/configure-low-balance-alert/configure-low-balance-alert.command.js';
import { RotateAlertWebhookSecretCommand } from '../commands/rotate-alert-webhook-secret/rotate-alert-webhook-secret.command.js';
import {
  GetLowBalanceAlertQuery,
  type LowBalanceAlertView,
} from '../queries/get-low-balance-alert/get-low-balance-alert.query.js';
import {
  ListAlertDeliveriesQuery,
  type AlertDeliveryView,
} from '../queries/list-alert-deliveries/list-alert-deliveries.query.js';
import { AccountParams, ListQuery, LowBalanceAlertBody } from './dto.js';
import { unwrap } from './payments-errors.js';

/**
 * Low-balance alerts (issue #17): the account's own routes, like auto top-up (the admin token or
 * the account's console token; another account's token is a 403 before a handler runs).
 */
@AccountRoutes('low-balance-alerts', 'low-balance-alert')
export class LowBalanceAlertsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Get()
  async get(@Param() { accountId }: AccountParams): Promise<LowBalanceAlertView> {
    const view = await this.queryBus.execute(new GetLowBalanceAlertQuery(accountId));
    if (view === undefined) {
      throw new ApiError(404, 'PAYMENTS.NOT_FOUND', 'no low-balance alert is configured');
    }
    return view;
  }

  @Put()
  async configure(
    @Param() { accountId }: AccountParams,
    @Body() body: LowBalanceAlertBody,
  ): Promise<ConfiguredLowBalanceAlert> {
    return unwrap(
      await this.commandBus.execute(
        new ConfigureLowBalanceAlertCommand(
          accountId,
          body.enabled,
          body.threshold,
          body.email ?? null,
          body.webhookUrl ?? null,
        ),
      ),
    );
  }

  @Post('webhook-secret')
  @HttpCode(200)
  async rotateSecret(@Param() { accountId }: AccountParams): Promise<{ webhookSecret: string }> {
    return unwrap(await this.commandBus.execute(new RotateAlertWebhookSecretCommand(accountId)));
  }

  @Get('deliveries')
  deliveries(
    @Param() { accountId }: AccountParams,
    @Query() { limit }: ListQuery,
  ): Promise<{ data: AlertDeliveryView[] }> {
    return this.queryBus.execute(new ListAlertDeliveriesQuery(accountId, limit ?? 50));
  }
}
