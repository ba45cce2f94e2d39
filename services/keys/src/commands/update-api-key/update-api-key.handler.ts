import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decide, fold } from '../../domain/index.js';
import { ApiKeyStore } from '../../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { toApiKeyView } from '../../queries/api-key-view.js';
import { UpdateApiKeyCommand, type UpdateApiKeyResult } from './update-api-key.command.js';

@CommandHandler(UpdateApiKeyCommand)
export class UpdateApiKeyHandler implements ICommandHandler<UpdateApiKeyCommand> {
  constructor(
    private readonly store: ApiKeyStore,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  execute({ accountId, apiKeyId, changes }: UpdateApiKeyCommand): Promise<UpdateApiKeyResult> {
    return this.store.transaction(async (client): Promise<UpdateApiKeyResult> => {
      const row = await this.store.lock(client, apiKeyId);
      const decision = decide(
        {
          type: 'UpdateApiKey',
          apiKeyId,
          accountId,
          now: new Date(this.options.nowMs()),
          ...(changes.name !== undefined && { name: changes.name }),
          ...(changes.status !== undefined && { status: changes.status }),
        },
        row?.state,
      );
      if (!decision.ok) return decision;
      if (row === undefined) throw new Error(`update of missing API key ${apiKeyId} was accepted`);
      if (decision.value.length === 0) return { ok: true, value: toApiKeyView(row) };
      const state = fold(decision.value, row.state);
      if (state === undefined) throw new Error(`API key ${apiKeyId} vanished while updating`);
      await this.store.update(client, state);
      await this.store.publish(client, decision.value);
      return { ok: true, value: toApiKeyView({ ...row, state }) };
    });
  }
}
