import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../config.js';
import type { Secrets } from '../data-dir.js';

/** What the banner printed: the demo account's credentials and where the platform listens. */
export interface Banner {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly adminToken: string;
  readonly accountToken: string;
  /** The console's sign-in link (one use, 10 minutes). */
  readonly signInUrl: string;
  /** The operator's desk as the admin, and as the read-only auditor (one use each, 10 minutes). */
  readonly operatorSignInUrl: string;
  readonly auditorSignInUrl: string;
  readonly auditorToken: string;
  readonly firstRun: boolean;
  /** "ready in N s" as the process measured it (from its own start). */
  readonly readySeconds: number;
}

export interface StandaloneOptions {
  /** STANDALONE_DATA_DIR. */
  readonly dataDir: string;
  /** PORT; 0 (a free port) by default. */
  readonly port?: number;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

/**
 * `npm start` as a child process (the same command as the root script), for end-to-end tests:
 * started with a data folder of the test's own, ready once the banner is printed.
 */
export class StandaloneProcess {
  private output = '';
  private exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  private constructor(
    private readonly child: ChildProcess,
    readonly options: StandaloneOptions,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exit = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** Starts the process and resolves once it is ready; rejects (with its output) if it is not. */
  static async start(
    options: StandaloneOptions,
  ): Promise<{ process: StandaloneProcess; banner: Banner }> {
    const p = StandaloneProcess.spawn(options);
    try {
      return { process: p, banner: await p.banner(options.timeoutMs ?? 120_000) };
    } catch (err) {
      await p.stop().catch(() => undefined);
      throw err;
    }
  }

  /** Starts the process without waiting (for tests of a refusal). */
  static spawn(options: StandaloneOptions): StandaloneProcess {
    const child = spawn(
      process.execPath,
      ['--import', '@swc-node/register/esm-register', 'apps/standalone/src/main.ts'],
      {
        cwd: REPO_ROOT,
        env: {
          ...process.env,
          STANDALONE_DATA_DIR: options.dataDir,
          PORT: String(options.port ?? 0),
          STANDALONE_SHOW_SECRETS: '1',
          ...options.env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    return new StandaloneProcess(child, options);
  }

  /** Everything the process printed so far (colours removed). */
  log(): string {
    // eslint-disable-next-line no-control-regex
    return this.output.replace(/\u001b\[[0-9;]*m/g, '');
  }

  /** The last log lines, without the banner (secrets, and never the cause of a failure). */
  logTail(lines = 40): string {
    const withoutBanner = this.log().replace(/^─+\n[\s\S]*?\n Stop: Ctrl-C[^\n]*\n─+\n/m, '');
    return withoutBanner.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** The data folder's secrets (as a developer would read them from `secrets.json`). */
  secrets(): Secrets {
    return JSON.parse(readFileSync(join(this.options.dataDir, 'secrets.json'), 'utf8')) as Secrets;
  }

  /** The embedded database's URL, for the ops CLI (a Unix socket in the data folder). */
  databaseUrl(): string {
    return `postgres://postgres@localhost/postgres?host=${encodeURIComponent(join(this.options.dataDir, 'run'))}`;
  }

  /** Resolves with the exit code once the process has exited by itself. */
  async exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exit;
  }

  private async banner(timeoutMs: number): Promise<Banner> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exit.then(() => (exited = true));
    while (!/Stop: Ctrl-C/.test(this.output)) {
      if (exited)
        throw new Error(`the standalone process exited while starting:\n${this.logTail(60)}`);
      if (Date.now() > deadline)
        throw new Error(`the standalone process did not start in time:\n${this.logTail(60)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const text = this.log();
    const field = (pattern: RegExp, what: string): string => {
      const value = pattern.exec(text)?.[1];
      if (value === undefined) throw new Error(`the banner has no ${what}:\n${text}`);
      return value;
    };
    return {
      baseUrl: field(/ready in [\d.]+ s on (http:\/\/\S+)/, 'URL'),
      readySeconds: Number(field(/ready in ([\d.]+) s/, 'start-up time')),
      apiKey: field(/API key\s+(\S+)/, 'API key'),
      adminToken: field(/Admin token\s+(\S+)/, 'admin token'),
      accountToken: field(/Account token\s+(\S+)/, 'account token'),
      signInUrl: field(/Console\s+(http\S+)/, 'console sign-in link'),
      operatorSignInUrl: field(/Operator desk\s+(http\S+)/, 'operator sign-in link'),
      auditorSignInUrl: field(/Auditor desk\s+(http\S+)/, 'auditor sign-in link'),
      auditorToken: field(/Auditor token\s+(\S+)/, 'auditor token'),
      firstRun: /First start:/.test(text),
    };
  }

  /** SIGTERM, as Ctrl-C or a service manager would; SIGKILL after `graceMs`. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    graceMs = 30_000,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const result = await this.exit;
      clearTimeout(timer);
      return result;
    }
    return this.exit;
  }
}
