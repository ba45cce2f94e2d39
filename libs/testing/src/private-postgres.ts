import { execFile } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePorts } from './ports.js';

const run = promisify(execFile);

/** Where Debian's PostgreSQL 15 keeps its binaries (what `npm run infra:up` uses too). */
const DEFAULT_BIN_DIR = process.env.PG_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL cluster of a test's own, in a temporary directory on a free port of 127.0.0.1.
 *
 * The shared database on :5432 serves every test running on the machine, so a test that stops,
 * kills or restarts a database does it to one of these. `stop('immediate')` is what a crash, a
 * failover or `pg_ctlcluster ... stop -m immediate` does to the clients: every connection is cut
 * without a goodbye. `destroy()` stops the cluster and deletes its directory; call it in
 * `afterAll`, whatever happened.
 */
export class PrivatePostgres {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly binDir: string,
    private readonly asUser: string | undefined,
  ) {}

  /** `postgres://postgres@127.0.0.1:<port>/<database>` (trust authentication, no password). */
  url(database = 'billing_test'): string {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  /**
   * Initialises a cluster, starts it and creates `database`. initdb refuses to run as root, so
   * as root the cluster belongs to the `postgres` system user (Debian's package creates it).
   */
  static async create(
    options: { database?: string; binDir?: string } = {},
  ): Promise<PrivatePostgres> {
    const binDir = options.binDir ?? DEFAULT_BIN_DIR;
    const asUser = process.getuid?.() === 0 ? 'postgres' : undefined;
    const dataDir = await mkdtemp(join(tmpdir(), 'private-pg-'));
    if (asUser !== undefined) {
      const { stdout } = await run('id', ['-u', asUser]);
      const { stdout: gid } = await run('id', ['-g', asUser]);
      await chown(dataDir, Number(stdout.trim()), Number(gid.trim()));
    }
    await chmod(dataDir, 0o700);
    const [port = 0] = await freePorts(1);
    const pgServer = new PrivatePostgres(dataDir, port, binDir, asUser);
    try {
      await pgServer.exec('initdb', [
        '-D',
        join(dataDir, 'data'),
        '-U',
        'postgres',
        '--auth=trust',
        '--no-sync',
      ]);
      await pgServer.start();
      const admin = new pg.Client({ connectionString: pgServer.url('postgres') });
      await admin.connect();
      try {
        await admin.query(`CREATE DATABASE "${options.database ?? 'billing_test'}"`);
      } finally {
        await admin.end();
      }
      return pgServer;
    } catch (err) {
      await pgServer.destroy();
      throw err;
    }
  }

  /** Starts the cluster and waits until it accepts connections. */
  async start(): Promise<void> {
    await this.exec('pg_ctl', [
      '-D',
      join(this.dataDir, 'data'),
      '-l',
      join(this.dataDir, 'server.log'),
      '-o',
      // fsync off: a test cluster, restarted with -m immediate on purpose, needs no durability
      // against power loss, and the machine is shared.
      `-p ${this.port} -k ${this.dataDir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  }

  /**
   * Stops the cluster. `immediate` cuts every connection at once (recovery replays the WAL at the
   * next start), as a crash or a failover would; `fast` disconnects clients cleanly.
   */
  async stop(mode: 'immediate' | 'fast' = 'immediate'): Promise<void> {
    await this.exec('pg_ctl', ['-D', join(this.dataDir, 'data'), '-m', mode, '-w', 'stop']);
  }

  /** `stop -m immediate`, `downMs` of outage, then start again. */
  async restart(downMs = 0): Promise<void> {
    await this.stop('immediate');
    if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  /** Stops the cluster if it runs and deletes its directory. Never throws. */
  async destroy(): Promise<void> {
    await this.exec('pg_ctl', ['-D', join(this.dataDir, 'data'), '-m', 'immediate', 'stop']).catch(
      () => undefined,
    );
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const bin = join(this.binDir, tool);
    const [file, argv] =
      this.asUser === undefined
        ? [bin, args]
        : ['runuser', ['-u', this.asUser, '--', bin, ...args]];
    try {
      await run(file, argv, { timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`${tool} ${args.at(-1) ?? ''} failed: ${e.stderr?.trim() || e.message}`, {
        cause: err,
      });
    }
  }
}
