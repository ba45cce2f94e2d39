import { Command } from '@nestjs/cqrs';
import type { KeysError } from '../../domain/index.js';

export type DeleteApiKeyResult =
  { readonly ok: true } | { readonly ok: false; readonly error: KeysError };

/**
 * `DELETE /v1/accounts/{accountId}/api-keys/{apiKeyId}`: final. The row stays as a tombstone
 * without its encrypted copy, so the key can never be revealed again and its id is never reused;
 * ApiKeyDeleted tells the gateway to refuse it.
 */
export class DeleteApiKeyCommand extends Command<DeleteApiKeyResult> {
  constructor(
    readonly accountId: string,
    readonly apiKeyId: string,
  ) {
    super();
  }
}
