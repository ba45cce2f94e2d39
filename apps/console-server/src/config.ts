import { fileURLToPath } from 'node:url';
import { SERVICES, type ServiceName } from '@billing/contracts/http-routes';
import { formatUsd, parseUsd } from '@billing/money';

/** What the console shows before a top-up (`GET /v1/console/settings`, CONTRACTS.md "console"). */
export interface ConsoleSettings {
  readonly bonusRate: string;
  readonly minTopUp: string;
  readonly maxTopUp: string;
}

export interface ConsoleServerConfig {
  readonly port: number;
  readonly host: string;
  /** Each service's base URL (`http://ledger:8083`). */
  readonly services: Readonly<Record<ServiceName, URL>>;
  /** The built console (apps/console/dist). */
  readonly assetsDir: string;
  /** The largest request body passed on; a larger one is refused with 413. */
  readonly maxBodyBytes: number;
  /** How long a service may stay silent (no header, no byte) before the request fails. */
  readonly upstreamTimeoutMs: number;
  /** The same for the gateway's `/api/v1` (a completion that is not streamed says nothing until done). */
  readonly completionsTimeoutMs: number;
  /** After SIGTERM, how long requests in flight get to finish. */
  readonly shutdownGraceMs: number;
  readonly settings: ConsoleSettings;
}

/** The variable holding each service's URL; the gateway already reads the same names. */
export const SERVICE_URL_VARIABLES: Readonly<Record<ServiceName, string>> = {
  gateway: 'GATEWAY_URL',
  keys: 'KEYS_URL',
  metering: 'METERING_URL',
  ledger: 'LEDGER_URL',
  payments: 'PAYMENTS_URL',
};

/** The distributed mode's ports (CONTRACTS.md, "HTTP"): the defaults run next to `npm run start:distributed`. */
const DEFAULT_PORTS: Readonly<Record<ServiceName, number>> = {
  gateway: 8080,
  keys: 8081,
  metering: 8082,
  ledger: 8083,
  payments: 8084,
};

export const DEFAULT_CONSOLE_PORT = 8090;

/** Every variable the console server reads (docker-compose.yml is checked against it). */
export const CONSOLE_SERVER_VARIABLES: readonly string[] = [
  'CONSOLE_PORT',
  'CONSOLE_HOST',
  'CONSOLE_DIST_DIR',
  ...Object.values(SERVICE_URL_VARIABLES),
  'MAX_BODY_BYTES',
  'UPSTREAM_TIMEOUT_SECONDS',
  'COMPLETIONS_TIMEOUT_SECONDS',
  'SHUTDOWN_GRACE_SECONDS',
  'BONUS_RATE',
  'TOP_UP_MIN_USD',
  'TOP_UP_MAX_USD',
];

/** apps/console/dist, from src/ (the TypeScript sources) or dist/ (the build) alike. */
const DEFAULT_ASSETS_DIR = fileURLToPath(new URL('../../console/dist', import.meta.url));

/** The payments service's own rules for these (services/payments/src/config.ts). */
const BONUS_RATE = /^(0|0?\.\d{1,9}|1(\.0{1,9})?)$/;
const WHOLE_CENTS_USD = /^\d{1,7}(\.\d{1,2})?$/;

/**
 * The console server's environment (docs/CONTRACTS.md, "Environment"), checked at start: a
 * malformed value stops the process with a message naming the variable, as the services do.
 */
export function loadConsoleServerEnv(env: NodeJS.ProcessEnv = process.env): ConsoleServerConfig {
  const problems: string[] = [];
  const text = (name: string, fallback: string): string => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? fallback : value.trim();
  };
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name, String(fallback));
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  };
  const services = Object.fromEntries(
    SERVICES.map((service) => {
      const name = SERVICE_URL_VARIABLES[service];
      const raw = text(name, `http://127.0.0.1:${DEFAULT_PORTS[service]}`);
      let url: URL | undefined;
      try {
        url = new URL(raw);
      } catch {
        url = undefined;
      }
      if (url === undefined || !/^https?:$/.test(url.protocol) || url.search !== '') {
        problems.push(`${name} must be an http(s) URL without a query string, got "${raw}"`);
        url = new URL(`http://127.0.0.1:${DEFAULT_PORTS[service]}`);
      }
      return [service, url];
    }),
  ) as Record<ServiceName, URL>;

  const bonusRate = text('BONUS_RATE', '0.20');
  if (!BONUS_RATE.test(bonusRate)) {
    problems.push('BONUS_RATE must be a decimal between 0 and 1, e.g. 0.20');
  }
  const usd = (name: string, fallback: string): string => {
    const raw = text(name, fallback);
    if (!WHOLE_CENTS_USD.test(raw)) {
      problems.push(`${name} must be a USD amount in whole cents, got "${raw}"`);
      return fallback;
    }
    return formatUsd(parseUsd(raw));
  };
  const settings = {
    bonusRate,
    minTopUp: usd('TOP_UP_MIN_USD', '5'),
    maxTopUp: usd('TOP_UP_MAX_USD', '10000'),
  };

  const config: ConsoleServerConfig = {
    port: integer('CONSOLE_PORT', DEFAULT_CONSOLE_PORT, 0, 65_535),
    host: text('CONSOLE_HOST', '0.0.0.0'),
    services,
    assetsDir: text('CONSOLE_DIST_DIR', DEFAULT_ASSETS_DIR),
    // The gateway's own default: a chat request it accepts must pass through here too.
    maxBodyBytes: integer('MAX_BODY_BYTES', 4 * 1024 * 1024, 1, 64 * 1024 * 1024),
    upstreamTimeoutMs: integer('UPSTREAM_TIMEOUT_SECONDS', 60, 1, 86_400) * 1_000,
    // Longer than the gateway's REQUEST_DEADLINE_SECONDS (1800): its own 504 arrives first.
    completionsTimeoutMs: integer('COMPLETIONS_TIMEOUT_SECONDS', 1_860, 1, 86_400) * 1_000,
    shutdownGraceMs: integer('SHUTDOWN_GRACE_SECONDS', 20, 0, 3_600) * 1_000,
    settings,
  };
  if (problems.length > 0) {
    throw new Error(`the console server's configuration is invalid:\n- ${problems.join('\n- ')}`);
  }
  return config;
}
