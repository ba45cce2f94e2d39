import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ApiKeyStore } from '../../infrastructure/api-key-store.js';
import { ApplyBuilderSubscriptionChangeCommand } from './apply-builder-subscription-change.command.js';

@CommandHandler(ApplyBuilderSubscriptionChangeCommand)
export class ApplyBuilderSubscriptionChangeHandler implements ICommandHandler<ApplyBuilderSubscriptionChangeCommand> {
  constructor(private readonly store: ApiKeyStore) {}

  async execute({ event, client }: ApplyBuilderSubscriptionChangeCommand): Promise<void> {
    const { data } = event;
    await this.store.applyBuilderSubscriptionChange(client, {
      accountId: event.accountId,
      active: data.active,
      subscriptionId: data.subscriptionId,
      currentPeriodEnd:
        data.active && data.currentPeriodEnd !== undefined ? new Date(data.currentPeriodEnd) : null,
      at: new Date(event.occurredAt),
    });
  }
}
