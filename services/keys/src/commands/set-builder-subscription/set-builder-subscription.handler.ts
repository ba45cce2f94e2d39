import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { ApiKeyStore, type BuilderSubscription } from '../../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { SetBuilderSubscriptionCommand } from './set-builder-subscription.command.js';

/**
 * Stores the account's Builder subscription flag. When it flips, each builder key of the account
 * gets ApiKeySubscriptionChanged on `keys.v1` in the same transaction (the gateway then refuses or
 * admits again the keys already issued); ending it also stops the creation of new builder keys.
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
