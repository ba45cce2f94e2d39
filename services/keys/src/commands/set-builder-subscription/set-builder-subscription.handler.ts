import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ApiKeyStore, type BuilderSubscription } from '../../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { SetBuilderSubscriptionCommand } from './set-builder-subscription.command.js';

/**
 * Stores the account's Builder subscription flag. Ending a subscription stops the creation of new
 * builder keys; the builder keys already issued keep working until they are disabled or deleted
 * (a known gap, docs/CONTRACTS.md).
 */
@CommandHandler(SetBuilderSubscriptionCommand)
export class SetBuilderSubscriptionHandler implements ICommandHandler<SetBuilderSubscriptionCommand> {
  constructor(
    private readonly store: ApiKeyStore,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  execute({
    accountId,
    active,
    reference,
  }: SetBuilderSubscriptionCommand): Promise<BuilderSubscription> {
    return this.store.setBuilderSubscription(
      accountId,
      active,
      reference,
      new Date(this.options.nowMs()),
    );
  }
}
