import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import {
  decide,
  encryptKey,
  fold,
  generateApiKey,
  lookupHash,
  validateApiKeyName,
  validateKeyExpiry,
} from '../../domain/index.js';
import { ApiKeyStore } from '../../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../../keys.options.js';
import { CreateApiKeyCommand, type CreateApiKeyResult } from './create-api-key.command.js';

/** Key ids are opaque; the prefix makes them recognisable in logs and support tickets. */
export const newApiKeyId = (): string => `key_${randomUUID().replaceAll('-', '')}`;

@CommandHandler(CreateApiKeyCommand)
export class CreateApiKeyHandler implements ICommandHandler<CreateApiKeyCommand> {
  constructor(
    private readonly store: ApiKeyStore,
    @Inject(KEYS_OPTIONS) private readonly options: ResolvedKeysOptions,
  ) {}

  async execute({
    accountId,
    name,
    expiresAt,
    plan,
  }: CreateApiKeyCommand): Promise<CreateApiKeyResult> {
    // Refuse a bad name or expiry before generating anything secret.
    const validName = validateApiKeyName(name);
    if (!validName.ok) return validName;
    const now = new Date(this.options.nowMs());
    const validExpiry = validateKeyExpiry(expiresAt, now);
    if (!validExpiry.ok) return validExpiry;

    const apiKeyId = newApiKeyId();
    const { key, prefix } = generateApiKey();
    const created = await this.store.transaction(async (client) => {
      const decision = decide(
        {
          type: 'CreateApiKey',
          apiKeyId,
          accountId,
          name,
          prefix,
          lookupHash: lookupHash(key, this.options.apiKeyPepper),
          expiresAt,
          plan,
          // Read only when it matters: a pay-as-you-go key needs no subscription.
          builderSubscribed:
            plan === 'builder' && (await this.store.hasBuilderSubscription(client, accountId)),
          now,
        },
        undefined,
      );
      if (!decision.ok) return decision;
      const state = fold(decision.value);
      if (state === undefined) throw new Error('creating an API key produced no state');
      await this.store.insert(client, state, encryptKey(key, this.options.encryptionKey, apiKeyId));
      await this.store.publish(client, decision.value);
      return { ok: true as const, value: state };
    });
    if (!created.ok) return created;
    const state = created.value;
    return {
      ok: true,
      value: {
        id: apiKeyId,
        name: state.name,
        key,
        prefix,
        status: 'enabled',
        expiresAt: state.expiresAt?.toISOString() ?? null,
        plan: state.plan,
        createdAt: state.createdAt.toISOString(),
      },
    };
  }
}
