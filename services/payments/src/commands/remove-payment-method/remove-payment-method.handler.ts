import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { PaymentMethods } from '../payment-methods.js';
import type { Result } from '../../domain/index.js';
import { RemovePaymentMethodCommand } from './remove-payment-method.command.js';

@CommandHandler(RemovePaymentMethodCommand)
export class RemovePaymentMethodHandler implements ICommandHandler<RemovePaymentMethodCommand> {
  constructor(private readonly paymentMethods: PaymentMethods) {}

  execute({
    accountId,
    paymentMethodId,
  }: RemovePaymentMethodCommand): Promise<Result<{ readonly autoTopUpSwitchedOff: boolean }>> {
    return this.paymentMethods.remove(accountId, paymentMethodId);
  }
}
