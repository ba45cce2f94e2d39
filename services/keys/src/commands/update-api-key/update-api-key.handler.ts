import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { fold } from '../../domain/index.js';
import { toApiKeyView } from '../../queries/api-key-view.js';
import { ExistingKeyHandler } from '../existing-key-handler.js';
import { UpdateApiKeyCommand, type UpdateApiKeyResult } from './update-api-key.command.js';

@CommandHandler(UpdateApiKeyCommand)
export class UpdateApiKeyHandler
  extends ExistingKeyHandler
  implements ICommandHandler<UpdateApiKeyCommand>
{
  execute({ accountId, apiKeyId, changes }: UpdateApiKeyCommand): Promise<UpdateApiKeyResult> {
    return this.onExistingKey(
      {
        type: 'UpdateApiKey',
        apiKeyId,
        accountId,
        ...(changes.name !== undefined && { name: changes.name }),
        ...(changes.status !== undefined && { status: changes.status }),
        ...(changes.expiresAt !== undefined && { expiresAt: changes.expiresAt }),
        ...(changes.spendLimits !== undefined && { spendLimits: changes.spendLimits }),
      },
      async (client, row, events) => {
        if (events.length === 0) return { ok: true, value: toApiKeyView(row) } as const;
        const state = fold(events, row.state);
        if (state === undefined) throw new Error(`API key ${apiKeyId} vanished while updating`);
        await this.store.update(client, state);
        await this.store.publish(client, events);
        return { ok: true, value: toApiKeyView({ ...row, state }) } as const;
      },
    );
  }
}
