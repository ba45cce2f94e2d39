import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { decide, decryptKey } from '../../domain/index.js';
import { ApiKeyStore } from '../../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { RevealApiKeyCommand, type RevealApiKeyResult } from './reveal-api-key.command.js';

@CommandHandler(RevealApiKeyCommand)
export class RevealApiKeyHandler implements ICommandHandler<RevealApiKeyCommand> {
  constructor(
    private readonly store: ApiKeyStore,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  execute({ accountId, apiKeyId, actor }: RevealApiKeyCommand): Promise<RevealApiKeyResult> {
    return this.store.transaction(async (client): Promise<RevealApiKeyResult> => {
      const row = await this.store.lock(client, apiKeyId);
      const decision = decide(
        { type: 'RevealApiKey', apiKeyId, accountId, now: new Date(this.options.nowMs()) },
        row?.state,
      );
      if (!decision.ok) return decision;
      if (row?.encryptedKey == null) {
        throw new Error(`API key ${apiKeyId} may be revealed but has no encrypted copy`);
      }
      for (const event of decision.value) {
        if (event.type === 'ApiKeyRevealed') await this.store.recordReveal(client, event, actor);
      }
      // Decrypting last: a blob that fails to decrypt (KeyDecryptionError, a broken invariant)
      // rolls the audit row back with it, since nothing was shown.
      const key = decryptKey(row.encryptedKey, this.options.encryptionKey, apiKeyId);
      return { ok: true, key };
    });
  }
}
