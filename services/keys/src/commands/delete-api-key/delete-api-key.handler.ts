import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { fold } from '../../domain/index.js';
import { ExistingKeyHandler } from '../existing-key-handler.js';
import { DeleteApiKeyCommand, type DeleteApiKeyResult } from './delete-api-key.command.js';

@CommandHandler(DeleteApiKeyCommand)
export class DeleteApiKeyHandler
  extends ExistingKeyHandler
  implements ICommandHandler<DeleteApiKeyCommand>
{
  execute({ accountId, apiKeyId }: DeleteApiKeyCommand): Promise<DeleteApiKeyResult> {
    return this.onExistingKey(
      { type: 'DeleteApiKey', apiKeyId, accountId },
      async (client, row, events) => {
        const state = fold(events, row.state);
        if (state === undefined) throw new Error(`API key ${apiKeyId} vanished while deleting`);
        await this.store.update(client, state);
        await this.store.publish(client, events);
        return { ok: true } as const;
      },
    );
  }
}
