import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { StandaloneConfigError } from './config.js';

/**
 * The standalone mode's data folder (`.data/standalone` by default, mode 0700):
 *
 * | file | what |
 * |---|---|
 * | `pglite/` | the embedded PostgreSQL's files |
 * | `run/` | its Unix socket while the process runs |
 * | `secrets.json` | the generated secrets (mode 0600) |
 * | `demo.json` | the demo account and the id of its API key (no secret) |
 * | `standalone.pid` | the process that uses the folder now |
 */
export class DataDir {
  constructor(readonly path: string) {}

  get pglite(): string {
    return join(this.path, 'pglite');
  }

  get socketDir(): string {
    return join(this.path, 'run');
  }

  get secretsFile(): string {
    return join(this.path, 'secrets.json');
  }

  get demoFile(): string {
    return join(this.path, 'demo.json');
  }

  private get pidFile(): string {
    return join(this.path, 'standalone.pid');
  }

  /**
   * Creates the folder and takes it for this process: PGlite's files must never be opened by
   * two processes at once. A pid file left by a process that no longer runs is taken over.
   */
  lock(): void {
    mkdirSync(this.path, { recursive: true, mode: 0o700 });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        writeFileSync(this.pidFile, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = Number(readFileSync(this.pidFile, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isRunning(holder)) {
        throw new StandaloneConfigError([
          `another standalone process (pid ${holder}) is using ${this.path}; stop it, or set ` +
            'STANDALONE_DATA_DIR to another folder',
        ]);
      }
      rmSync(this.pidFile, { force: true });
    }
    throw new StandaloneConfigError([`could not lock ${this.path}`]);
  }

  unlock(): void {
    try {
      if (readFileSync(this.pidFile, 'utf8').trim() === String(process.pid)) rmSync(this.pidFile);
    } catch {
      // Already gone.
    }
  }

  readJson<T>(file: string): T | undefined {
    if (!existsSync(file)) return undefined;
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  }

  /** Writes through a temporary file and a rename, so a crash never leaves half a file. */
  writeJson(file: string, value: unknown, mode = 0o600): void {
    const temporary = `${file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`, { mode });
    renameSync(temporary, file);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The secrets the services need, under the names of their environment variables. */
export interface Secrets {
  readonly ADMIN_TOKEN: string;
  readonly CONSOLE_JWT_SECRET: string;
  /** The gateway's credential towards the ledger (the ledger accepts it for the gateway role). */
  readonly SERVICE_TOKEN: string;
  readonly API_KEY_PEPPER: string;
  readonly API_KEY_ENCRYPTION_KEY: string;
}

type SecretName = keyof Secrets;

const RULES: Record<
  SecretName,
  { generate: () => string; valid: (v: string) => boolean; rule: string }
> = {
  ADMIN_TOKEN: {
    generate: () => `adm_${randomBytes(24).toString('base64url')}`,
    valid: (v) => v.length >= 16,
    rule: 'at least 16 characters',
  },
  CONSOLE_JWT_SECRET: {
    generate: () => randomBytes(48).toString('base64url'),
    valid: (v) => v.length >= 32,
    rule: 'at least 32 characters',
  },
  SERVICE_TOKEN: {
    generate: () => `svc_gateway_${randomBytes(32).toString('base64url')}`,
    valid: (v) => v.length >= 32 && !/[\s,]/.test(v),
    rule: 'at least 32 characters, without spaces or commas',
  },
  API_KEY_PEPPER: {
    generate: () => randomBytes(32).toString('hex'),
    valid: (v) => v.length >= 32,
    rule: 'at least 32 characters',
  },
  API_KEY_ENCRYPTION_KEY: {
    generate: () => randomBytes(32).toString('hex'),
    valid: (v) =>
      /^[0-9a-fA-F]{64}$/.test(v) ||
      (/^[A-Za-z0-9+/]{43}=$/.test(v) && Buffer.from(v, 'base64').length === 32),
    rule: '32 bytes as 64 hex characters or base64',
  },
};

export interface LoadedSecrets {
  readonly secrets: Secrets;
  /** Names generated now (first start, or a name missing from the file). */
  readonly generated: readonly SecretName[];
  /** Names taken from the environment for this run (never written to the file). */
  readonly fromEnvironment: readonly SecretName[];
}

/**
 * The secrets of this data folder: generated at random on the first start and kept in
 * `secrets.json` (mode 0600), so API keys stay valid (their lookup hash and encryption depend on
 * the pepper and the key) and tokens keep working across restarts. A variable set in the
 * environment wins for the run without being written.
 */
export function loadSecrets(
  dir: DataDir,
  env: Readonly<Record<string, string | undefined>>,
): LoadedSecrets {
  let stored: Partial<Record<SecretName, unknown>> = {};
  try {
    stored = dir.readJson<Partial<Record<SecretName, unknown>>>(dir.secretsFile) ?? {};
  } catch {
    // Regenerating would invalidate every API key: let the user decide.
    throw new StandaloneConfigError([
      `${dir.secretsFile} is not valid JSON; repair it, or reset the standalone data ` +
        `(rm -rf ${dir.path})`,
    ]);
  }
  if (existsSync(dir.secretsFile) && (statSync(dir.secretsFile).mode & 0o077) !== 0) {
    chmodSync(dir.secretsFile, 0o600);
  }

  const problems: string[] = [];
  const generated: SecretName[] = [];
  const fromEnvironment: SecretName[] = [];
  const kept: Partial<Record<SecretName, string>> = {};
  const secrets: Partial<Record<SecretName, string>> = {};
  for (const name of Object.keys(RULES) as SecretName[]) {
    const rule = RULES[name];
    const fromFile = stored[name];
    if (typeof fromFile === 'string' && rule.valid(fromFile)) {
      kept[name] = fromFile;
    } else if (fromFile !== undefined) {
      problems.push(`${name} in ${dir.secretsFile} must be ${rule.rule}`);
    } else {
      kept[name] = rule.generate();
      generated.push(name);
    }
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') {
      if (!rule.valid(fromEnv)) problems.push(`${name} must be ${rule.rule}`);
      secrets[name] = fromEnv;
      fromEnvironment.push(name);
    } else {
      secrets[name] = kept[name];
    }
  }
  if (problems.length > 0) throw new StandaloneConfigError(problems);
  if (generated.length > 0) {
    dir.writeJson(dir.secretsFile, {
      ...kept,
      note: 'Generated by the standalone mode (npm start). Keep private: anyone with ADMIN_TOKEN controls every account.',
    });
  }
  return { secrets: secrets as Secrets, generated, fromEnvironment };
}
