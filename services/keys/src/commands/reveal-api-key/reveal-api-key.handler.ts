import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decryptKey } from '../../domain/index.js';
import { ExistingKeyHandler } from '../existing-key-handler.js';
import { RevealApiKeyCommand, type RevealApiKeyResult } from './reveal-api-key.command.js';

@CommandHandler(RevealApiKeyCommand)
export class RevealApiKeyHandler
  extends ExistingKeyHandler
  implements ICommandHandler<RevealApiKeyCommand>
{
  execute({ accountId, apiKeyId, actor }: RevealApiKeyCommand): Promise<RevealApiKeyResult> {
    return this.onExistingKey(
      { type: 'RevealApiKey', apiKeyId, accountId },
      async (client, row, events) => {
        if (row.encryptedKey == null) {
          throw new Error(`API key ${apiKeyId} may be revealed but has no encrypted copy`);
        }
        for (const event of events) {
          if (event.type === 'ApiKeyRevealed') await this.store.recordReveal(client, event, actor);
        }
        // Decrypting last: a blob that fails to decrypt (KeyDecryptionError, a broken invariant)
        // rolls the audit row back with it, since nothing was shown.
        const key = decryptKey(row.encryptedKey, this.options.encryptionKey, apiKeyId);
        return { ok: true, key } as const;
      },
    );
  }
}
