import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decide, fold } from '../../domain/index.js';
import { ApiKeyStore } from '../../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { DeleteApiKeyCommand, type DeleteApiKeyResult } from './delete-api-key.command.js';

@CommandHandler(DeleteApiKeyCommand)
export class DeleteApiKeyHandler implements ICommandHandler<DeleteApiKeyCommand> {
  constructor(
    private readonly store: ApiKeyStore,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  execute({ accountId, apiKeyId }: DeleteApiKeyCommand): Promise<DeleteApiKeyResult> {
    return this.store.transaction(async (client): Promise<DeleteApiKeyResult> => {
      const row = await this.store.lock(client, apiKeyId);
      const decision = decide(
        { type: 'DeleteApiKey', apiKeyId, accountId, now: new Date(this.options.nowMs()) },
        row?.state,
      );
      if (!decision.ok) return decision;
      const state = fold(decision.value, row?.state);
      if (state === undefined) throw new Error(`API key ${apiKeyId} vanished while deleting`);
      await this.store.update(client, state);
      await this.store.publish(client, decision.value);
      return { ok: true };
    });
  }
}
