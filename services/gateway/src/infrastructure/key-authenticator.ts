import {
  callerOf,
  fail,
  failures,
  presentedKeyHash,
  type Caller,
  type Result,
} from '../domain/index.js';
import type { KeyResolver } from './key-resolver.js';
import { KeyLookupUnavailable } from './keys-client.js';

/**
 * The API key check of every `/api/v1` route: the checksum (no lookup for a made-up key), then
 * the key cache, then the keys service on a miss; 503 `key_lookup_unavailable` when neither can
 * say, never a 401 for a key that may well exist.
 */
export class KeyAuthenticator {
  constructor(
    private readonly pepper: string,
    private readonly resolver: Pick<KeyResolver, 'resolve'>,
    /** The gateway's clock: a key's expiry is compared with it on every request. */
    private readonly clock: () => number = Date.now,
  ) {}

  async authenticate(key: string | undefined): Promise<Result<Caller>> {
    const hash = presentedKeyHash(key, this.pepper);
    if (!hash.ok) return hash;
    try {
      const found = await this.resolver.resolve(hash.value);
      // Read after the lookup: a lookup that took a while must not admit a key that expired
      // meanwhile.
      return callerOf(found, this.clock());
    } catch (err) {
      if (err instanceof KeyLookupUnavailable) return fail(failures.keyLookupUnavailable());
      throw err;
    }
  }
}
