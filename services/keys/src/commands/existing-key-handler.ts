import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import {
  decide,
  type ApiKeyEvent,
  type DeleteApiKey,
  type KeysError,
  type RevealApiKey,
  type UpdateApiKey,
} from '../domain/index.js';
import { ApiKeyStore, type ApiKeyRow } from '../infrastructure/api-key-store.js';
import { KEYS_OPTIONS, type ResolvedKeysOptions } from '../keys.options.js';

/** A command on a key that exists, without the clock reading, which the handler adds. */
export type ExistingKeyCommand =
  Omit<UpdateApiKey, 'now'> | Omit<DeleteApiKey, 'now'> | Omit<RevealApiKey, 'now'>;

export type KeyNotAccepted = { readonly ok: false; readonly error: KeysError };

/**
 * The one shape of every command on an existing key (update, delete, reveal): in one transaction,
 * lock the key's row whatever its account, let the domain decide at the service's clock (read once
 * the lock is held) and, when it accepts, apply its events through `apply`. A key that does not
 * exist, was deleted or belongs to another account is refused by the domain with the same
 * KEYS.NOT_FOUND for the three, before anything is written.
 */
@Injectable()
export abstract class ExistingKeyHandler {
  constructor(
    protected readonly store: ApiKeyStore,
    @Inject(KEYS_OPTIONS) protected readonly options: ResolvedKeysOptions,
  ) {}

  protected onExistingKey<T>(
    command: ExistingKeyCommand,
    apply: (client: pg.PoolClient, row: ApiKeyRow, events: readonly ApiKeyEvent[]) => Promise<T>,
  ): Promise<T | KeyNotAccepted> {
    return this.store.transaction(async (client): Promise<T | KeyNotAccepted> => {
      const row = await this.store.lock(client, command.apiKeyId);
      const decision = decide({ ...command, now: new Date(this.options.nowMs()) }, row?.state);
      if (!decision.ok) return decision;
      if (row === undefined) {
        throw new Error(`${command.type} of missing API key ${command.apiKeyId} was accepted`);
      }
      return apply(client, row, decision.value);
    });
  }
}
