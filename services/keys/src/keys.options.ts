import { TOPICS } from '@billing/contracts';
import {
  accountFacingOptionsFromEnv,
  resolveAccountFacingOptions,
  serviceTokensFromEnv,
} from '@billing/service-kit';
import type {
  AccountFacingModuleOptions,
  ResolvedAccountFacingOptions,
} from '@billing/service-kit';
import { parseEncryptionKey } from './domain/index.js';
import type { KeysEnv } from './config.js';

/** The physical topic names the keys service uses. Production uses the contract's. */
export interface KeysTopics {
  /** Where ApiKeyCreated/Updated/Deleted go (the gateway's key cache reads it). */
  readonly keys: string;
  /** Where UsageRecorded comes from (used and last used per key). */
  readonly usageRecorded: string;
  /** Where BuilderSubscriptionChanged comes from (payments.v1: which accounts hold a Builder plan). */
  readonly payments: string;
}

/**
 * Everything the keys module can be told. `main.ts` builds it from the environment; integration
 * tests build it directly so that each test file gets its own schema (and, where it matters, its
 * own topics).
 */
export interface KeysModuleOptions extends AccountFacingModuleOptions<KeysTopics> {
  /** `API_KEY_PEPPER`: the HMAC key of the lookup hash. */
  readonly apiKeyPepper: string;
  /** `API_KEY_ENCRYPTION_KEY`: 32 bytes as 64 hex or base64 characters. */
  readonly apiKeyEncryptionKey: string;
  /** The consumer group (and inbox) name of the UsageRecorded consumer. */
  readonly usageConsumerName?: string;
  /** The consumer group (and inbox) name of the payments.v1 consumer. */
  readonly paymentsConsumerName?: string;
  /** How many UsageRecorded per key the details route shows (the table keeps as many). */
  readonly recentUsageLimit?: number;
}

export interface ResolvedKeysOptions extends ResolvedAccountFacingOptions<KeysTopics> {
  readonly apiKeyPepper: string;
  readonly encryptionKey: Buffer;
  readonly usageConsumerName: string;
  readonly paymentsConsumerName: string;
  readonly recentUsageLimit: number;
}

export const KEYS_OPTIONS = Symbol('KEYS_OPTIONS');
export const DEFAULT_KEYS_SCHEMA = 'keys';

/**
 * Fills in the defaults and checks what can be checked before anything starts.
 *
 * @throws RangeError on an invalid schema name or encryption key (the message never echoes it).
 */
export function resolveKeysOptions(options: KeysModuleOptions): ResolvedKeysOptions {
  const common = resolveAccountFacingOptions(options, {
    schema: DEFAULT_KEYS_SCHEMA,
    topics: { keys: TOPICS.keys, usageRecorded: TOPICS.usageRecorded, payments: TOPICS.payments },
  });
  if (options.apiKeyPepper.length === 0) throw new RangeError('the API key pepper is empty');
  const recentUsageLimit = options.recentUsageLimit ?? 20;
  if (!Number.isSafeInteger(recentUsageLimit) || recentUsageLimit < 1) {
    throw new RangeError('recentUsageLimit must be a positive integer');
  }
  return {
    ...common,
    apiKeyPepper: options.apiKeyPepper,
    encryptionKey: parseEncryptionKey(options.apiKeyEncryptionKey),
    usageConsumerName: options.usageConsumerName ?? 'keys.usage-recorded',
    paymentsConsumerName: options.paymentsConsumerName ?? 'keys.payments',
    recentUsageLimit,
  };
}

/** The options of a production process, from its validated environment. */
export function keysOptionsFromEnv(env: KeysEnv): KeysModuleOptions {
  return {
    ...accountFacingOptionsFromEnv(env),
    serviceTokens: serviceTokensFromEnv(env.SERVICE_TOKENS),
    apiKeyPepper: env.API_KEY_PEPPER,
    apiKeyEncryptionKey: env.API_KEY_ENCRYPTION_KEY,
  };
}
