import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: apps/standalone/src/ is three levels below it. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Refused configuration; the message names the variables, never a value. */
export class StandaloneConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`standalone: refusing to start:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'StandaloneConfigError';
  }
}

export interface StandaloneConfig {
  /** PORT (8080). 0 picks a free port (tests). */
  readonly port: number;
  /** HOST (127.0.0.1): the address the one HTTP port listens on. */
  readonly host: string;
  /** STANDALONE_DATA_DIR (`.data/standalone` at the repository root). */
  readonly dataDir: string;
  readonly nodeEnv: 'development' | 'test';
  /**
   * Whether the banner shows the secrets it prints (the API key, the tokens):
   * STANDALONE_SHOW_SECRETS=1|0; by default only when standard output is a terminal, so that
   * `npm start > file.log` does not write them into a file.
   */
  readonly showSecrets: boolean;
  /** UPSTREAM_PROVIDERS, as the gateway reads it (optional: `sim/` models need nothing). */
  readonly upstreamProviders: string | undefined;
  /** STANDALONE_VERBOSE=1 also logs Nest's start-up lines (modules, routes). */
  readonly verbose: boolean;
  /**
   * HOLD_TTL_SECONDS, as the gateway reads it (default 600): how long a hold lives if its
   * request's usage never reaches the ledger (the chaos suite shortens it, tests/chaos).
   */
  readonly holdTtlSeconds: number | undefined;
  /**
   * INSURANCE_EVALUATE_EVERY_SECONDS, as metering reads it (default 60): how often the AI
   * insurance evaluates the request log (the end-to-end scenario shortens it).
   */
  readonly insuranceEvaluateEverySeconds: number | undefined;
}

export const PRODUCTION_REFUSAL =
  'NODE_ENV=production: `npm start` is the standalone mode (one process, embedded PostgreSQL, ' +
  'an in-process message bus, a simulated payment provider that credits top-ups without ' +
  'payment). It is not for production; run the five services in distributed mode instead ' +
  '(`npm run start:<service>`, docker-compose.yml, deploy/).';

export function loadStandaloneConfig(
  env: Readonly<Record<string, string | undefined>>,
  stdoutIsTerminal: boolean,
): StandaloneConfig {
  const problems: string[] = [];
  if (env.NODE_ENV === 'production') problems.push(PRODUCTION_REFUSAL);

  let port = 8080;
  if (env.PORT !== undefined && env.PORT !== '') {
    port = Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65_535) {
      problems.push('PORT must be an integer between 0 and 65535');
    }
  }
  const host = env.HOST !== undefined && env.HOST !== '' ? env.HOST : '127.0.0.1';

  const dataDirSetting = env.STANDALONE_DATA_DIR;
  const dataDir =
    dataDirSetting !== undefined && dataDirSetting !== ''
      ? isAbsolute(dataDirSetting)
        ? dataDirSetting
        : resolve(dataDirSetting)
      : join(REPO_ROOT, '.data', 'standalone');

  const show = env.STANDALONE_SHOW_SECRETS;
  if (show !== undefined && !['0', '1', 'true', 'false', ''].includes(show)) {
    problems.push('STANDALONE_SHOW_SECRETS must be 1 or 0');
  }
  let holdTtlSeconds: number | undefined;
  if (env.HOLD_TTL_SECONDS !== undefined && env.HOLD_TTL_SECONDS !== '') {
    holdTtlSeconds = Number(env.HOLD_TTL_SECONDS);
    if (!Number.isInteger(holdTtlSeconds) || holdTtlSeconds < 1 || holdTtlSeconds > 86_400) {
      problems.push('HOLD_TTL_SECONDS must be an integer between 1 and 86400');
    }
  }
  let insuranceEvaluateEverySeconds: number | undefined;
  const every = env.INSURANCE_EVALUATE_EVERY_SECONDS;
  if (every !== undefined && every !== '') {
    insuranceEvaluateEverySeconds = Number(every);
    if (
      !Number.isInteger(insuranceEvaluateEverySeconds) ||
      insuranceEvaluateEverySeconds < 1 ||
      insuranceEvaluateEverySeconds > 86_400
    ) {
      problems.push('INSURANCE_EVALUATE_EVERY_SECONDS must be an integer between 1 and 86400');
    }
  }
  if (problems.length > 0) throw new StandaloneConfigError(problems);
  return {
    port,
    host,
    dataDir,
    nodeEnv: env.NODE_ENV === 'test' ? 'test' : 'development',
    showSecrets:
      show === '1' || show === 'true'
        ? true
        : show === '0' || show === 'false'
          ? false
          : stdoutIsTerminal,
    upstreamProviders: env.UPSTREAM_PROVIDERS === '' ? undefined : env.UPSTREAM_PROVIDERS,
    verbose: env.STANDALONE_VERBOSE === '1' || env.STANDALONE_VERBOSE === 'true',
    holdTtlSeconds,
    insuranceEvaluateEverySeconds,
  };
}
