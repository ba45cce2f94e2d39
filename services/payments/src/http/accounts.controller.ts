import { AccountRoutes, ApiError } from '@billing/service-kit';
import {
  Body,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Query,
  StreamableFile,
} from '@nestjs/common';
import { CommandBus, QueryBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiProduces } from '@nestjs/swagger';
import { ConfigureAutoTopUpCommand } from '../commands/configure-auto-top-up/configure-auto-top-up.command.js';
import {
  LinkPaymentMethodCommand,
  type PaymentMethodSetup,
} from '../commands/link-payment-method/link-payment-method.command.js';
import { RemovePaymentMethodCommand } from '../commands/remove-payment-method/remove-payment-method.command.js';
import {
  type CreatedTopUp,
  CreateTopUpCommand,
} from '../commands/create-top-up/create-top-up.command.js';
import {
  type AutoTopUpView,
  GetAutoTopUpQuery,
} from '../queries/get-auto-top-up/get-auto-top-up.query.js';
import { GetInvoicePdfQuery } from '../queries/get-invoice-pdf/get-invoice-pdf.query.js';
import {
  type InvoiceView,
  ListInvoicesQuery,
} from '../queries/list-invoices/list-invoices.query.js';
import {
  ListPaymentMethodsQuery,
  type PaymentMethodView,
} from '../queries/list-payment-methods/list-payment-methods.query.js';
import { ListTopUpsQuery, type TopUpView } from '../queries/list-top-ups/list-top-ups.query.js';
import { QuoteTopUpQuery, type TopUpQuote } from '../queries/quote-top-up/quote-top-up.query.js';
import {
  AccountParams,
  AutoTopUpBody,
  CreateTopUpBody,
  InvoiceParams,
  ListQuery,
  PaymentMethodParams,
  TopUpQuoteBody,
} from './dto.js';
import { unwrap } from './payments-errors.js';
import {
  AutoTopUpResponse,
  CreatedTopUpResponse,
  PaymentMethodListResponse,
  PaymentMethodSetupResponse,
  TopUpListResponse,
  TopUpQuoteResponse,
} from './responses.js';

/**
 * The account's own routes: the admin token, or the account's console token (another account's
 * token answers 403 before a handler runs: AuthGuard, @AccountAccess).
 */
@AccountRoutes('accounts')
export class AccountsController {
  constructor(
    private readonly commandBus: CommandBus,
    private readonly queryBus: QueryBus,
  ) {}

  @Post('top-ups')
  @ApiCreatedResponse({ type: CreatedTopUpResponse })
  async createTopUp(
    @Param() { accountId }: AccountParams,
    @Body() body: CreateTopUpBody,
  ): Promise<CreatedTopUp> {
    return unwrap(
      await this.commandBus.execute(
        new CreateTopUpCommand(accountId, body.amount, body.method, body.promotionCode),
      ),
    );
  }

  /** What a top-up would charge and credit with a promotion code, before paying; nothing reserved. */
  @Post('top-ups/quote')
  @HttpCode(200)
  @ApiOkResponse({ type: TopUpQuoteResponse })
  async quoteTopUp(
    @Param() { accountId }: AccountParams,
    @Body() body: TopUpQuoteBody,
  ): Promise<TopUpQuote> {
    return unwrap(
      await this.queryBus.execute(new QuoteTopUpQuery(accountId, body.amount, body.promotionCode)),
    );
  }

  @Get('top-ups')
  @ApiOkResponse({ type: TopUpListResponse })
  topUps(
    @Param() { accountId }: AccountParams,
    @Query() { limit }: ListQuery,
  ): Promise<{ data: TopUpView[] }> {
    return this.queryBus.execute(new ListTopUpsQuery(accountId, limit ?? 50));
  }

  @Get('auto-top-up')
  @ApiOkResponse({ type: AutoTopUpResponse })
  async autoTopUp(@Param() { accountId }: AccountParams): Promise<AutoTopUpView> {
    const view = await this.queryBus.execute(new GetAutoTopUpQuery(accountId));
    if (view === undefined) {
      throw new ApiError(
        404,
        'PAYMENTS.NOT_FOUND',
        'auto top-up is not configured for this account',
      );
    }
    return view;
  }

  @Put('auto-top-up')
  @ApiOkResponse({ type: AutoTopUpResponse })
  async configureAutoTopUp(
    @Param() { accountId }: AccountParams,
    @Body() body: AutoTopUpBody,
  ): Promise<AutoTopUpView> {
    return unwrap(
      await this.commandBus.execute(
        new ConfigureAutoTopUpCommand(
          accountId,
          body.enabled,
          body.threshold,
          body.amount,
          body.paymentMethodId,
        ),
      ),
    );
  }

  @Post('payment-methods/setup')
  @ApiCreatedResponse({ type: PaymentMethodSetupResponse })
  async linkPaymentMethod(@Param() { accountId }: AccountParams): Promise<PaymentMethodSetup> {
    return unwrap(await this.commandBus.execute(new LinkPaymentMethodCommand(accountId)));
  }

  @Get('payment-methods')
  @ApiOkResponse({ type: PaymentMethodListResponse })
  paymentMethods(@Param() { accountId }: AccountParams): Promise<{ data: PaymentMethodView[] }> {
    return this.queryBus.execute(new ListPaymentMethodsQuery(accountId));
  }

  @Delete('payment-methods/:paymentMethodId')
  @HttpCode(204)
  async removePaymentMethod(
    @Param() { accountId, paymentMethodId }: PaymentMethodParams,
  ): Promise<void> {
    unwrap(
      await this.commandBus.execute(new RemovePaymentMethodCommand(accountId, paymentMethodId)),
    );
  }

  @Get('invoices')
  invoices(
    @Param() { accountId }: AccountParams,
    @Query() { limit }: ListQuery,
  ): Promise<{ data: InvoiceView[] }> {
    return this.queryBus.execute(new ListInvoicesQuery(accountId, limit ?? 50));
  }

  @Get('invoices/:invoiceId/pdf')
  @ApiProduces('application/pdf')
  async invoicePdf(@Param() { accountId, invoiceId }: InvoiceParams): Promise<StreamableFile> {
    const found = await this.queryBus.execute(new GetInvoicePdfQuery(accountId, invoiceId));
    if (found === undefined) throw new ApiError(404, 'PAYMENTS.NOT_FOUND', 'no such invoice');
    return new StreamableFile(found.pdf, {
      type: 'application/pdf',
      disposition: `inline; filename="${found.number}.pdf"`,
      length: found.pdf.length,
    });
  }
}
