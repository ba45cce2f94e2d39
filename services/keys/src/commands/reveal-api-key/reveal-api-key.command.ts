import { Command } from '@nestjs/cqrs';
import type { KeysError } from '../../domain/index.js';

export type RevealApiKeyResult =
  { readonly ok: true; readonly key: string } | { readonly ok: false; readonly error: KeysError };

/**
 * `POST /v1/accounts/{accountId}/api-keys/{apiKeyId}/reveal`: the console's "click to copy".
 * Every reveal is recorded (ApiKeyRevealed in `api_key_reveals`, with who asked) in the same
 * transaction that reads the key, so no key is shown without its audit row.
 */
export class RevealApiKeyCommand extends Command<RevealApiKeyResult> {
  constructor(
    readonly accountId: string,
    readonly apiKeyId: string,
    /** Who asked: `admin` or `account:<id>`. */
    readonly actor: string,
  ) {
    super();
  }
}
