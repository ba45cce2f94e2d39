import { assertSchemaName } from '@billing/postgres';
import type { AccountTokenOptions, ServiceCredential } from './auth.js';
import { resolveAccountTokens } from './env.js';
import {
  type MessagingModuleOptions,
  resolveMessagingOptions,
  type ResolvedMessagingOptions,
} from './messaging.js';

/**
 * The schema a service's module runs on: the one it was given, or its default. Schema names are
 * interpolated into SQL, so the name must pass the one rule of @billing/postgres (a plain
 * lower-case identifier of at most 63 bytes, PostgreSQL's limit).
 *
 * @throws RangeError naming the schema otherwise.
 */
export function resolveSchema(schema: string | undefined, fallback: string): string {
  return assertSchemaName(schema ?? fallback);
}

/**
 * The physical topic names of a service: the contract's (`defaults`) unless the caller, a test with
 * topics of its own, gave others.
 */
export function resolveTopics<T extends { readonly [Name in keyof T]: string }>(
  defaults: NoInfer<T>,
  given: Partial<T> | undefined,
): T {
  const topics: Record<string, string> = { ...defaults };
  for (const [name, topic] of Object.entries<string | undefined>(given ?? {})) {
    if (topic !== undefined && name in defaults) topics[name] = topic;
  }
  return topics as T;
}

/** A service's physical topic names by role (`{ keys: string; usageRecorded: string }`). */
type TopicNames<T> = { readonly [Name in keyof T]: string };

/**
 * What every account-facing service's module can be told besides its own options (keys, metering,
 * ledger, payments), `Topics` being its topics by role. `main.ts` builds it from the environment
 * (`accountFacingOptionsFromEnv`); integration tests, the bench and the standalone mode build it
 * directly.
 */
export interface AccountFacingModuleOptions<
  Topics extends TopicNames<Topics> = Record<never, string>,
> extends MessagingModuleOptions {
  readonly databaseUrl: string;
  readonly adminToken: string;
  /** The read-only operators' token (`AUDITOR_TOKEN`); absent: no auditor is accepted. */
  readonly auditorToken?: string;
  /** HS256 account tokens with the default issuer, audience and lifetime (tests, standalone). */
  readonly consoleJwtSecret?: string;
  /** How account tokens are verified; wins over `consoleJwtSecret`. */
  readonly accountTokens?: AccountTokenOptions;
  /**
   * The internal callers and their roles (`SERVICE_TOKENS`, where the service has internal
   * routes: keys, ledger; which role may do what is the service's). None: those routes refuse
   * everyone.
   */
  readonly serviceTokens?: readonly ServiceCredential[];
  /** The Postgres schema of the service (its tables, outbox and inbox); each has a default. */
  readonly schema?: string;
  readonly poolSize?: number;
  /** The clock, in epoch milliseconds. Tests may pin it; production reads the system clock. */
  readonly nowMs?: () => number;
  /** Topics of its own (tests); production uses the contract's names. */
  readonly topics?: Partial<Topics>;
}

/** {@link AccountFacingModuleOptions} with the defaults filled in. */
export interface ResolvedAccountFacingOptions<
  Topics extends TopicNames<Topics> = Record<never, string>,
> extends ResolvedMessagingOptions {
  readonly databaseUrl: string;
  readonly adminToken: string;
  readonly auditorToken: string | undefined;
  readonly accountTokens: AccountTokenOptions | undefined;
  readonly serviceTokens: readonly ServiceCredential[];
  readonly schema: string;
  readonly poolSize: number;
  readonly nowMs: () => number;
  readonly topics: Topics;
}

/**
 * Resolves the options every account-facing service shares: the messaging defaults, the
 * account-token verification, the schema (checked, `defaults.schema` when absent), a pool of 10,
 * the system clock and the topics (`defaults.topics`, the contract's, unless given others). A
 * service spreads the result and adds (or overrides) its own.
 *
 * @throws RangeError on an invalid schema name.
 */
export function resolveAccountFacingOptions<Topics extends TopicNames<Topics>>(
  options: AccountFacingModuleOptions<Topics>,
  defaults: { readonly schema: string; readonly topics: NoInfer<Topics> },
): ResolvedAccountFacingOptions<Topics> {
  return {
    ...resolveMessagingOptions(options),
    databaseUrl: options.databaseUrl,
    adminToken: options.adminToken,
    auditorToken: options.auditorToken,
    accountTokens: resolveAccountTokens(options),
    serviceTokens: options.serviceTokens ?? [],
    schema: resolveSchema(options.schema, defaults.schema),
    poolSize: options.poolSize ?? 10,
    nowMs: options.nowMs ?? Date.now,
    topics: resolveTopics(defaults.topics, options.topics),
  };
}
